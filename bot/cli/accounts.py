"""``spokes accounts``: who may do what in the bot."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from bot.cli import render
from bot.cli.runtime import print_json, run, say, tell
from registry import accounts
from registry.actors import Actor
from registry.errors import ValidationError
from registry.uow import Database
from registry.views import AccountView

app = typer.Typer(help="Chat accounts and their roles.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="accounts")


CLI = Actor.system("cli")


def _shown(view: AccountView) -> AccountView:
    """A linked identity is written with the one whose role it shares: zalo:abc → telegram:1."""
    if view.linked_to is None:
        return view
    return replace(view, identity=f"{view.identity} → {view.linked_to}")


def _done(view: AccountView, key: str, as_json: bool) -> None:
    if as_json:
        print_json(view.to_dict())
    else:
        role = say(f"account_role.{view.role}")
        identity = _shown(view).identity
        tell(say(key, identity=identity, role=role, agency=view.agency_code or "").rstrip())


@app.command("grant")
def grant(
    identity: Annotated[str, typer.Argument(help="channel:id, e.g. telegram:123456 or console:7")],
    role: Annotated[str, typer.Argument(help="admin, staff, focal or member")],
    agency: Annotated[
        str | None, typer.Option(help="The agency a focal point answers for.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Give a chat identity a role."""

    async def work(database: Database) -> AccountView:
        try:
            return await accounts.grant(database.uow(), CLI, identity, role, agency=agency)
        except ValidationError as error:
            if error.code != "account.focal_needs_agency":
                raise
            # The chat asks for the agency in words; here it is an option of the command.
            raise ValidationError("accounts_cli.focal_needs_agency") from error

    _done(run(work), "cli.account_granted", as_json)


@app.command("revoke")
def revoke(
    identity: Annotated[str, typer.Argument(help="channel:id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Take a role back (the identity stays a member)."""

    async def work(database: Database) -> AccountView:
        return await accounts.revoke(database.uow(), CLI, identity)

    _done(run(work), "cli.account_revoked", as_json)


@app.command("list")
def list_(
    role: Annotated[str | None, typer.Option(help="Only this role.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List chat accounts and their roles."""

    async def work(database: Database) -> list[AccountView]:
        return await accounts.list_accounts(database.uow(), CLI, role=role)

    rows = run(work)
    if as_json:
        print_json([row.to_dict() for row in rows])
    else:
        render.accounts([_shown(row) for row in rows])
