"""``spokes claims``: the claims of listed records waiting for a decision, decided from a shell.

The same use cases as the chat's /claims (:mod:`registry.claims`), acting as the system: every
agency's claims are listed, and any may be confirmed or refused. The command line has no chat
to send from, so the decision is told to the claimant's chat through the outbox, in the same
transaction: the running server (or the next ``spokes tick``) sends it. A terminal chat cannot
be written to; its /me shows the record once it is theirs.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot import clock
from bot.cli.runtime import print_json, run, say, tell
from registry import claims
from registry.actors import Actor
from registry.claims import ClaimView
from registry.settings import get_settings
from registry.uow import Database

app = typer.Typer(help="Claims of listed records: list, confirm, refuse.", no_args_is_help=True)
CLI = Actor.system("cli")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="claims")


def _line(claim: ClaimView) -> str:
    return say(
        "cli.claims.line",
        claim_id=claim.id,
        created=clock.shown(claim.created_at),
        person_id=claim.person.id,
        name=claim.person.full_name,
        agency=claim.person.agency_name,
        chat=claim.chat,
        display_name=claim.display_name or say("bot.claims.no_name"),
    )


def _json(claim: ClaimView) -> dict[str, object]:
    return {
        "id": claim.id,
        "status": claim.status,
        "person_id": claim.person.id,
        "name": claim.person.full_name,
        "agency": claim.person.agency_code,
        "chat": claim.chat,
        "display_name": claim.display_name,
        "created_at": claim.created_at.isoformat(),
        "decided_by": claim.decided_by,
        "decided_at": claim.decided_at.isoformat() if claim.decided_at else None,
    }


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The claims waiting for a decision, oldest first."""

    async def work(database: Database) -> list[ClaimView]:
        return await claims.list_claims(database.uow(), CLI)

    waiting = run(work)
    if as_json:
        print_json([_json(c) for c in waiting])
        return
    for claim in waiting:
        tell(_line(claim))
    if not waiting:
        tell(say("cli.claims.none"))


def _decide(claim_id: str, *, confirm: bool, as_json: bool) -> None:
    number = claims.parse_claim_id(claim_id)

    async def work(database: Database) -> tuple[ClaimView, int]:
        # The decision and the message to the claimant's chat are kept together: the server
        # (or the next spokes tick) sends it from the outbox.
        from bot.state import outbox

        async with database.uow() as unit:
            claim = await claims.decide_claim(unit, CLI, number, confirm=confirm)
            person, claimant = claim.person, claim.claimant
            told = await outbox.tell_chats(
                unit.session,
                f"claim:{claim.id}:decided",
                [outbox.Chat(claimant.channel, claimant.external_id, claimant.language)],
                "bot.claims.told_confirmed" if confirm else "bot.claims.told_refused",
                default_language=get_settings().default_language,
                person_id=person.id,
                name=person.full_name,
                agency=person.agency_name,
            )
            await unit.commit()
        return claim, told

    claim, told = run(work)
    if as_json:
        print_json(_json(claim) | {"told": bool(told)})
        return
    key = "bot.claims.confirmed" if confirm else "bot.claims.refused"
    tell(
        say(
            key,
            claim_id=claim.id,
            chat=claim.chat,
            person_id=claim.person.id,
            name=claim.person.full_name,
        )
    )
    tell(say("cli.claims.told" if told else "cli.claims.not_told", chat=claim.chat))


@app.command("confirm")
def confirm(
    claim_id: Annotated[str, typer.Argument(help="The claim's number, as listed.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Confirm a claim: the chat account becomes the record's."""
    _decide(claim_id, confirm=True, as_json=as_json)


@app.command("refuse")
def refuse(
    claim_id: Annotated[str, typer.Argument(help="The claim's number, as listed.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Refuse a claim: the record is left alone."""
    _decide(claim_id, confirm=False, as_json=as_json)
