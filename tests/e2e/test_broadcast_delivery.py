"""A broadcast to 2,000 chats delivered by ``spokes tick`` against the fake Bot API, the sender
killed (SIGKILL) in the middle and run again: each chat gets the message once, the chats whose
person blocked the bot (403) are marked and not tried again, Telegram's 429 answers are waited
out, and a tick run again sends nothing. And a running bot (polling and webhook) doing the same
work on its own."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.state import broadcasts
from bot.state.models import OutboxMessage
from registry import accounts
from registry.models import Account, AccountRole, Agency
from registry.uow import Database
from tests.builders import grant
from tests.e2e.cli_runner import Spokes, needs_script, ok
from tests.e2e.fake_telegram import TOKEN, FakeTelegram, Mode, bot_running

RECIPIENTS = 2000
FIRST_CHAT = 100_000
TEXT = "Họp trực tuyến lúc 9:00 thứ Hai."


async def _focal_points(db: Database) -> list[int]:
    async with db.uow() as uow:
        hanoi = await uow.session.scalar(select(Agency).where(Agency.code == "tp-ha-noi"))
        assert hanoi is not None
        uow.session.add_all(
            Account(
                channel="telegram",
                external_id=str(FIRST_CHAT + n),
                role=AccountRole.focal,
                agency_id=hanoi.id,
                language="vi",
            )
            for n in range(RECIPIENTS)
        )
        await uow.commit()
    return [FIRST_CHAT + n for n in range(RECIPIENTS)]


async def _sent_rows(db: Database) -> int:
    async with db.uow() as uow:
        count = await uow.session.scalar(
            select(func.count()).where(OutboxMessage.status != "pending")
        )
    return int(count or 0)


def _delivered(fake: FakeTelegram, chats: list[int]) -> dict[int, int]:
    return {chat: len(fake.sent.get(chat, [])) for chat in chats}


@needs_script
async def test_a_killed_sender_resumes_and_every_chat_gets_the_broadcast_once(
    fake: FakeTelegram, database: Database, tmp_path: Path
) -> None:
    chats = await _focal_points(database)
    spokes = Spokes(
        tmp_path,
        database.url,
        env={
            "SPOKES_TELEGRAM_TOKEN": TOKEN,
            "SPOKES_TELEGRAM_BASE_URL": fake.base_url,
            "SPOKES_TELEGRAM_MAX_RATE": "0",
            "SPOKES_OUTBOX_TELEGRAM_RATE": "2000",
            "SPOKES_OUTBOX_PER_CHAT_SECONDS": "0",
            "SPOKES_OUTBOX_LEASE_SECONDS": "3",
        },
    )
    # Sent at once whatever the hour (the subprocess runs on the real clock).
    queued = await asyncio.to_thread(
        spokes, "broadcast", "send", "focal", "--text", TEXT, "--now", "--yes"
    )
    assert f"{RECIPIENTS} cuộc trò chuyện" in ok(queued).stdout
    blocked = {chats[7], chats[1500]}
    fake.blocked_chats = set(blocked)
    # The network goes quiet after 700 messages; the sender is killed once what was answered
    # before is marked (a kill between an answer and its commit would resend that message).
    quiet_network = fake.hold = asyncio.Event()
    fake.hold_after = 700
    try:
        await _killed_and_restarted(fake, spokes, database, chats, blocked)
    finally:
        fake.blocked_chats = set(chats)  # the held requests end in a refusal, unrecorded
        quiet_network.set()


async def _killed_and_restarted(
    fake: FakeTelegram, spokes: Spokes, database: Database, chats: list[int], blocked: set[int]
) -> None:
    sender = spokes.start("tick")
    try:
        async with asyncio.timeout(120):
            while not fake.held or await _sent_rows(database) < 700:
                assert sender.poll() is None, sender.communicate()
                await asyncio.sleep(0.05)
    finally:
        sender.kill()
        await asyncio.to_thread(sender.wait)
    first = _delivered(fake, chats)
    assert sum(first.values()) == 699  # one of the 700 answered was the 403
    # Restarted after the lease: Telegram asks it to slow down three times on the way.
    fake.hold = None
    fake.flood, fake.flood_retry_after = 3, 1
    await asyncio.sleep(3.1)
    again = ok(await asyncio.to_thread(spokes, "tick"))
    delivered = _delivered(fake, chats)
    assert {chat for chat, count in delivered.items() if count != 1} == blocked
    assert all(delivered[chat] == 0 for chat in blocked)
    assert fake.refused[429] == 3 and fake.refused[403] == 2  # each blocked chat tried once
    assert "0 lỗi" in again.stdout and "còn chờ 0" in again.stdout
    # Once more: nothing is due, nothing is sent.
    calls = fake.counts["sendMessage"]
    third = ok(await asyncio.to_thread(spokes, "tick"))
    assert "đã gửi 0" in third.stdout and fake.counts["sendMessage"] == calls
    [status] = json.loads(
        ok(await asyncio.to_thread(spokes, "broadcast", "status", "1", "--json")).stdout
    )
    assert (status["sent"], status["blocked"], status["failed"], status["pending"]) == (
        RECIPIENTS - 2,
        2,
        0,
        0,
    )
    text = fake.sent[chats[0]][0].text
    assert text == f"📣 CỤC BÁO CHÍ:\n\n{TEXT}"


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_the_running_bot_sends_a_broadcast_and_tells_its_author_how_it_went(
    fake: FakeTelegram, database: Database, mode: Mode
) -> None:
    """``spokes run`` and ``spokes serve`` do the scheduled work: the letters of a broadcast
    confirmed in a chat go out, and the author's chat gets the final figures."""
    await grant(database, "telegram:2", "staff")
    for chat in (71, 72, 73):
        await grant(database, f"telegram:{chat}", "focal", agency="Lào Cai")
    fake.blocked_chats = {73}
    staff = await accounts.ensure_account(database.uow(), "telegram", "2")
    view = await broadcasts.create(
        database.uow(),
        staff,
        broadcasts.Segment(broadcasts.SegmentKind.focal),
        TEXT,
        organisation="CỤC BÁO CHÍ",
        default_language="vi",
        urgent=True,  # whatever the hour of the test
        report_to=broadcasts.ReportTo("telegram", "2", "vi"),
    )
    async with bot_running(mode, fake, database, outbox_check_seconds=0.2):
        report = await fake.next_messages(2, 1)
    assert report[0].text == (
        f"Thông báo #{view.id} đã gửi xong: 2/3 đã nhận, 1 đã chặn bot, 0 lỗi."
    )
    assert [m.text for m in fake.messages(71)] == [f"📣 CỤC BÁO CHÍ:\n\n{TEXT}"]
    assert len(fake.messages(72)) == 1 and fake.messages(73) == []
