"""The pipeline of a running server: what it picks up at start, what it tidies while it runs.

At start, chats with updates stored but not handled (a process stopped or died in between) are
resumed. Every minute, chats whose updates have waited that long are resumed again (their
process may have died while this one runs), and every hour handled updates older than the
retention period are forgotten: no platform delivers them again, and the table stays small.
At exit, what was accepted is handled before the channels close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta

from bot.pipeline.core import Pipeline
from registry.models import utcnow

log = logging.getLogger(__name__)

CHECK_EVERY = 60.0  # seconds between two looks for chats left waiting
PRUNE_EVERY = 3600.0  # seconds between two prunings


@contextlib.asynccontextmanager
async def serving(
    pipeline: Pipeline, retention: timedelta, *, check_every: float = CHECK_EVERY
) -> AsyncIterator[Pipeline]:
    """Resume, keep tidy while the body runs, and finish the work under way at exit."""
    resumed = await pipeline.resume()
    if resumed:
        log.info("resuming %d chats with updates waiting", resumed)
    upkeep = asyncio.create_task(_upkeep(pipeline, retention, check_every))
    try:
        yield pipeline
    finally:
        upkeep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await upkeep
        await pipeline.drain()


async def _upkeep(pipeline: Pipeline, retention: timedelta, check_every: float) -> None:
    pruned_at: float | None = None
    while True:
        try:
            if pruned_at is None or time.monotonic() - pruned_at >= PRUNE_EVERY:
                pruned_at = time.monotonic()
                pruned = await pipeline.prune(retention)
                if pruned:
                    log.info("forgot %d updates handled more than %s ago", pruned, retention)
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
