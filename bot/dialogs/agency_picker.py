"""The agency picker every flow asks with: a typed name becomes the agencies it may mean.

/register, /import (a list without an agency) and the staff flows ask "which agency?" the same
way: merged names of 2024 are said before their successor is offered, a name a letter or two
off gets "did you mean", and "UBND" alone asks which province. The options offered are kept in
the draft (``agency_options``, ``[id, code]`` pairs) so that the answer picks one of them.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.dialogs import cards
from bot.dialogs.context import Context
from bot.dialogs.io import Option
from registry import catalog
from registry.errors import Ambiguous, RegistryError, ValidationError

MAX_AGENCY_QUERY = 200


class PickingDraft(Protocol):
    agency_options: list[list[str]]


async def offer_agencies(
    ctx: Context[Any], text: str, *, ask: str, not_found: str, pick: str, **params: Any
) -> None:
    """Offer the agencies ``text`` may mean, or say why none and ask (``ask``) again.

    ``not_found`` and ``pick`` are the flow's own text keys (with ``params``, and ``query`` /
    ``count`` added).
    """
    draft: PickingDraft = ctx.draft
    query = text.strip()
    if len(query) > MAX_AGENCY_QUERY:
        ctx.fail(ValidationError("text.too_long", field="agency", max=MAX_AGENCY_QUERY))
        ctx.ask(ask)
        return
    try:
        picked = await catalog.pick_agencies(ctx.uow(), query, limit=8)
    except Ambiguous as error:
        # "UBND" alone: which province's or city's?
        if error.code != "agency_name.which_province":
            raise
        ctx.ask(ctx.say("bot.agency_name.which_province"))
        return
    except RegistryError as error:
        ctx.fail(error)
        ctx.ask(ask)
        return
    found = picked.agencies
    if not found:
        ctx.tell(not_found, query=query[:60], **params)
        ctx.ask(ask)
        return
    # A name of 2024 (Yên Bái, Bộ TT&TT): said before the agency it merged into is offered.
    for line in cards.merged_lines(ctx, picked.notices):
        ctx.send(line)
    draft.agency_options = [[str(a.id), a.code] for a in found]
    question = (
        ctx.say("bot.agency_name.did_you_mean", query=query[:60])
        if picked.guessed
        else ctx.say(pick, count=len(found), **params)
    )
    ctx.ask(question, [Option(str(a.id), cards.agency_name(ctx, a.code, a.name)) for a in found])


def offered(draft: PickingDraft, key: str) -> tuple[int, str] | None:
    """The agency (id, code) an answer picked among those offered; ``None`` for another key."""
    found = next((o for o in draft.agency_options if o[0] == key), None)
    return None if found is None else (int(found[0]), found[1])
