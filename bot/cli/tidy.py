"""``spokes tidy``: forget the chat leftovers past their retention once, for cron.

A running ``spokes serve`` does the same every hour (:mod:`bot.pipeline.upkeep`); this command
is for a bot run by polling, or stopped, or to run the pruning at a chosen time. It is
idempotent, and safe beside running servers (each step is one short transaction).
"""

from __future__ import annotations

import typer

from bot.cli.runtime import run, say, tell
from bot.settings import get_bot_settings
from registry.uow import Database


def register(app: typer.Typer) -> None:
    app.command("tidy")(tidy_command)


def tidy_command() -> None:
    """Delete handled updates, unconfirmed lists, expired links and idle dialog state past
    their retention settings."""
    from bot.pipeline.tidy import Retention, tidy

    retention = Retention.from_settings(get_bot_settings())

    async def work(database: Database) -> None:
        tidied = await tidy(database, retention)
        tell(
            say(
                "cli.tidy.done",
                updates=tidied.updates,
                held=tidied.held_files,
                shared=tidied.shared_files,
                conversations=tidied.conversations,
            )
        )

    run(work)
