"""The pipeline's bounds on the real dialogs and database: an update that takes too long gets
the apology and the chat goes on; a transaction PostgreSQL aborts as a serialisation failure is
run again; a process holding enough waiting refuses more; a stop leaves the rest waiting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot.dialogs.engine import Dialogs
from bot.pipeline import Status
from bot.pipeline.protocol import Busy, Limits
from bot.state import inbox
from bot.state.models import ChatUpdate
from bot.texts import t
from registry.uow import Database
from tests.integration.pipeline_kit import CHANNEL, Recorder, Results, message, pipeline

APOLOGY = t("vi", "bot.internal_error")


async def waiting(db: Database) -> int:
    query = select(func.count()).select_from(ChatUpdate).where(ChatUpdate.handled_at.is_(None))
    async with db.uow().reading() as uow:
        return int(await uow.session.scalar(query) or 0)


def slowed(monkeypatch: pytest.MonkeyPatch, word: str) -> asyncio.Event:
    """Make the dialog step of the command ``word`` hang until the returned event is set."""
    release = asyncio.Event()
    handle = Dialogs.handle

    async def slow(self: Dialogs, uow: Any, channel: str, chat: str, user: str, incoming: Any):  # type: ignore[no-untyped-def]
        if incoming.command == word:
            await release.wait()
        return await handle(self, uow, channel, chat, user, incoming)

    monkeypatch.setattr(Dialogs, "handle", slow)
    return release


async def test_an_update_past_its_time_limit_gets_the_apology_and_the_chat_goes_on(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    slowed(monkeypatch, "help")
    recorder, results = Recorder(), Results()
    bot = pipeline(db, recorder, results)
    bot.limits = Limits(update_seconds=0.5)
    slow, then = message("1", "/help"), message("1", "/cancel")
    await bot.accept(slow)
    await bot.handle(then)
    await bot.close()
    assert recorder.chats["1"] == [APOLOGY, t("vi", "bot.nothing_to_cancel")]
    assert results.statuses(slow.delivery) == [Status.failed]
    assert results.statuses(then.delivery) == [Status.answered]
    assert await waiting(db) == 0
    assert bot.backlog == 0


async def test_past_its_intake_bound_a_process_refuses_and_stores_nothing(
    db: Database,
) -> None:
    recorder = Recorder()
    release = recorder.hold()  # the first answer waits: its update is not done yet
    bot = pipeline(db, recorder)
    bot.limits = Limits(intake=2)
    await bot.accept(message("1", "/help"))
    await asyncio.wait_for(recorder.held.wait(), 30)
    await bot.accept(message("1", "/cancel"))
    with pytest.raises(Busy) as busy:
        await bot.accept(message("2", "/cancel"))
    assert busy.value.retry_after > 0
    assert bot.backlog == 2
    release.set()
    await bot.drain()
    assert bot.backlog == 0
    await bot.accept(message("2", "/cancel"))  # room again
    await bot.close()
    assert recorder.chats["2"] == [t("vi", "bot.nothing_to_cancel")]
    assert await waiting(db) == 0


async def test_a_stop_finishes_within_its_grace_and_leaves_the_rest_waiting(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    slowed(monkeypatch, "help")
    for chat in ("1", "2", "3"):  # stored before, as a webhook stores them
        await inbox.store(db.uow(), CHANNEL, f"h{chat}", chat, chat, {"text": "/help"})
        await inbox.store(db.uow(), CHANNEL, f"c{chat}", chat, chat, {"text": "/cancel"})
    bot = pipeline(db, Recorder())
    bot.limits = Limits(update_seconds=600)
    assert await bot.resume() == 3
    await asyncio.sleep(0.1)
    assert await bot.stop(grace=0.2) >= 1  # the others had not begun: they did not
    await bot.close()
    assert await waiting(db) == 6  # every update of the three chats, none half done
    with pytest.raises(Busy):
        await bot.accept(message("4", "/cancel"))
    # The next process takes them up.
    monkeypatch.undo()
    after = Recorder()
    again = pipeline(db, after)
    assert await again.resume() == 3
    await again.close()
    assert await waiting(db) == 0
    assert after.chats["1"][-1] == t("vi", "bot.nothing_to_cancel")


async def test_a_serialisation_failure_is_retried_before_any_apology(
    db: Database, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no serialisation failures: one writer at a time")
    failures = 2
    handle = Dialogs.handle

    async def conflicted(self: Dialogs, uow: Any, *args: Any) -> Any:
        nonlocal failures
        if failures:
            failures -= 1
            # A real one, as PostgreSQL reports it (SQLSTATE 40001), in the update's transaction.
            await uow.session.execute(
                text(
                    "DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' "
                    "USING ERRCODE = 'serialization_failure'; END $$"
                )
            )
        return await handle(self, uow, *args)

    monkeypatch.setattr(Dialogs, "handle", conflicted)
    recorder, results = Recorder(), Results()
    bot = pipeline(db, recorder, results)
    update = message("1", "/cancel")
    await bot.handle(update)
    await bot.close()
    assert failures == 0
    assert recorder.chats["1"] == [t("vi", "bot.nothing_to_cancel")]
    assert results.statuses(update.delivery) == [Status.answered]


async def test_an_error_that_is_not_transient_gets_the_apology_at_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0

    async def broken(self: Dialogs, *args: Any) -> Any:
        nonlocal calls
        calls += 1
        raise RuntimeError("broken")

    monkeypatch.setattr(Dialogs, "handle", broken)
    recorder = Recorder()
    bot = pipeline(db, recorder)
    await bot.handle(message("1", "/cancel"))
    await bot.close()
    assert calls == 1
    assert recorder.chats["1"] == [APOLOGY]
