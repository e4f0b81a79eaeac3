"""Two pipelines on one PostgreSQL database, as two processes would run them: one chat's turn.

The first is caught delivering its answer to update 1 while the second stores update 2 of the
same chat. The second must wait for the chat's lock (it shows in ``pg_locks`` as an advisory
lock not granted) until the first has delivered, and update 2 is answered after update 1, on
the state update 1 left.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from bot.texts import t
from registry.uow import Database
from tests.conftest import BACKENDS
from tests.integration.pipeline_kit import Recorder, message, pipeline

POSTGRES = [b for b in BACKENDS if getattr(b, "values", None) == ("postgres",)]


async def advisory_waiters(db: Database) -> int:
    async with db.engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
    return int(waiting or 0)


async def until_waiting(db: Database, count: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while await advisory_waiters(db) != count:
        assert time.monotonic() < deadline, f"no {count} waiter(s) on the chat's lock"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("backend", POSTGRES)
async def test_two_pipelines_answer_one_chat_in_order(db: Database) -> None:
    recorder = Recorder()  # what the person sees, whichever process answered
    first, second = pipeline(db, recorder), pipeline(db, recorder)
    release = recorder.hold()
    answering = asyncio.create_task(first.handle(message("7", "/lang en")))
    await recorder.held.wait()  # the first is delivering, in the chat's turn
    await second.accept(message("7", "/cancel"))
    await until_waiting(db, 1)
    assert recorder.chats["7"] == []
    release.set()
    await answering
    await second.drain()
    assert recorder.chats["7"] == [t("en", "bot.lang.done"), t("en", "bot.nothing_to_cancel")]
    await until_waiting(db, 0)
    await first.close()
    await second.close()
