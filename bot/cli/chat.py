"""``spokes chat``: the bot in the terminal, on the configured database."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.runtime import run, tell
from registry.uow import Database


def register(app: typer.Typer) -> None:
    app.command("chat")(chat)


def chat(
    user: Annotated[
        str, typer.Option(help="Your id in the terminal channel (console:ID for accounts grant).")
    ] = "1",
    name: Annotated[str | None, typer.Option(help="The name the bot knows you by.")] = None,
) -> None:
    """Talk to the bot in the terminal: type messages, answer questions with their number."""
    if not user.isalnum() or len(user) > 64:
        raise typer.BadParameter("--user must be letters and digits, at most 64")

    # Imported here: the dialogs bring in what every chat feature needs (workbooks, files).
    from bot.channels.console import converse, stdin_line
    from bot.dialogs.engine import Dialogs
    from bot.settings import get_bot_settings

    async def work(database: Database) -> None:
        dialogs = Dialogs(database, get_bot_settings())
        await converse(
            dialogs,
            user,
            stdin_line,
            tell,
            display_name=name,
            echo=not sys.stdin.isatty(),
            resume=True,
        )

    run(work)
