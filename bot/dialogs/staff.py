"""Commands of the Press Department's staff: /find (/tim), /agency, /missing, /stats,
/person, /verify, /retire. The registry refuses anyone else, revealing nothing."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from bot.dialogs import cards
from bot.dialogs.context import Context
from bot.dialogs.flow import Audience, Command, Dialog, Flow, NoDraft
from bot.dialogs.io import Option
from registry import catalog, directory, people
from registry.actors import deny, may_search
from registry.errors import Ambiguous, NotFound, ValidationError

PAGE = 10  # results a page: a screen of a phone, with room for the buttons
MAX_QUERY = 200


class FindStep(enum.StrEnum):
    query = "query"  # waiting for what to search
    page = "page"  # a page of results is shown


class AgencyStep(enum.StrEnum):
    query = "query"
    pick = "pick"  # several agencies matched


class RetireStep(enum.StrEnum):
    confirm = "confirm"


@dataclass
class FindDraft:
    query: str = ""
    offset: int = 0


@dataclass
class RetireDraft:
    person_id: int = 0
    version: int = 0


def _id(args: str) -> int:
    text = args.strip().lstrip("#")
    if not text:
        raise ValidationError("bot.id_needed")
    if not text.isdigit() or len(text) > 9:
        raise ValidationError("bot.bad_id", text=text[:20])
    return int(text)


async def find(ctx: Context[FindDraft], args: str) -> None:
    if not may_search(ctx.actor):
        raise deny("people.find")
    query = args.strip()
    ctx.start(FIND, FindStep.query)
    if not query:
        ctx.ask(ctx.say("bot.find.ask"))
        return
    await _show_page(ctx, query, 0)


async def _show_page(ctx: Context[FindDraft], query: str, offset: int) -> None:
    if len(query) > MAX_QUERY:
        raise ValidationError("text.too_long", field="query", max=MAX_QUERY)
    result = await directory.find_people(ctx.uow(), ctx.actor, query, limit=PAGE, offset=offset)
    ctx.draft.query, ctx.draft.offset = query, offset
    ctx.goto(FindStep.page)
    options = [Option(f"p{p.id}", f"#{p.id} {p.full_name}"[:60]) for p in result.items]
    if offset > 0:
        options.append(Option("prev", ctx.say("bot.find.prev")))
    if result.has_more:
        options.append(Option("next", ctx.say("bot.find.next")))
    ctx.ask(cards.find_page(ctx, query, result), options)


async def on_query(ctx: Context[FindDraft]) -> None:
    if ctx.answer.text is None:
        ctx.tell("bot.type_answer")
        return
    await _show_page(ctx, ctx.answer.text.strip(), 0)


async def on_page(ctx: Context[FindDraft]) -> None:
    if ctx.answer.text is not None:
        # A new query typed while a page is shown starts a new search.
        await _show_page(ctx, ctx.answer.text.strip(), 0)
        return
    key = ctx.chosen() or ""
    query, offset = ctx.draft.query, ctx.draft.offset
    if key == "next":
        await _show_page(ctx, query, offset + PAGE)
    elif key == "prev":
        await _show_page(ctx, query, max(0, offset - PAGE))
    elif key.startswith("p") and key[1:].isdigit():
        await _person(ctx, int(key[1:]))
        # The page again, below the card, so the next person is one press away.
        ctx.ask_again(hint=None)
    else:
        ctx.ask_again()


async def agency(ctx: Context[Any], args: str) -> None:
    reference = args.strip()
    if not reference:
        ctx.start(AGENCY, AgencyStep.query)
        ctx.ask(ctx.say("bot.agency.ask"))
        return
    await _agency(ctx, reference)


async def _agency(ctx: Context[Any], reference: str) -> None:
    if len(reference) > MAX_QUERY:
        raise ValidationError("text.too_long", field="agency", max=MAX_QUERY)
    try:
        listed = await directory.list_people(ctx.uow(), ctx.actor, agency=reference)
        found = await catalog.find_agency(ctx.uow(), reference)
    except (Ambiguous, NotFound) as error:
        if error.code == "agency.not_found":
            raise
        ctx.start(AGENCY, AgencyStep.pick)
        if error.code == "agency_name.which_province":
            ctx.ask(ctx.say("bot.agency_name.which_province"))
            return
        # Several agencies fit, or none but a few are a letter or two off: the person picks.
        picked = await catalog.pick_agencies(ctx.uow(), reference, limit=8)
        question = "bot.agency_name.did_you_mean" if picked.guessed else "bot.agency.pick"
        options = [
            Option(a.code[:50], cards.agency_name(ctx, a.code, a.name)) for a in picked.agencies
        ]
        ctx.ask(ctx.say(question, query=reference[:60]), options)
        return
    ctx.end()
    ctx.send(cards.agency_people(ctx, found, listed))


async def on_agency(ctx: Context[NoDraft]) -> None:
    picked = ctx.chosen()
    if picked:
        await _agency(ctx, picked)
    elif ctx.answer.text is not None:
        await _agency(ctx, ctx.answer.text)
    else:
        ctx.ask_again()


async def missing(ctx: Context[Any], args: str) -> None:
    kind = args.strip() or None
    agencies = await directory.missing_agencies(ctx.uow(), ctx.actor, kind=kind)
    ctx.send(cards.missing_list(ctx, agencies))


async def stats(ctx: Context[Any], args: str) -> None:
    ctx.send(cards.statistics(ctx, await directory.statistics(ctx.uow(), ctx.actor)))


async def person(ctx: Context[Any], args: str) -> None:
    await _person(ctx, _id(args))


async def _person(ctx: Context[Any], person_id: int) -> None:
    shown = await people.show_person(ctx.uow(), ctx.actor, person_id)
    history = await people.person_history(ctx.uow(), ctx.actor, person_id)
    ctx.send(cards.person_card(ctx, shown))
    ctx.send(ctx.say("bot.me.history") + "\n" + cards.history_lines(ctx, history, last=10))


async def verify(ctx: Context[Any], args: str) -> None:
    verified = await people.verify_person(ctx.uow(), ctx.actor, _id(args))
    ctx.tell("bot.verify.done", person_id=verified.id, name=verified.full_name)


async def retire(ctx: Context[RetireDraft], args: str) -> None:
    shown = await people.show_person(ctx.uow(), ctx.actor, _id(args))
    if shown.status == "retired":
        ctx.tell("bot.retire.already", person_id=shown.id)
        return
    ctx.start(RETIRE, RetireStep.confirm, RetireDraft(shown.id, shown.version))
    ctx.ask_yes_no(
        ctx.say(
            "bot.retire.confirm", person_id=shown.id, name=shown.full_name, agency=shown.agency_name
        )
    )


async def on_retire(ctx: Context[RetireDraft]) -> None:
    if not ctx.confirmed():
        return
    person_id, version = ctx.draft.person_id, ctx.draft.version
    ctx.end()
    retired = await people.retire_person(ctx.uow(), ctx.actor, person_id, expected_version=version)
    ctx.tell("bot.retire.done", person_id=retired.id, name=retired.full_name)


FIND = Flow("find", FindStep, {FindStep.query: on_query, FindStep.page: on_page}, FindDraft)
AGENCY = Flow(
    "agency", AgencyStep, {AgencyStep.query: on_agency, AgencyStep.pick: on_agency}, NoDraft
)
RETIRE = Flow("retire", RetireStep, {RetireStep.confirm: on_retire}, RetireDraft)
DIALOG = Dialog(
    commands=(
        Command("find", find, Audience.focal, aliases=("tim",)),
        Command("agency", agency, Audience.focal),
        Command("missing", missing, Audience.staff),
        Command("stats", stats, Audience.staff),
        Command("person", person, Audience.focal),
        Command("verify", verify, Audience.focal),
        Command("retire", retire, Audience.focal),
    ),
    flows=(FIND, AGENCY, RETIRE),
)
