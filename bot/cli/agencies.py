"""``spokes agencies``: the catalog of ministries, agencies and provinces."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli import render
from bot.cli.runtime import print_json, run, say, tell
from registry import catalog
from registry.actors import Actor
from registry.uow import Database

app = typer.Typer(help="Agencies: load the official lists, list, add.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="agencies")


CLI = Actor.system("cli")


@app.command("load")
def load(
    edition: Annotated[str, typer.Option(help="Which official list: 2024 or 2025.")],
) -> None:
    """Load an official list; loading 2025 over 2024 marks merged agencies."""

    async def work(database: Database) -> catalog.LoadResult:
        return await catalog.load_edition(database.uow(), CLI, edition)

    result = run(work, catalog_use="own")
    tell(say("cli.agencies_loaded", **vars(result)))


@app.command("list")
def list_(
    kind: Annotated[
        str | None, typer.Option(help="Only this kind (ministry, province...).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include merged agencies.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """List the agencies in catalog order."""

    async def work(database: Database) -> list:
        return await catalog.list_agencies(database.uow(), kind=kind, include_all=all_)

    rows = run(work)
    if as_json:
        print_json([row.to_dict() for row in rows])
    else:
        render.agencies(rows)


@app.command("add")
def add(
    name: Annotated[str, typer.Option(help="Official name.")],
    kind: Annotated[str, typer.Option(help="department, commune, other, province...")],
    code: Annotated[
        str | None, typer.Option(help="Stable code; made from the name if absent.")
    ] = None,
    short_name: Annotated[str | None, typer.Option(help="Short name.")] = None,
    parent: Annotated[str | None, typer.Option(help="Parent agency (code or name).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """Add an agency of one's own, e.g. a department under a province."""

    async def work(database: Database):
        return await catalog.add_agency(
            database.uow(),
            CLI,
            name=name,
            kind=kind,
            code=code,
            short_name=short_name,
            parent=parent,
        )

    view = run(work, catalog_use="optional")
    if as_json:
        print_json(view.to_dict())
    else:
        tell(say("cli.agency_added", code=view.code, name=view.name))
