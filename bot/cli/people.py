"""``spokes people``: network members.

``find``, ``list`` and ``show`` are what a person runs most, and want an answer at once: what only
the other commands use (the use cases that write, the data file, the chat data) is imported by
those commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import render
from bot.cli.runtime import print_json, run, say, tell
from registry import directory
from registry.actors import Actor
from registry.models import PersonField
from registry.settings import get_settings
from registry.uow import Database
from registry.views import PersonResult, PersonView

if TYPE_CHECKING:
    from bot.personal_data import DataFile
    from registry import rights

app = typer.Typer(
    help="People: add, list, find, show, update, retire, history, export-data, erase.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="people")


CLI = Actor.system("cli")
JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of a table.")]


def _print_result(result: PersonResult, key: str, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "person": result.person.to_dict(),
                "notices": [{"code": n.code, **n.params} for n in result.notices],
            }
        )
        return
    view = result.person
    tell(say(key, id=view.id, name=view.full_name, agency=view.agency_name))
    render.notices(result.notices)


@app.command("add")
def add(
    agency: Annotated[str, typer.Option(help="Agency code or name, written loosely.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[
        str, typer.Option(help="head, spokesperson, authorized_spokesperson or press_contact.")
    ],
    position: Annotated[str | None, typer.Option(help="Position (chức vụ).")] = None,
    mobile: Annotated[str | None, typer.Option(help="Mobile, in any usual written form.")] = None,
    office_phone: Annotated[
        str | None, typer.Option(help="Office phone, extension allowed.")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Work email.")] = None,
    note: Annotated[str | None, typer.Option(help="Note.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a person (verified, source cli)."""

    async def work(database: Database) -> PersonResult:
        from registry import people

        return await people.register_person(
            database.uow(),
            CLI,
            agency=agency,
            full_name=name,
            role=role,
            position=position,
            mobile=mobile,
            office_phone=office_phone,
            email=email,
            note=note,
            source="cli",
        )

    _print_result(run(work), "cli.person_added", as_json)


@app.command("list")
def list_(
    agency: Annotated[str | None, typer.Option(help="Only this agency.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, verified or retired.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only agencies of this kind.")] = None,
    stale: Annotated[bool, typer.Option("--stale", help="People of merged agencies.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Include retired people.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List people in catalog order."""

    async def work(database: Database) -> list[PersonView]:
        return await directory.list_people(
            database.uow(),
            CLI,
            agency=agency,
            status=status,
            kind=kind,
            stale=stale,
            include_retired=all_,
        )

    rows = run(work)
    if as_json:
        print_json([row.to_dict() for row in rows])
    else:
        title = say("cli.stale_title" if stale else "cli.people_title", count=len(rows))
        render.people(rows, title=title)


@app.command("find")
def find(
    query: Annotated[str, typer.Argument(help="A name (any accents), a phone or an email.")],
    limit: Annotated[int, typer.Option(min=1, max=directory.MAX_PAGE)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    all_: Annotated[bool, typer.Option("--all", help="Include retired people.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Find people by name, phone or email."""

    async def work(database: Database) -> directory.FindResult:
        return await directory.find_people(
            database.uow(), CLI, query, limit=limit, offset=offset, include_retired=all_
        )

    result = run(work)
    if as_json:
        print_json(
            {
                "query_kind": result.query_kind,
                "offset": result.offset,
                "has_more": result.has_more,
                "items": [row.to_dict() for row in result.items],
            }
        )
        return
    render.people(result.items, title=say("cli.found_title", count=len(result.items), query=query))
    if result.has_more:
        tell(say("cli.more_results", offset=result.offset + len(result.items)))


@app.command("show")
def show(person_id: int, as_json: JsonOption = False) -> None:
    """Show one person."""

    async def work(database: Database) -> PersonView:
        from registry import people

        return await people.show_person(database.uow(), CLI, person_id)

    view = run(work)
    if as_json:
        print_json(view.to_dict())
    else:
        render.person(view)


@app.command("update")
def update(
    person_id: int,
    field: Annotated[str, typer.Argument(help=", ".join(f.value for f in PersonField))],
    value: Annotated[str, typer.Argument(help='The new value ("" clears an optional field).')],
    version: Annotated[
        int | None, typer.Option(help="Refuse if the record changed since this version.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change one field of a person."""

    async def work(database: Database) -> PersonResult:
        from registry import people

        return await people.update_field(
            database.uow(), CLI, person_id, field, value, expected_version=version
        )

    _print_result(run(work), "cli.person_updated", as_json)


@app.command("retire")
def retire(
    person_id: int,
    version: Annotated[int | None, typer.Option(help="Refuse if the record changed.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Retire a person; the record and its history are kept."""

    async def work(database: Database) -> PersonView:
        from registry import people

        return await people.retire_person(database.uow(), CLI, person_id, expected_version=version)

    _print_result(PersonResult(run(work)), "cli.person_retired", as_json)


@app.command("verify")
def verify(person_id: int, as_json: JsonOption = False) -> None:
    """Mark a person's record as verified."""

    async def work(database: Database) -> PersonView:
        from registry import people

        return await people.verify_person(database.uow(), CLI, person_id)

    _print_result(PersonResult(run(work)), "cli.person_verified", as_json)


@app.command("history")
def history(person_id: int, as_json: JsonOption = False) -> None:
    """Every change of a person, oldest first."""

    async def work(database: Database) -> list:
        from registry import people

        return await people.person_history(database.uow(), CLI, person_id)

    rows = run(work)
    if as_json:
        print_json([row.to_dict() for row in rows])
    else:
        render.history(rows)


@app.command("export-data")
def export_data(
    person_id: int,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="File to write (default: its name, here)."),
    ] = None,
) -> None:
    """Everything held about one person (record, history, accounts, consents, chat data), as
    a JSON file to give them."""

    async def work(database: Database) -> DataFile:
        from bot.personal_data import data_file

        return await data_file(database.uow(), CLI, person_id=person_id)

    made = run(work)
    path = output if output is not None and not output.is_dir() else (output or Path.cwd())
    if path.is_dir():
        path = path / made.name
    path.write_bytes(made.data)
    tell(say("cli.rights.data_written", records=made.records, path=str(path)))


@app.command("erase")
def erase(
    person_id: int,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for a confirmation.")] = False,
) -> None:
    """Erase a person's personal data for good (their request): the record stays as a tombstone,
    its history keeps who and when, their chats forget what the bot kept."""
    from bot.state import chat_data
    from registry import people, rights

    if not yes:
        view = run(lambda database: people.show_person(database.uow(), CLI, person_id))
        question = say(
            "cli.rights.erase_confirm", id=view.id, name=view.full_name, agency=view.agency_name
        )
        if not typer.confirm(question, default=False):
            tell(say("cli.rights.not_erased"))
            raise typer.Exit(1)

    async def work(database: Database) -> tuple[rights.Erasure, int]:
        from bot.state import outbox

        async with database.uow() as uow:
            erasure = await rights.erase_person(uow, CLI, person_id)
            await chat_data.forget(uow, erasure.chats)
            told = 0
            if erasure.successor_needed:
                # Staff chats hear it as they would from a member's /erase: in the outbox,
                # sent by the running server or the next spokes tick.
                told = await outbox.tell_chats(
                    uow.session,
                    f"erase:{min(erasure.person_ids)}:successor",
                    [outbox.Chat(s.channel, s.external_id, s.language) for s in erasure.staff],
                    "bot.erase.successor",
                    default_language=get_settings().default_language,
                    agency=erasure.agency_name or "",
                    code=erasure.agency_code or "",
                )
            await uow.commit()
            return erasure, told

    erasure, told = run(work)
    tell(say("cli.rights.erased", ids=", #".join(str(i) for i in erasure.person_ids)))
    if erasure.successor_needed:
        tell(
            say(
                "cli.rights.successor",
                agency=erasure.agency_name or "",
                code=erasure.agency_code or "",
            )
        )
        if told:
            tell(say("cli.rights.staff_told", count=told))


@app.command("unconfirmed")
def unconfirmed(
    as_json: JsonOption = False,
) -> None:
    """People who did not confirm their details after two prompts (or cannot be asked)."""
    from bot.cli.campaign import unconfirmed_command

    unconfirmed_command(as_json)
