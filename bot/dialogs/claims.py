"""/claims: the queue of people who say an imported record is theirs, and the claim itself.

A member whose agency already listed them finishes /register and, when the name and the mobile
match the listed record, the bot files a claim (:mod:`registry.claims`) instead of telling them
to start again: they are told who will confirm it, and those who may decide (staff, the
agency's focal points) get a message in their own chats. ``/claims`` lists the pending claims
the asker may decide; choosing one shows the record and the claimant's chat identity, with
confirm and refuse. The claimant is told the decision in their chat. Telegram's share of one's
own contact needs none of this: it links at once (see :mod:`bot.dialogs.register`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from bot import clock
from bot.dialogs import cards
from bot.dialogs.context import Context
from bot.dialogs.flow import Audience, Command, Dialog, Flow
from bot.dialogs.io import ChatNotice, Option
from bot.texts import language_of, t
from registry import claims
from registry.claims import ClaimView, Contact
from registry.errors import RegistryError


class Step(enum.StrEnum):
    pick = "pick"
    decide = "decide"


@dataclass
class Draft:
    claim_id: int | None = None


def _tell_in_chat(ctx: Context[Any], contact: Contact, key: str, **params: Any) -> None:
    """A message for another chat, in that person's language (sent once this update commits)."""
    language = language_of(contact.language or ctx.settings.default_language)
    text = t(language, key, **params)
    ctx.notices.append(ChatNotice(contact.channel, contact.external_id, text))


# --- filing, from /register ------------------------------------------------------------------


async def file_from_register(
    ctx: Context[Any], person_id: int, *, full_name: str, mobile: str
) -> bool:
    """The person registering turned out to be listed already (record ``person_id``): file a
    claim when the name and mobile match, tell them what happens next and the deciders that a
    claim is waiting, and end the dialog. False when they do not match (nothing said)."""
    try:
        filed = await claims.file_claim(
            ctx.uow(), ctx.actor, person_id, full_name=full_name, mobile=mobile
        )
    except RegistryError as error:
        if error.code != "claim.no_match":
            raise
        return False
    claim = filed.claim
    person = claim.person
    agency = cards.agency_name(ctx, person.agency_code, person.agency_name)
    ctx.end()
    ctx.tell(
        "bot.claims.filed" if filed.new else "bot.claims.already_waiting",
        name=person.full_name,
        person_id=person.id,
        claim_id=claim.id,
        agency=agency,
    )
    for decider in filed.deciders:
        language = language_of(decider.language or ctx.settings.default_language)
        _tell_in_chat(
            ctx,
            decider,
            "bot.claims.new_claim",
            claim_id=claim.id,
            chat=claim.chat,
            display_name=claim.display_name or t(language, "bot.claims.no_name"),
            person_id=person.id,
            name=person.full_name,
            agency=person.agency_name,
        )
    return True


# --- the queue -------------------------------------------------------------------------------


async def begin(ctx: Context[Draft], args: str) -> None:
    if args.strip():
        # "/claims 12" opens claim 12 directly.
        claim = await claims.show_claim(ctx.uow(), ctx.actor, claims.parse_claim_id(args))
        ctx.start(FLOW, Step.decide, Draft())
        _show(ctx, claim)
        return
    await _list(ctx)


async def _list(ctx: Context[Draft]) -> None:
    waiting = await claims.list_claims(ctx.uow(), ctx.actor)
    if not waiting:
        ctx.end()
        ctx.tell("bot.claims.none")
        return
    ctx.start(FLOW, Step.pick, Draft())
    options = [
        Option(
            str(c.id),
            ctx.say(
                "bot.claims.option",
                claim_id=c.id,
                name=c.person.full_name,
                agency=cards.agency_name(ctx, c.person.agency_code, c.person.agency_name),
                chat=c.chat,
            ),
        )
        for c in waiting
    ]
    ctx.ask(ctx.say("bot.claims.pick", count=len(waiting)), options)


async def on_pick(ctx: Context[Draft]) -> None:
    key = ctx.chosen()
    if key is None:
        ctx.ask_again()
        return
    claim = await claims.show_claim(ctx.uow(), ctx.actor, int(key))
    ctx.goto(Step.decide)
    _show(ctx, claim)


def _show(ctx: Context[Draft], claim: ClaimView) -> None:
    ctx.draft.claim_id = claim.id
    ctx.send(
        ctx.say(
            "bot.claims.shown",
            claim_id=claim.id,
            created=clock.shown(claim.created_at),
            chat=claim.chat,
            display_name=claim.display_name or ctx.say("bot.claims.no_name"),
        )
    )
    ctx.send(cards.person_card(ctx, claim.person))
    ctx.ask(
        ctx.say("bot.claims.decide", person_id=claim.person.id),
        [
            Option("confirm", ctx.say("bot.claims.confirm")),
            Option("refuse", ctx.say("bot.claims.refuse")),
        ],
    )


async def on_decide(ctx: Context[Draft]) -> None:
    answer = ctx.chosen()
    if answer not in ("confirm", "refuse") or ctx.draft.claim_id is None:
        ctx.ask_again()
        return
    confirm, claim_id = answer == "confirm", ctx.draft.claim_id
    # Whatever the registry answers (decided meanwhile, say), this question is over.
    ctx.end()
    claim = await claims.decide_claim(ctx.uow(), ctx.actor, claim_id, confirm=confirm)
    person = claim.person
    ctx.tell(
        "bot.claims.confirmed" if confirm else "bot.claims.refused",
        claim_id=claim.id,
        chat=claim.chat,
        person_id=person.id,
        name=person.full_name,
    )
    _tell_in_chat(
        ctx,
        claim.claimant,
        "bot.claims.told_confirmed" if confirm else "bot.claims.told_refused",
        person_id=person.id,
        name=person.full_name,
        agency=person.agency_name,
    )


FLOW = Flow("claims", Step, {Step.pick: on_pick, Step.decide: on_decide}, Draft)
DIALOG = Dialog(
    commands=(Command("claims", begin, audience=Audience.focal, aliases=("yeucau",)),),
    flows=(FLOW,),
)
