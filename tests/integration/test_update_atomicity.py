"""One update, one unit of work: the person's record and the dialog state agree after a failure.

A registration is confirmed through the pipeline while a failure is injected after the use case
wrote the person, before the update ends (here: marking the update handled raises). Nothing of
the update may stay: no person, the dialog still at its summary, an apology to the person; and
confirming again registers them, once. (The same with a process killed at that point:
tests/e2e/test_crash_safety.py.)
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.dialogs.engine import Dialogs
from bot.dialogs.io import Reply
from bot.pipeline import Status
from bot.settings import BotSettings
from bot.state import inbox
from bot.state.conversations import load_state
from bot.texts import t
from registry.models import Person
from registry.uow import Database, UnitOfWork
from tests.integration.chat import Chat
from tests.integration.pipeline_kit import CHANNEL, Recorder, Results, choice, pipeline


async def people(db: Database) -> int:
    async with db.uow().reading() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Person)) or 0)


async def at_the_summary(db: Database) -> Reply:
    """Person 7 has answered every question of /register; the summary asks to confirm."""
    chat = Chat(Dialogs(db, BotSettings(_env_file=None)), "7")  # type: ignore[call-arg]
    await chat.consent()
    await chat.say("/register")
    await chat.say("Lào Cai")
    await chat.pick("Tỉnh Lào Cai")
    await chat.say("Nguyễn Văn An")
    await chat.say("Chánh Văn phòng UBND tỉnh")
    await chat.pick("Người phát ngôn")
    await chat.say("0912 345 678")
    await chat.pick("Bỏ qua")
    await chat.say("an.nv@laocai.gov.vn")
    assert chat.pending is not None and chat.pending.question is not None
    return chat.pending


def confirm_key(summary: Reply) -> str:
    [option] = [o for o in summary.options if "Xác nhận" in o.label]
    return option.key


async def test_a_failure_after_the_write_keeps_nothing_of_the_update(
    loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = loaded
    summary = await at_the_summary(db)
    before = await load_state(db.uow(), CHANNEL, "7")
    mark_handled = inbox.mark_handled
    written: list[int] = []

    async def failing_once(uow: UnitOfWork, update_id: int) -> bool:
        if not written:
            # The use case has written the person, in the update's open transaction.
            written.append(await uow.session.scalar(select(func.count()).select_from(Person)) or 0)
            raise RuntimeError("the process failed here")
        return await mark_handled(uow, update_id)

    monkeypatch.setattr(inbox, "mark_handled", failing_once)
    recorder, results = Recorder(), Results()
    bot = pipeline(db, recorder, results)
    await bot.handle(choice("7", summary.question or 0, confirm_key(summary)))

    assert written == [1]
    assert await people(db) == 0
    after = await load_state(db.uow(), CHANNEL, "7")
    assert after.snapshot() == before.snapshot()  # still at the summary, same question
    assert recorder.chats["7"] == [t("vi", "bot.internal_error")]
    assert [result.status for _, result in results.seen] == [Status.failed]

    # The summary's button still works, and registers the person once.
    await bot.handle(choice("7", summary.question or 0, confirm_key(summary)))
    assert "Đã đăng ký #" in recorder.chats["7"][-1]
    assert await people(db) == 1
    await bot.handle(choice("7", summary.question or 0, confirm_key(summary)))
    assert recorder.chats["7"][-1] == t("vi", "bot.question_expired")
    assert await people(db) == 1
    assert (await load_state(db.uow(), CHANNEL, "7")).flow is None
    await bot.close()
