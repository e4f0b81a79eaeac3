"""The Telegram bot end to end: the real python-telegram-bot Application, HTTP to a fake Bot API.

Every test runs in both modes (long polling and webhook behind the Starlette server) on its own
SQLite database, and checks what the person in the chat sees: the bot's messages, their
buttons, and the spinner of a pressed button going away (answerCallbackQuery).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.dialogs.engine import Dialogs, Outcome
from bot.dialogs.io import Document, Incoming, Option, Reply
from bot.state.models import ChatUpdate
from bot.texts import error_text, t
from registry.actors import deny
from registry.db import upgrade
from registry.uow import Database, UnitOfWork
from tests.e2e.fake_telegram import (
    WEBHOOK_SECRET,
    FakeTelegram,
    FakeUser,
    RunningBot,
    SentMessage,
    bot_running,
)

MODES = ["polling", "webhook"]


def vi(key: str, **params: Any) -> str:
    return t("vi", key, **params)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as server:
        yield server


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await upgrade(db.engine)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def bot(mode: str, fake: FakeTelegram, database: Database) -> AsyncIterator[RunningBot]:
    async with bot_running(mode, fake, database) as running:  # type: ignore[arg-type]
        yield running


async def start(user: FakeUser) -> SentMessage:
    """/start: the welcome, then the personal-data question with Accept / Decline."""
    await user.send("/start")
    welcome, question = await user.replies(2)
    assert welcome.text == vi("bot.start.welcome")
    assert question.text == vi("bot.consent.notice")
    assert question.labels == [vi("bot.consent.accept"), vi("bot.consent.decline")]
    return question


async def accept(fake: FakeTelegram, user: FakeUser, question: SentMessage) -> None:
    """Press Accept: the spinner stops, the buttons vanish, the bot thanks the person."""
    await user.press(question, vi("bot.consent.accept"))
    assert (await user.reply()).text == vi("bot.consent.accepted")
    query = fake.calls_of("answerCallbackQuery")[-1].params["callback_query_id"]
    assert fake.answered(query)
    assert question.buttons == []


# --- starting up ------------------------------------------------------------------------------


async def test_start_is_answered(bot: RunningBot, fake: FakeTelegram) -> None:
    user = fake.user(701)
    question = await start(user)
    await accept(fake, user, question)
    # Answered once, from the right chat only.
    assert fake.unread(user.chat_id) == []
    assert set(fake.sent) == {user.chat_id}


async def test_startup_registers_the_menus_and_the_update_source(
    bot: RunningBot, fake: FakeTelegram
) -> None:
    assert ("start", vi("bot.command.start")) in fake.commands["vi"]
    assert ("start", t("en", "bot.command.start")) in fake.commands["en"]
    assert fake.commands["vi"] != fake.commands["en"]
    assert fake.commands[""] == fake.commands["vi"]  # the default menu is Vietnamese
    methods = [call.method for call in fake.calls]
    if bot.mode == "polling":
        assert methods.index("deleteWebhook") < methods.index("getUpdates")
    else:
        (registration,) = fake.calls_of("setWebhook")
        assert registration.params["url"] == bot.webhook_url
        assert registration.params["secret_token"] == WEBHOOK_SECRET
        assert "getUpdates" not in methods


# --- order, duplicates, concurrency -------------------------------------------------------------


async def test_an_update_delivered_twice_is_handled_once(
    bot: RunningBot, fake: FakeTelegram
) -> None:
    user = fake.user(702)
    await user.send("/start", times=2)
    assert [m.text for m in await user.replies(2)] == [
        vi("bot.start.welcome"),
        vi("bot.consent.notice"),
    ]
    # Had the copy been handled too, the welcome would come again before this answer.
    await user.send("/cancel")
    assert (await user.reply()).text == vi("bot.cancelled")


async def test_two_chats_interleaved_each_get_their_answers_in_order(
    bot: RunningBot, fake: FakeTelegram
) -> None:
    users = [fake.user(710 + n) for n in range(3)]
    script = ["/start", "/cancel", "/cancel", "xin chào", "/khonglenh"]
    # Everything is sent before any answer is awaited: the bot sees the chats interleaved.
    for line in script:
        for user in users:
            await user.send(line)
    expected = [
        vi("bot.start.welcome"),
        vi("bot.consent.notice"),
        vi("bot.cancelled"),
        vi("bot.nothing_to_cancel"),
        vi("bot.not_understood"),
        vi("bot.unknown_command", command="khonglenh"),
    ]
    for user in users:
        assert [m.text for m in await user.replies(len(expected))] == expected


async def test_a_slow_chat_does_not_hold_up_another(bot: RunningBot, fake: FakeTelegram) -> None:
    """A document that takes long to fetch holds up its own chat only."""
    slow, quick = fake.user(720), fake.user(721)
    fake.slow_files["upl1"] = gate = asyncio.Event()
    await slow.send_document("danh-sach.csv", b"a;b\n")  # stored as upl1
    await slow.send("/cancel")
    await start(quick)  # answered while the slow chat waits for its download
    assert fake.unread(slow.chat_id) == []
    gate.set()
    first, second = await slow.replies(2)
    assert first.text == error_text("vi", deny("people.import"))  # a member may not import
    assert second.text == vi("bot.nothing_to_cancel")


# --- what a person may send -------------------------------------------------------------------


async def test_stickers_and_photos_get_a_polite_answer(bot: RunningBot, fake: FakeTelegram) -> None:
    user = fake.user(730)
    await user.send_sticker()
    assert (await user.reply()).text == vi("bot.unsupported")
    await start(user)
    await user.send_photo()
    assert [m.text for m in await user.replies(2)] == [
        vi("bot.unsupported"),
        vi("bot.still_waiting"),
    ]


async def test_a_button_of_an_old_message_changes_nothing(
    bot: RunningBot, fake: FakeTelegram
) -> None:
    user = fake.user(731)
    old = await start(user)
    current = await start(user)
    await user.press(old, vi("bot.consent.accept"))
    assert (await user.reply()).text == vi("bot.question_expired")
    assert old.buttons == []  # the old buttons vanished
    assert current.labels == [vi("bot.consent.accept"), vi("bot.consent.decline")]
    await accept(fake, user, current)


async def test_forged_callback_data_changes_nothing(bot: RunningBot, fake: FakeTelegram) -> None:
    user = fake.user(732)
    question = await start(user)
    for data in ("99:yes", "garbage", "1:" + "x" * 62, ""):
        await user.press_data(question, data)
        reply = await user.reply()
        assert reply.text in {vi("bot.question_expired"), vi("bot.choose_option")}, data
        if reply.text == vi("bot.choose_option"):
            question = await user.reply()  # the same question, asked again
    assert all(
        fake.answered(c.params["callback_query_id"]) for c in fake.calls_of("answerCallbackQuery")
    )
    assert len(fake.calls_of("answerCallbackQuery")) == 4
    # Consent was not recorded: /start asks again, and Accept still works.
    await accept(fake, user, await start(user))


async def test_what_arrives_reaches_the_dialogs_as_sent(
    bot: RunningBot, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands with arguments, contacts (own or not), edits: each is told apart."""

    async def echo(
        self: Dialogs, uow: UnitOfWork, channel: str, chat_id: str, user_id: str, incoming: Incoming
    ) -> Outcome:
        described = (
            f"{channel} {chat_id} {user_id} {incoming.kind} {incoming.command} {incoming.text!r} "
            f"{incoming.contact_phone} {incoming.contact_is_own} {incoming.display_name}"
        )
        return Outcome([Reply(described)], "vi")

    monkeypatch.setattr(Dialogs, "handle", echo)
    user = fake.user(733)
    await user.send("/Find@spokes_test_bot Nguyễn  Văn An")
    await user.share_contact("+84912345678", own=True)
    await user.share_contact("+84987654321", own=False)
    await user.send("123")
    await user.edit("124")
    assert [m.text for m in await user.replies(5)] == [
        "telegram 733 733 command find 'Nguyễn  Văn An' None False An Nguyễn",
        "telegram 733 733 contact None '' +84912345678 True An Nguyễn",
        "telegram 733 733 contact None '' +84987654321 False An Nguyễn",
        "telegram 733 733 text None '123' None False An Nguyễn",
        "telegram 733 733 unsupported None '' None False An Nguyễn",
    ]


# --- how replies look ---------------------------------------------------------------------------


async def test_long_answers_are_split_and_keep_their_buttons_on_the_last_part(
    bot: RunningBot, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        f"{n:04d}. Nguyễn Văn An — Bộ Thông tin và Truyền thông — 0912 345 678" for n in range(300)
    ]
    long = "\n".join(lines)
    assert len(long) > 3 * 4096

    async def directory(
        self: Dialogs, uow: UnitOfWork, channel: str, chat_id: str, user_id: str, incoming: Incoming
    ) -> Outcome:
        return Outcome([Reply(long, options=[Option("next", "Trang sau")], question=3)], "vi")

    monkeypatch.setattr(Dialogs, "handle", directory)
    user = fake.user(740)
    await user.send("/find an")
    await fake.wait_for(lambda: any(m.buttons for m in fake.messages(user.chat_id)))
    parts = fake.unread(user.chat_id)
    assert len(parts) > 1
    assert all(3500 < len(part.text) <= 4096 for part in parts[:-1])
    assert "\n".join(part.text for part in parts) == long  # cut between lines, nothing lost
    assert [part.labels for part in parts] == [[]] * (len(parts) - 1) + [["Trang sau"]]
    assert parts[-1].button("Trang sau")["callback_data"] == "3:next"


async def test_the_contact_button_is_offered_then_taken_away(
    bot: RunningBot, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def mobile_question(
        self: Dialogs, uow: UnitOfWork, channel: str, chat_id: str, user_id: str, incoming: Incoming
    ) -> Outcome:
        if incoming.kind == "contact":
            return Outcome([Reply("Đã nhận số " + (incoming.contact_phone or ""))], "vi")
        return Outcome([Reply("Số di động của bạn?", question=4, ask_contact=True)], "vi")

    monkeypatch.setattr(Dialogs, "handle", mobile_question)
    user = fake.user(741)
    await user.send("/register")
    asked = await user.reply()
    assert asked.asks_contact
    assert asked.reply_markup is not None
    assert asked.reply_markup["keyboard"][0][0]["text"] == vi("bot.contact_button")
    await user.share_contact("+84912345678")
    thanked = await user.reply()
    assert thanked.text == "Đã nhận số +84912345678"
    assert thanked.removes_keyboard


async def test_documents_are_fetched_and_sent(
    bot: RunningBot, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = Document("danh-sach.csv", "họ tên;chức vụ\nAn;Chánh Văn phòng\n".encode(), "text/csv")

    async def files(
        self: Dialogs, uow: UnitOfWork, channel: str, chat_id: str, user_id: str, incoming: Incoming
    ) -> Outcome:
        content = incoming.file_content
        got = "-" if content is None else content.decode()
        text = f"{incoming.kind} {incoming.file_name} {incoming.file_size} {incoming.text} {got}"
        if incoming.text == "dài":  # a caption longer than Telegram's 1024 characters
            text = "x" * 1500
        return Outcome([Reply(text, document=roster)], "vi")

    monkeypatch.setattr(Dialogs, "handle", files)
    user = fake.user(742)
    await user.send_document("nhap.csv", b"a;b\n", caption="Danh")
    sent = await user.reply()
    assert sent.text == "file nhap.csv 4 Danh a;b\n"  # the caption of the bot's document
    assert sent.document is not None and sent.document["file_name"] == "danh-sach.csv"
    assert fake.files[sent.document["file_id"]] == roster.content

    # Over the 20 MB bots may download: the dialogs get the name and size, no content.
    await user.send_document("lon.xlsx", b"", size=25 * 1024 * 1024)
    assert (await user.reply()).text == "file lon.xlsx 26214400  -"
    assert len(fake.calls_of("getFile")) == 1

    # A text too long for a caption comes first, then the document without one.
    await user.send_document("nhap.csv", b"a", caption="dài")
    text, document = await user.replies(2)
    assert (text.text, text.document) == ("x" * 1500, None)
    assert document.document is not None and document.text == ""


# --- failures -----------------------------------------------------------------------------------


async def test_an_error_is_apologised_for_and_the_next_message_works(
    bot: RunningBot,
    fake: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = fake.user(750)
    question = await start(user)
    handle = Dialogs.handle
    failures = [RuntimeError("the database went away")]

    async def failing_once(
        self: Dialogs, uow: UnitOfWork, channel: str, chat_id: str, user_id: str, incoming: Incoming
    ) -> Outcome:
        if failures:
            raise failures.pop()
        return await handle(self, uow, channel, chat_id, user_id, incoming)

    monkeypatch.setattr(Dialogs, "handle", failing_once)
    with caplog.at_level(logging.ERROR):
        update_id = await user.press(question, vi("bot.consent.accept"))
        assert (await user.reply()).text == vi("bot.internal_error")
    logged = [r for r in caplog.records if f"update {update_id}" in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "the database went away" in str(logged[0].exc_info[1])
    # The question was not lost: its buttons are still there, and pressing again works.
    await accept(fake, user, question)


async def test_the_conversation_survives_a_restart(
    mode: str, fake: FakeTelegram, database: Database
) -> None:
    user = fake.user(760)
    async with bot_running(mode, fake, database):  # type: ignore[arg-type]
        first = await user.send("/start")
        question = (await user.replies(2))[1]
    async with bot_running(mode, fake, database):  # type: ignore[arg-type]
        # An update delivered again after the restart is still recognised...
        await fake.redeliver(first)
        # ...and the question asked before the restart can still be answered.
        await accept(fake, user, question)


# --- the web server -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["webhook"])
async def test_the_webhook_refuses_a_wrong_or_missing_secret_and_malformed_bodies(
    bot: RunningBot, fake: FakeTelegram, database: Database
) -> None:
    user = fake.user(770)
    update = (
        '{"update_id": 99, "message": {"message_id": 1, "date": 0, "text": "/start",'
        ' "chat": {"id": 770, "type": "private"}, "from": {"id": 770, "is_bot": false,'
        ' "first_name": "An"}}}'
    )
    assert await bot.post(update, secret="wrong-secret-0123456789") == 403
    assert await bot.post(update, secret=None) == 403
    assert await bot.post(update, secret=WEBHOOK_SECRET[:-1]) == 403
    for body in ("not json", "[1, 2]", '"text"', '{"foo": 1}', '{"update_id": "99"}', "{"):
        assert await bot.post(body) == 400, body
    async with database.uow().reading() as uow:  # nothing of it was stored
        assert await uow.session.scalar(select(func.count()).select_from(ChatUpdate)) == 0
    # None of it was handled: the person's next message is the first one answered.
    await user.send("/cancel")
    assert (await user.reply()).text == vi("bot.nothing_to_cancel")
    assert fake.messages(user.chat_id)[0].text == vi("bot.nothing_to_cancel")
    # The same update with the right secret is taken, answered with 200 at once, and handled.
    assert await bot.post(update) == 200
    assert (await user.reply()).text == vi("bot.start.welcome")


@pytest.mark.parametrize("mode", ["webhook"])
async def test_health_reports_the_database(bot: RunningBot, tmp_path: Path) -> None:
    from bot import web

    assert bot.webhook_url is not None
    async with httpx.AsyncClient() as client:
        response = await client.get(bot.webhook_url.replace("/telegram/webhook", "/healthz"))
    expected = {"status": "ok", "database": "ok", "inbox": {"waiting": 0, "this_process": 0}}
    assert (response.status_code, response.json()) == (200, expected)

    # The same server on a database that cannot be opened.
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    sock = web.listen("127.0.0.1", 0)
    stop = asyncio.Event()
    serving = asyncio.create_task(web.serve(web.create_app(broken, []), sock, stop))
    try:
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{sock.getsockname()[1]}/healthz"
            response = await client.get(url)
        assert response.status_code == 503
        assert response.json()["status"] != "ok"
    finally:
        stop.set()
        await serving
        await broken.dispose()


async def test_on_sqlite_and_postgresql_a_restart_from_polling_to_webhook_loses_nothing(
    db: Database, fake: FakeTelegram
) -> None:
    """The conversation and the record of handled updates live in the database (both kinds)."""
    user = fake.user(780)
    async with bot_running("polling", fake, db):
        first = await user.send("/start")
        question = (await user.replies(2))[1]
    async with bot_running("webhook", fake, db):
        await fake.redeliver(first)  # ignored: handled before the restart
        await accept(fake, user, question)


async def test_polling_stores_an_update_before_telegram_is_told_it_arrived(
    fake: FakeTelegram, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database refuses the first store: the batch is not confirmed, getUpdates asks again
    with the same offset, and the person gets their answer once, with no apology."""
    from bot.state import inbox

    real_store = inbox.store
    refused: list[str] = []

    async def store_once_refused(*args: Any, **kwargs: Any) -> Any:
        if not refused:
            refused.append("refused")
            raise OSError("database unavailable")
        return await real_store(*args, **kwargs)

    monkeypatch.setattr(inbox, "store", store_once_refused)
    user = fake.user(790)
    async with bot_running("polling", fake, database):
        await user.send("/start")
        assert [m.text for m in await user.replies(2, seconds=30)] == [
            vi("bot.start.welcome"),
            vi("bot.consent.notice"),
        ]
    assert refused == ["refused"]
    assert vi("bot.internal_error") not in [m.text for m in fake.messages(user.chat_id)]
    # Asked again from the same offset: the update was not confirmed before it was stored.
    offsets = [int(c.params.get("offset") or 0) for c in fake.calls_of("getUpdates")]
    assert len(offsets) >= 3 and offsets[1] == offsets[0]
