"""The pipeline of a running server: what it picks up at start, what it tidies while it runs.

At start, chats with updates stored but not handled (a process stopped or died in between) are
resumed. Every minute, chats whose updates have waited that long are resumed again (their
process may have died while this one runs), and every hour the leftovers past their retention
are forgotten (:mod:`bot.pipeline.tidy`: handled updates, lists never confirmed, expired links,
the dialog state of long-silent chats). At exit the work under way is given ``grace`` seconds
to finish (the channels can still deliver meanwhile); what is left waits in the inbox for the
next start, so a stop takes a bounded time however long the backlog.

Imports confirmed in a chat or on the upload page run beside the chats
(:mod:`bot.pipeline.jobs`): the job runner starts with the server and stops first at exit,
putting a run under way back in the queue for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

from bot.pipeline.core import Pipeline
from bot.pipeline.jobs import JobRunner
from bot.pipeline.tidy import Retention, tidy
from bot.state.gate import write_gate
from registry.models import utcnow

log = logging.getLogger(__name__)

CHECK_EVERY = 60.0  # seconds between two looks for chats left waiting
PRUNE_EVERY = 3600.0  # seconds between two prunings


@contextlib.asynccontextmanager
async def serving(
    pipeline: Pipeline,
    retention: timedelta | Retention,
    *,
    check_every: float = CHECK_EVERY,
    prune_every: float = PRUNE_EVERY,
    grace: float | None = None,
) -> AsyncIterator[Pipeline]:
    """Resume, keep tidy while the body runs, and finish the work under way at exit: all of
    it, or (``grace`` seconds given) what finishes in that time."""
    kept = (
        retention if isinstance(retention, Retention) else replace(Retention(), updates=retention)
    )
    resumed = await pipeline.resume()
    if resumed:
        log.info("resuming %d chats with updates waiting", resumed)
    upkeep = asyncio.create_task(_upkeep(pipeline, kept, check_every, prune_every))
    database = pipeline.database
    jobs = JobRunner(
        database,
        pipeline.dialogs.settings,
        pipeline.deliver,
        gate=lambda: write_gate(database),
        check_every=check_every,
    )
    pipeline.on_done.append(jobs.on_update)
    jobs.start()
    try:
        yield pipeline
    finally:
        await jobs.stop()
        pipeline.on_done.remove(jobs.on_update)
        upkeep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await upkeep
        if grace is None:
            await pipeline.drain()
        else:
            cut = await pipeline.stop(grace)
            if cut:
                log.info(
                    "stopped with %d chat runs cut short; their updates wait in the inbox", cut
                )


async def _upkeep(
    pipeline: Pipeline, retention: Retention, check_every: float, prune_every: float
) -> None:
    pruned_at: float | None = None
    while True:
        try:
            if pruned_at is None or time.monotonic() - pruned_at >= prune_every:
                pruned_at = time.monotonic()
                tidied = await tidy(pipeline.database, retention)
                if tidied.total:
                    log.info("forgot leftovers past their retention: %s", tidied)
            await asyncio.sleep(check_every)
            stale = utcnow() - timedelta(seconds=check_every)
            resumed = await pipeline.resume(received_before=stale)
            if resumed:
                log.warning("resuming %d chats whose updates were left waiting", resumed)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The database may be down for a while: try again at the next round.
            log.exception("pipeline upkeep failed")
            await asyncio.sleep(check_every)
