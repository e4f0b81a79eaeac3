"""``spokes db``: schema migrations."""

from __future__ import annotations

import typer

from bot.cli.runtime import run, say, tell
from registry.db import upgrade
from registry.uow import Database

app = typer.Typer(help="Database schema.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")


@app.command("upgrade")
def upgrade_command() -> None:
    """Bring the database schema to the newest revision."""

    async def work(database: Database) -> tuple[str | None, str]:
        before = await upgrade(database.engine)
        return before.current, before.head

    old, head = run(work, upgrade_first=False)
    if old == head:
        tell(say("cli.db_current", revision=head))
    else:
        tell(say("cli.db_upgraded", old=old or "-", new=head))
