"""Re-confirmation: "are your details still correct?", asked by the bot on its own or by /confirm.

The scheduled job (:mod:`bot.pipeline.campaign`) sends the question through the outbox as text
with numbered options, and puts the chat's dialog state at this flow's ``answer`` step with the
same question (:func:`prompt_state`), so that the reply, typed on any channel ("1", "có",
"update"...), is read by this flow like any other answer. ``/confirm`` asks the same question
in the chat, for whoever wants to confirm before being asked.

Yes moves the confirmation date to today; update opens /update; no longer in this role asks
for a confirmation, then retires the record and tells the agency's focal points (through the
outbox, so a focal point on another channel, or asleep, gets it in the morning).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from bot import clock
from bot.dialogs import cards, own
from bot.dialogs.context import Context
from bot.dialogs.flow import Command, Dialog, Flow
from bot.dialogs.io import Option
from bot.state import outbox
from bot.state.outbox import PUSH_CHANNELS, Letter
from bot.texts import t
from registry import campaigns, people
from registry.agency_names import name_in
from registry.validation import format_phone
from registry.views import PersonView

FLOW_NAME = "reconfirm"
CHOICES = ("yes", "update", "gone")


class ReconfirmStep(enum.StrEnum):
    answer = "answer"
    gone = "gone"


@dataclass
class ReconfirmDraft:
    person_id: int = 0


def details(language: str, person: PersonView) -> str:
    """The record as the question shows it, in ``language``."""
    agency = name_in(language, person.agency_code, person.agency_name)
    confirmed = clock.shown(person.confirmed_at, "%d/%m/%Y") if person.confirmed_at else "—"
    return t(
        language,
        "reconfirm.details",
        name=person.full_name,
        agency=agency,
        position=person.position or "—",
        contact=", ".join(v for v in (format_phone(person.mobile), person.email) if v) or "—",
        confirmed=confirmed,
    )


def question(language: str, person: PersonView) -> tuple[str, list[Option]]:
    """The question and its options, as the prompt and the flow ask it."""
    text = "\n".join([t(language, "reconfirm.ask"), details(language, person)])
    options = [Option(key, t(language, f"reconfirm.option.{key}")) for key in CHOICES]
    return text, options


def prompt_state(
    person_id: int, text: str, options: list[Option]
) -> tuple[str, str, dict[str, Any]]:
    """The dialog state (flow, step, data) that makes the next message of a chat the answer to
    a prompt sent with ``text`` and ``options``."""
    data = {
        "draft": {"person_id": person_id},
        "asked": {"text": text, "options": [[o.key, o.label] for o in options], "contact": False},
    }
    return FLOW_NAME, ReconfirmStep.answer.value, data


async def begin(ctx: Context[ReconfirmDraft], args: str) -> None:
    person_id = ctx.actor.person_id
    if person_id is None:
        ctx.tell("bot.me.none")
        return
    person = await people.show_person(ctx.uow(), ctx.actor, person_id)
    ctx.start(RECONFIRM, ReconfirmStep.answer, ReconfirmDraft(person.id))
    text, options = question(ctx.language, person)
    ctx.ask(text, options)


async def on_answer(ctx: Context[ReconfirmDraft]) -> None:
    chosen = ctx.chosen()
    person_id = ctx.draft.person_id
    if chosen not in CHOICES:
        ctx.ask_again()
        return
    if chosen == "yes":
        ctx.end()
        person = await people.confirm_person(ctx.uow(), ctx.actor, person_id)
        shown = clock.shown(person.confirmed_at, "%d/%m/%Y") if person.confirmed_at else ""
        ctx.tell("reconfirm.confirmed", date=shown)
        return
    if chosen == "update":
        ctx.end()
        await own.begin_update(ctx, "")  # type: ignore[arg-type]
        return
    person = await people.show_person(ctx.uow(), ctx.actor, person_id)
    ctx.goto(ReconfirmStep.gone)
    ctx.ask_yes_no(
        ctx.say("reconfirm.gone_confirm", name=person.full_name),
        yes=ctx.say("reconfirm.gone_yes"),
    )


async def on_gone(ctx: Context[ReconfirmDraft]) -> None:
    if not ctx.confirmed():
        return
    person_id = ctx.draft.person_id
    ctx.end()
    person = await people.retire_person(ctx.uow(), ctx.actor, person_id)
    async with ctx.uow() as uow:
        chats = await campaigns.agency_chats(
            uow.session, [person.agency_id], PUSH_CHANNELS, focal_only=True
        )
        letters = [
            Letter(
                dedupe=f"reconfirm:{person.id}:gone:{chat.channel}:{chat.external_id}",
                channel=chat.channel,
                chat_id=chat.external_id,
                language=chat.language or ctx.settings.default_language,
                text_key="reconfirm.focal_notice",
                params={
                    "id": person.id,
                    "name": person.full_name,
                    "agency": person.agency_name,
                    "position": person.position or "—",
                },
            )
            for chat in chats.get(person.agency_id, [])
        ]
        await outbox.enqueue(uow.session, letters)
        await uow.commit()
    ctx.tell("reconfirm.gone_done")
    ctx.send(cards.person_card(ctx, person))


RECONFIRM = Flow(
    FLOW_NAME,
    ReconfirmStep,
    {ReconfirmStep.answer: on_answer, ReconfirmStep.gone: on_gone},
    ReconfirmDraft,
)
DIALOG = Dialog(
    commands=(Command("confirm", begin, aliases=("xacnhan",), needs_consent=True),),
    flows=(RECONFIRM,),
)
