"""Scheduled work: what the bot does on its own, by one process at a time.

A pass (:func:`scheduled_pass`) runs the scheduled jobs (each enqueues letters into the outbox,
idempotently, by dedupe key: campaign reminders and re-confirmation prompts register in
:data:`JOBS`), then sends everything due (:class:`~bot.pipeline.outbox.Sender`). ``spokes tick``
runs one pass, for cron or a systemd timer; ``spokes serve`` and ``spokes run`` run one every
``SPOKES_OUTBOX_CHECK_SECONDS`` (:func:`scheduling`).

Exactly one process does scheduled work when several share a PostgreSQL database: the one
holding a session-level advisory lock (:class:`RunnerLock`), taken with ``pg_try_advisory_lock``
on a connection of its own and kept as long as the process runs; a process that dies loses its
connection and the lock with it, and another server takes over at its next look. A ``tick``
finding the lock taken leaves the work to its holder. On SQLite (one machine, one process
expected) the lock is always granted; two senders there still never send a message twice
(claims are leases taken under SQLite's write lock), only each keeps its own pace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.pipeline import campaign
from bot.pipeline.outbox import OutboxOptions, Pace, PassReport, Sender
from bot.pipeline.protocol import Courier
from bot.settings import BotSettings
from registry.uow import Database

log = logging.getLogger(__name__)

# The advisory lock's key: one per database, for the scheduled work (any constant not used by
# the chat locks' hashes would do; this one spells "spokes" in ASCII).
RUNNER_KEY = 0x73706F6B6573

# A scheduled job: enqueue what is due at ``now`` (reminders...), idempotently.
Job = Callable[[Database, datetime], Awaitable[object]]
JOBS: list[Job] = [campaign.remind_job, campaign.reconfirm_job]


def outbox_options(settings: BotSettings) -> OutboxOptions:
    telegram_rate = settings.outbox_telegram_rate
    if settings.telegram_max_rate > 0:
        telegram_rate = min(telegram_rate, settings.telegram_max_rate)
    per_chat = settings.outbox_per_chat_seconds
    concurrency = settings.outbox_concurrency
    return OutboxOptions(
        paces={
            "telegram": Pace(telegram_rate, per_chat, concurrency),
            "zalo": Pace(settings.outbox_zalo_rate, per_chat, concurrency),
        },
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        max_attempts=settings.outbox_max_attempts,
        quiet_from=settings.quiet_from,
        quiet_until=settings.quiet_until,
    )


class RunnerLock:
    """Whether this process is the one doing scheduled work (see the module's docstring)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._shared = database.engine.dialect.name == "postgresql"
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        """Take the lock if free (or keep it); False while another process holds it."""
        if not self._shared:
            return True
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT 1"))
                await self._connection.commit()
                return True
            except Exception:
                log.warning("lost the scheduled-work lock's connection; taking it again")
                await self._drop()
        if self._engine is None:
            self._engine = create_async_engine(
                self.database.url, pool_size=1, max_overflow=0, pool_pre_ping=True
            )
        connection = await self._engine.connect()
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": RUNNER_KEY}
            )
            await connection.commit()  # the lock is the session's, not the transaction's
        except BaseException:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.invalidate()
            self._connection = None

    async def release(self) -> None:
        if self._connection is not None:
            try:
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": RUNNER_KEY}
                )
                await self._connection.commit()
                await self._connection.close()
            except Exception:
                await self._drop()  # closing the connection releases it anyway
            self._connection = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


async def scheduled_pass(database: Database, sender: Sender) -> PassReport:
    """The scheduled jobs, then everything due sent."""
    now = sender.now()
    for job in JOBS:
        await job(database, now)
    return await sender.run_once()


@contextlib.asynccontextmanager
async def scheduling(
    database: Database,
    couriers: Sequence[Courier],
    settings: BotSettings,
    *,
    every: float | None = None,
) -> AsyncIterator[None]:
    """Scheduled work in the background while the body runs (by this process when it holds
    the lock); stopped at exit, a pass under way cut short (its claimed messages are due again
    after their lease)."""
    sender = Sender(database, couriers, outbox_options(settings))
    lock = RunnerLock(database)
    task = asyncio.create_task(
        _loop(database, sender, lock, every or settings.outbox_check_seconds)
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await lock.release()


async def _loop(database: Database, sender: Sender, lock: RunnerLock, every: float) -> None:
    holding = False
    while True:
        try:
            got = await lock.acquire()
            if got != holding:
                holding = got
                log.info(
                    "this process does the scheduled work"
                    if got
                    else "another process does the scheduled work"
                )
            if got:
                report = await scheduled_pass(database, sender)
                if report.sent or report.blocked or report.failed:
                    log.info(
                        "outbox: %d sent, %d blocked, %d failed, %d waiting",
                        report.sent,
                        report.blocked,
                        report.failed,
                        report.waiting,
                    )
        except asyncio.CancelledError:
            raise
        except Exception:
            # The database or a platform may be down for a while: try again at the next look.
            log.exception("scheduled work failed")
        await asyncio.sleep(every)
