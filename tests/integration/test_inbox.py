"""The pipeline's inbox on every backend: a repeat is handled once, a stored update survives the
process that stored it, old handled updates are forgotten and waiting ones never are."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.pipeline import Inbound, Result, Status, serving
from bot.state import inbox
from bot.state.models import ChatUpdate
from bot.texts import t
from registry.models import utcnow
from registry.uow import Database
from tests.integration.pipeline_kit import CHANNEL, Recorder, Results, message, pipeline


async def stored(db: Database) -> list[tuple[str, bool, bool]]:
    """(delivery, handled, payload kept) of every stored update, in order."""
    async with db.uow().reading() as uow:
        rows = await uow.session.execute(
            select(ChatUpdate.delivery, ChatUpdate.handled_at, ChatUpdate.payload).order_by(
                ChatUpdate.id
            )
        )
        return [(row[0], row[1] is not None, row[2] is not None) for row in rows]


async def test_a_repeated_delivery_is_stored_and_handled_once(db: Database) -> None:
    recorder, results = Recorder(), Results()
    bot = pipeline(db, recorder, results)
    first = message("7", "/cancel", delivery="u-1")
    await bot.handle(first)
    await bot.handle(first)  # the platform delivered it again
    await bot.accept(message("7", "/cancel", delivery="u-1"))  # and again, by webhook
    await bot.close()
    assert recorder.chats["7"] == [t("vi", "bot.nothing_to_cancel")]
    assert results.statuses("u-1") == [Status.answered, Status.duplicate, Status.duplicate]
    # Handled, and what the person sent is not kept once handled.
    assert await stored(db) == [("u-1", True, False)]


async def test_an_update_stored_by_a_process_that_stopped_is_answered_at_start(
    db: Database,
) -> None:
    # Stored, as a webhook stores it before its 200, by a process that died right after.
    await inbox.store(db.uow(), CHANNEL, "u-2", "8", "8", {"text": "/cancel"})
    await inbox.store(db.uow(), CHANNEL, "u-3", "8", "8", {"text": "xin chào"})
    recorder, results = Recorder(), Results()
    bot = pipeline(db, recorder, results)
    assert await bot.resume() == 1  # one chat
    await bot.close()
    assert recorder.chats["8"] == [t("vi", "bot.nothing_to_cancel"), t("vi", "bot.not_understood")]
    assert [inbound.delivery for inbound, _ in results.seen] == ["u-2", "u-3"]
    assert await stored(db) == [("u-2", True, False), ("u-3", True, False)]
    # Nothing is left waiting: a second start resumes nothing.
    assert await pipeline(db, Recorder()).resume() == 0


async def test_only_the_channels_a_process_serves_are_resumed(db: Database) -> None:
    await inbox.store(db.uow(), "zalo", "m-1", "u-1", "u-1", {"event_name": "x"})
    assert await pipeline(db, Recorder()).resume() == 0  # this one has no Zalo channel
    assert await stored(db) == [("m-1", False, True)]


async def test_an_update_nobody_has_to_answer_is_closed_quietly(db: Database) -> None:
    recorder, results = Recorder(), Results()
    bot = pipeline(db, recorder, results)
    await bot.handle(Inbound(CHANNEL, "u-4", "9", "9", {"photo": "a sticker"}))
    await bot.close()
    assert recorder.chats["9"] == []
    assert results.statuses("u-4") == [Status.ignored]
    assert await stored(db) == [("u-4", True, False)]


async def test_handled_updates_are_forgotten_after_the_retention_and_waiting_ones_kept(
    db: Database,
) -> None:
    bot = pipeline(db, Recorder())
    for key in ("old", "recent"):
        await bot.handle(message("7", "/cancel", delivery=key))
    await inbox.store(db.uow(), CHANNEL, "waiting", "8", "8", {"text": "/cancel"})
    async with db.uow() as uow:
        long_ago = utcnow() - timedelta(days=8)
        await uow.session.execute(
            update(ChatUpdate)
            .where(ChatUpdate.delivery.in_(["old", "waiting"]))
            .values(received_at=long_ago)
        )
        await uow.session.execute(
            update(ChatUpdate).where(ChatUpdate.delivery == "old").values(handled_at=long_ago)
        )
        await uow.commit()
    assert await bot.prune(timedelta(days=7)) == 1
    assert [key for key, *_ in await stored(db)] == ["recent", "waiting"]
    assert await bot.prune(timedelta(days=7)) == 0
    await bot.close()
    # The record of "recent" still keeps its repeat out.
    assert await inbox.store(db.uow(), CHANNEL, "recent", "7", "7", {}) is None


async def test_a_failure_is_apologised_for_and_not_tried_again(db: Database) -> None:
    class Broken(Recorder):
        async def deliver(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("the platform is down")

    recorder, results = Broken(), Results()
    bot = pipeline(db, recorder, results)
    await bot.handle(message("7", "/cancel", delivery="u-5"))
    assert recorder.chats["7"] == [t("vi", "bot.internal_error")]
    [(_, result)] = results.seen
    assert result.status == Status.failed and "down" in str(result.error)
    assert await bot.resume() == 0
    await bot.close()
    async with db.uow().reading() as uow:
        waiting = await uow.session.scalar(
            select(func.count()).select_from(ChatUpdate).where(ChatUpdate.handled_at.is_(None))
        )
    assert waiting == 0


async def test_a_running_server_takes_up_updates_another_process_left_waiting(
    db: Database,
) -> None:
    recorder, results = Recorder(), Results()
    bot = pipeline(db, recorder, results)
    answered = asyncio.Event()

    async def note(inbound: Inbound, result: Result) -> None:
        answered.set()

    bot.on_done.append(note)
    async with serving(bot, timedelta(days=7), check_every=0.05):
        # Stored by another process, which died before handling it.
        await inbox.store(db.uow(), CHANNEL, "u-6", "9", "9", {"text": "/cancel"})
        await asyncio.wait_for(answered.wait(), 10)
    assert recorder.chats["9"] == [t("vi", "bot.nothing_to_cancel")]
    assert results.statuses("u-6") == [Status.answered]
