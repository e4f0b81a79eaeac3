"""What every CLI command shares: the language, the database, output as table or JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.console import Console

from bot import clock
from bot.texts import language_of, t
from registry.db import schema_state, upgrade
from registry.settings import get_settings
from registry.uow import Database

T = TypeVar("T")

# Piped into a file or another program, a table must not be cut at 80 columns.
out = Console(width=None if sys.stdout.isatty() else 240)
# Messages are one logical line each: never hard-wrapped at the terminal width.
err = Console(stderr=True, soft_wrap=True)


@dataclass
class CliState:
    language: str = "vi"


state = CliState()


def set_language(language: str | None) -> None:
    state.language = language_of(language or get_settings().default_language)


def say(key: str, **params: Any) -> str:
    return t(state.language, key, **params)


def tell(text: str, *, error: bool = False) -> None:
    """Print one message as is: no wrapping, no markup, no highlighting."""
    (err if error else out).print(text, soft_wrap=True, markup=False, highlight=False)


async def ensure_schema(database: Database) -> None:
    """Upgrade a database that is behind the code, and say so."""
    before = await schema_state(database.engine)
    if before.up_to_date:
        return
    await upgrade(database.engine)
    tell(say("cli.db_upgraded", old=before.current or "-", new=before.head), error=True)


def run(work: Callable[[Database], Awaitable[T]], *, upgrade_first: bool = True) -> T:
    """Open the configured database, bring its schema up to date, and run one use case."""

    async def main() -> T:
        settings = get_settings()
        clock.use_zone(settings.timezone)
        database = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        try:
            if upgrade_first:
                await ensure_schema(database)
            return await work(database)
        finally:
            await database.dispose()
            await _sqlite_threads_stopped()

    return asyncio.run(main())


async def _sqlite_threads_stopped() -> None:
    """Wait, with the event loop still open, for aiosqlite's worker threads to end.

    When a SQLite file cannot be opened, aiosqlite stops its worker thread without waiting for
    it; if ``asyncio.run`` closed the loop first, the thread would print a traceback ("Event
    loop is closed") after our one-line error message.
    """
    for thread in threading.enumerate():
        if thread.name.endswith("(_connection_worker_thread)"):
            await asyncio.to_thread(thread.join, 2.0)


def print_json(value: Any) -> None:
    # Plain print: Rich would re-wrap long lines and break the JSON for other programs.
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))
