"""The Zalo webhook of the one web server: its secret, bad bodies, repeats, both body shapes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.state.models import ChatUpdate
from bot.texts import t
from registry.models import Account
from registry.uow import Database
from tests.e2e.conftest import MeetOnZalo
from tests.e2e.fake_zalo import WEBHOOK_SECRET, FakeZalo
from tests.e2e.zalo_bot import ZaloProcessed, zalo_running

UPDATE = {
    "event_name": "message.text.received",
    "message": {
        "from": {"id": "u-900", "display_name": "Kẻ lạ", "is_bot": False},
        "chat": {"id": "u-900", "chat_type": "PRIVATE"},
        "message_id": "forged-1",
        "date": 1750316131602,
        "text": "/start",
    },
}


async def rows(db: Database, model: type) -> int:
    async with db.uow().reading() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("wrapped", [True, False])
async def test_wrapped_and_bare_deliveries_are_both_answered(
    zalo: FakeZalo,
    database: Database,
    zalo_processed: ZaloProcessed,
    meet_on_zalo: MeetOnZalo,
    wrapped: bool,
) -> None:
    zalo.wrap_webhook = wrapped
    async with zalo_running("webhook", zalo, database):
        an = meet_on_zalo("u-801")
        answer = await an.say("/help")
        assert answer.startswith(t("vi", "bot.help.intro"))
    assert zalo.deliveries and set(zalo.deliveries) == {200}


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_processed(
    zalo: FakeZalo, database: Database, zalo_processed: ZaloProcessed
) -> None:
    async with zalo_running("webhook", zalo, database) as running:
        body = json.dumps(UPDATE)
        for secret in (
            None,
            "",
            "wrong",
            WEBHOOK_SECRET[:-1],
            WEBHOOK_SECRET + "x",
            "ẩn".encode().decode("latin-1"),
        ):
            assert await running.post(body, secret=secret) == 403, secret
        assert await running.post(body, secret=WEBHOOK_SECRET.upper()) == 403
    assert zalo_processed.done == []
    assert zalo.messages("u-900") == []
    assert await rows(database, Account) == 0
    assert await rows(database, ChatUpdate) == 0


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        "{",
        "[]",
        "null",
        '"text"',
        "{}",
        '{"ok": true, "result": null}',
        '{"ok": false, "error_code": 408}',
        json.dumps({**UPDATE, "message": {**UPDATE["message"], "text": None}}),
        json.dumps({**UPDATE, "message": {**UPDATE["message"], "from": "u-900"}}),
        json.dumps({**UPDATE, "message": {**UPDATE["message"], "message_id": ["x"]}}),
        "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
    ],
)
async def test_a_malformed_body_gets_400_and_nothing_is_processed(
    zalo: FakeZalo, database: Database, zalo_processed: ZaloProcessed, body: str
) -> None:
    async with zalo_running("webhook", zalo, database) as running:
        assert await running.post(body.encode("latin-1", "replace")) == 400
        # The server keeps answering: a good update afterwards is handled.
        assert await running.post(json.dumps(UPDATE)) == 200
        await zalo_processed.wait("forged-1")
    assert [message_id for _, message_id in zalo_processed.done] == ["forged-1"]
    assert len(zalo.messages("u-900")) >= 1
    assert await rows(database, ChatUpdate) == 1  # the good one only


@pytest.mark.parametrize(
    "body",
    [
        {"event_name": "message.unsupported.received", "message": {"date": 1750316131602}},
        {"ok": True, "result": {"event_name": "bot.added.to.group", "group": {"id": "g-1"}}},
        {"event_name": "a.future.event", "data": [1, 2, 3]},
    ],
)
async def test_an_event_without_a_message_gets_200_and_is_ignored(
    zalo: FakeZalo,
    database: Database,
    zalo_processed: ZaloProcessed,
    body: dict[str, object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="bot.channels.zalo")
    async with zalo_running("webhook", zalo, database) as running:
        # Zalo gets its 200, so it does not deliver the event again and again.
        assert await running.post(json.dumps(body)) == 200
        assert await running.post(json.dumps(UPDATE)) == 200
        await zalo_processed.wait("forged-1")
    assert [message_id for _, message_id in zalo_processed.done] == ["forged-1"]
    assert await rows(database, ChatUpdate) == 1  # nothing stored for the event
    assert any("without a message ignored" in r.getMessage() for r in caplog.records)
    # Only the good update was answered: the event itself got no reply.
    texts = [m.text for m in zalo.messages("u-900")]
    assert texts[0].startswith(t("vi", "bot.start.welcome"))
    assert t("vi", "bot.unsupported_zalo") not in texts


async def test_a_message_delivered_twice_is_processed_once(
    zalo: FakeZalo, database: Database, zalo_processed: ZaloProcessed, meet_on_zalo: MeetOnZalo
) -> None:
    async with zalo_running("webhook", zalo, database) as running:
        an = meet_on_zalo("u-802")
        first = await an.say("/start")
        message_id = zalo_processed.done[-1][1]
        await an.user.resend(message_id)
        await zalo_processed.wait(message_id, times=2)
        # The same message posted again by hand, bare this time: still the same delivery.
        update = zalo.updates[message_id]
        assert await running.post(json.dumps(update)) == 200
        await zalo_processed.wait(message_id, times=3)
        # The same message id with another event is another delivery.
        sticker = {**update, "event_name": "message.sticker.received"}
        assert await running.post(json.dumps(sticker)) == 200
        await zalo_processed.wait(message_id, times=4)
    texts = [m.text for m in zalo.messages("u-802")]
    assert texts == [*first.texts, t("vi", "bot.unsupported_zalo"), t("vi", "bot.still_waiting")]
    async with database.uow().reading() as uow:
        ids = (await uow.session.scalars(select(ChatUpdate.delivery))).all()
    assert sorted(ids) == sorted(
        [f"message.text.received:{message_id}", f"message.sticker.received:{message_id}"]
    )


async def test_messages_of_one_chat_are_answered_in_order(
    zalo: FakeZalo, database: Database, zalo_processed: ZaloProcessed
) -> None:
    async with zalo_running("webhook", zalo, database) as running:
        # Posted without waiting, as a burst: handled in the background, in order per chat.
        ids = []
        for number, text in enumerate(["/start", "1", "/lang en", "/help"]):
            update = json.loads(json.dumps(UPDATE))
            update["message"]["message_id"] = f"burst-{number}"
            update["message"]["text"] = text
            ids.append(update["message"]["message_id"])
            assert await running.post(json.dumps(update)) == 200
        for message_id in ids:
            await zalo_processed.wait(message_id)
    texts = [m.text for m in zalo.messages("u-900")]
    assert texts[-1].startswith(t("en", "bot.help.intro"))
    assert t("vi", "bot.consent.accepted") in texts
    assert texts.index(t("vi", "bot.consent.accepted")) < texts.index(t("en", "bot.lang.done"))
