"""A place where a dry run writes for real, and where everything it wrote is thrown away.

Why: a dry run must report exactly what the real run of the same file then does. Most lists
are decided in memory, read-only, batch after batch (see :mod:`registry.roster.intake.importer`);
but a row that moves someone, renames them, gives them a mobile another row takes or frees, or
updates someone an earlier batch created, is only told exactly by the registry's use cases and
unique indexes, on a database that holds what the rows before it wrote. Keeping all of that in
memory would be a second registry to keep in step with the first. Instead the dry run imports
the list as a real run does, batch after batch, inside a sandbox:

- SQLite: a private copy of the database in a temporary folder (``TMPDIR``), made with
  SQLite's online backup API (the real file is only read, for the time of the copy, as any
  reader does under WAL). The import then writes to the copy, takes its write lock (no one
  else's) and never waits for the real database's writers nor holds them up. The copy is a
  file, not memory, so that a large registry does not make a dry run's process as large; it is
  deleted at the end.
- PostgreSQL: one connection and one transaction of the real database, rolled back at the end.
  PostgreSQL has no database-wide write lock: readers and other writers go on (a writer of the
  very same record or unique name or mobile waits for the dry run's end, as it would for a real
  import's batch). Each of the import's batches commits a SAVEPOINT of that transaction instead
  of the transaction (``join_transaction_mode="create_savepoint"``), so the import runs exactly
  as it does for real.

In both, the sandbox's work is rolled back as a whole at the end, even when the import fails.

Costs: the SQLite copy takes disk space the size of the database while the dry run lasts
(about 90 MB for 50,000 people with their search words and change log) and a fraction of a
second to make; only lists that memory cannot decide pay it. A problem naming someone the dry run would
create (a duplicate's holder) names them by the sandbox's id, which PostgreSQL's sequences will
not give again: the rows' own ids of people created are hidden as before, those are not.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from registry.db import create_engine
from registry.uow import UnitOfWork


@asynccontextmanager
async def sandbox(engine: AsyncEngine) -> AsyncIterator[UnitOfWork]:
    """``async with sandbox(uow.engine) as box:``: a unit of work (not open) whose commits are
    all thrown away when the block ends."""
    async with contextlib.AsyncExitStack() as stack:
        if engine.dialect.name == "sqlite":
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="spokes-dry-run-"))
            engine = await _copy(engine, Path(folder) / "copy.db")
            stack.push_async_callback(engine.dispose)
        async with engine.connect() as connection:
            outer = await connection.begin()
            try:
                sessions = async_sessionmaker(
                    bind=connection,
                    expire_on_commit=False,
                    join_transaction_mode="create_savepoint",
                )
                yield UnitOfWork(sessions)
            finally:
                await outer.rollback()


async def _copy(engine: AsyncEngine, path: Path) -> AsyncEngine:
    """A copy of a SQLite database at ``path``, and an engine on it."""
    copy = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as source, copy.connect() as target:
            reader = (await source.get_raw_connection()).driver_connection
            writer = (await target.get_raw_connection()).driver_connection
            assert reader is not None and writer is not None
            # All pages in one step: the real database is read in one transaction of its own.
            await reader.backup(writer, pages=-1)
    except BaseException:
        await copy.dispose()
        raise
    return copy
