"""``spokes stats`` and ``spokes missing``."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli import render
from bot.cli.runtime import print_json, run, say, tell
from registry import directory
from registry.actors import Actor
from registry.uow import Database
from registry.views import AgencyView

CLI = Actor.system("cli")


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)
    app.command("missing")(missing)


def stats(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of tables.")] = False,
) -> None:
    """Agencies answered by kind; people by role and status."""

    async def work(database: Database) -> directory.Statistics:
        return await directory.statistics(database.uow(), CLI)

    result = run(work)
    if as_json:
        print_json(result.to_dict())
    else:
        render.statistics(result)


def missing(
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Current agencies nobody has registered for."""

    async def work(database: Database) -> list[AgencyView]:
        return await directory.missing_agencies(database.uow(), CLI, kind=kind)

    rows = run(work)
    if as_json:
        print_json([row.to_dict() for row in rows])
        return
    render.agencies(rows)
    tell(say("cli.missing_count", count=len(rows)))
