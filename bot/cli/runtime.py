"""What every CLI command shares: the language, the database, output as table or JSON.

The schema check every command runs first only reads (it never takes SQLite's write lock), so
listings answer while an import writes. A command that waited the whole busy timeout for the
lock says so in one line, naming the long writer that holds it (see :mod:`registry.writers`):
``run(..., writer=...)`` is how a long command (an import, the server) leaves its note.

A new database has no agencies, and without them every agency is "not found" and the roster is
empty: the first command (or the server) loads the current edition by itself and says so in one
line. A catalog that was loaded and then removed is not reloaded behind anyone's back: a command
that needs it says what to run.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from rich.console import Console
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot import clock
from bot.texts import language_of, number, t
from registry import catalog
from registry.actors import Actor
from registry.db import schema_state, upgrade
from registry.errors import NotFound
from registry.settings import get_settings
from registry.uow import Database

T = TypeVar("T")

# Piped into a file or another program, a table must not be cut at 80 columns. What is printed
# is what people wrote: "[kiêm nhiệm]" or ":smile:" in a position are text, not Rich's styles
# or emoji codes (a stray "[/b]" would even stop the listing).
out = Console(width=None if sys.stdout.isatty() else 240, markup=False, emoji=False)
# Messages are one logical line each: never hard-wrapped at the terminal width.
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False)


@dataclass
class CliState:
    language: str = "vi"


state = CliState()


def set_language(language: str | None) -> None:
    state.language = language_of(language or get_settings().default_language)


def say(key: str, **params: Any) -> str:
    return t(state.language, key, **params)


def count(value: int) -> str:
    """A count for a table cell, digits grouped as the chosen language writes them."""
    return number(state.language, value)


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


# What a command does with the catalog of agencies: "needed" (load it on a new database, refuse
# on an emptied one), "optional" (load it on a new database) or "own" (the command loads it).
CatalogUse = Literal["needed", "optional", "own"]


async def ensure_catalog(database: Database, use: CatalogUse = "needed") -> None:
    """Load the current edition into a database that never had agencies, and say so once;
    refuse, saying what to run, when a command needs agencies and they were removed."""
    if use == "own":
        return
    found = await catalog.catalog_state(database.uow())
    if found == "fresh":
        try:
            result = await catalog.load_edition(
                database.uow(), Actor.system("setup"), catalog.CURRENT_EDITION
            )
        except IntegrityError:  # another process started at the same moment and loaded it
            return
        tell(
            say("cli.catalog.loaded_itself", edition=result.edition, count=result.created),
            error=True,
        )
    elif found == "emptied" and use == "needed":
        raise NotFound("catalog_cli.empty", edition=catalog.CURRENT_EDITION)


def run(
    work: Callable[[Database], Awaitable[T]],
    *,
    upgrade_first: bool = True,
    writer: str | None = None,
    catalog_use: CatalogUse = "needed",
) -> T:
    """Open the configured database, bring its schema up to date, and run one use case.

    ``writer`` names a command that may hold the write lock for long (``spokes import x.xlsx``,
    ``spokes serve``): it is noted beside a SQLite file while the command runs, so that a
    command kept waiting can say who writes. ``catalog_use`` says what the command does with
    the catalog of agencies (see :func:`ensure_catalog`).
    """

    async def main() -> T:
        settings = get_settings()
        clock.use_zone(settings.timezone)
        database = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        try:
            if upgrade_first:
                await ensure_schema(database)
                await ensure_catalog(database, catalog_use)
            return await work(database)
        finally:
            await database.dispose()
            await _sqlite_threads_stopped()

    if writer:
        from registry.writers import writing

        note: AbstractContextManager[object] = writing(get_settings().database_url, writer)
    else:
        note = nullcontext()
    with note:
        return asyncio.run(main())


# SQLSTATE of PostgreSQL's "lock not available" (a lock_timeout or NOWAIT ran out).
_PG_LOCK_NOT_AVAILABLE = "55P03"


def busy_text(error: BaseException) -> str | None:
    """The one line for a database another process keeps busy; None for any other error."""
    cause: BaseException | None = error
    for _ in range(5):  # the database error may come wrapped in another
        if cause is None or isinstance(cause, DBAPIError):
            break
        cause = cause.__cause__ or cause.__context__
    if not isinstance(cause, DBAPIError):
        return None
    original = cause.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if code == _PG_LOCK_NOT_AVAILABLE:
        return say("cli.busy.postgres")
    if "database is locked" not in str(original):
        return None
    from registry.writers import current_writers

    settings = get_settings()
    seconds = f"{settings.sqlite_busy_timeout_ms / 1000:g}"
    writers = [w for w in current_writers(settings.database_url) if w.pid != os.getpid()]
    if not writers:
        return say("cli.busy.sqlite", seconds=seconds)
    first = writers[0]
    return say(
        "cli.busy.sqlite_writer",
        seconds=seconds,
        command=first.command,
        pid=first.pid,
        since=clock.shown(first.since, "%H:%M %d/%m/%Y"),
    )


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
