"""How a dialog looks on Telegram: inline buttons and what they carry, buttons that vanish once
pressed (or pressed too late), and the "share my phone number" keyboard and its removal.

What the dialogs ask, say and decide is in the scenario suite (``tests/e2e/scenarios``), which
runs on Telegram as on every channel. These tests look at Telegram's own markup, in polling mode
(the webhook delivers the same updates; ``test_telegram_bot.py`` runs both).
"""

from __future__ import annotations

import pytest

from bot.texts import t
from registry.uow import Database
from tests.e2e.conftest import Meet
from tests.e2e.fake_telegram import FakeTelegram, RunningBot
from tests.e2e.telegram_person import Answer, Person

pytestmark = pytest.mark.parametrize("mode", ["polling"], indirect=True)

EXPIRED = t("vi", "bot.question_expired")
SUMMARY_BUTTONS = ["✅ Xác nhận", "✏️ Sửa một mục", "❌ Hủy"]


async def consent(who: Person) -> None:
    started = await who.say("/start")
    assert started.texts == [t("vi", "bot.start.welcome"), t("vi", "bot.consent.notice")]
    assert await who.press("Tôi đồng ý") == t("vi", "bot.consent.accepted")


async def until_mobile(who: Person) -> Answer:
    await who.say("/register")
    await who.say("lao cai")
    await who.press("Tỉnh Lào Cai")
    await who.say("Nguyễn Văn An")
    await who.say("Chánh Văn phòng UBND tỉnh")
    return await who.press("Người phát ngôn")


async def test_buttons_carry_ids_and_vanish_once_pressed_or_too_late(
    bot: RunningBot, meet: Meet, fake: FakeTelegram
) -> None:
    an = meet(901)
    notice = (await an.say("/start")).question
    await an.press("Tôi đồng ý")
    assert notice.buttons == []  # the buttons went away with the answer
    query = fake.calls_of("answerCallbackQuery")[-1].params["callback_query_id"]
    assert fake.answered(query)  # and the button's spinner stopped
    await an.say("/register")
    old_list = (await an.say("lao cai")).question
    assert all(len(b["callback_data"].encode()) <= 64 for b in old_list.buttons)
    assert "Lào Cai" not in old_list.buttons[0]["callback_data"]  # ids, never names
    new_list = (await an.say("Lào Cai")).question
    # A button of the first list: expired, and its buttons vanish; the new list still works.
    assert await an.press("Tỉnh Lào Cai", on=old_list) == EXPIRED
    assert old_list.buttons == [] and new_list.labels == ["Tỉnh Lào Cai"]
    assert await an.press("Tỉnh Lào Cai", on=new_list) == t("vi", "bot.register.ask_full_name")
    assert fake.unread(an.user.chat_id) == []  # every message the bot sent was an answer


async def test_typed_answers_leave_the_buttons_and_a_later_press_is_too_late(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(902)
    await consent(an)
    await until_mobile(an)
    await an.share_contact("+84912345678")
    await an.press("Bỏ qua")
    first_summary = (await an.say("an.nv@laocai.gov.vn")).question
    await an.say("xong")  # typed: the summary is asked again, under a new message
    assert first_summary.labels == SUMMARY_BUTTONS
    assert await an.press("Xác nhận", on=first_summary) == EXPIRED
    assert first_summary.buttons == []
    assert (await an.press("Xác nhận")).startswith("Đã đăng ký #1")
    # The buttons of a question left for another command expire the same way.
    stale = (await an.say("/withdraw")).question
    await an.say("/me")
    assert await an.press("Rút khỏi mạng lưới", on=stale) == EXPIRED
    assert stale.buttons == []


async def test_the_contact_keyboard_is_offered_again_then_taken_away(
    bot: RunningBot, meet: Meet
) -> None:
    an = meet(903)
    await consent(an)
    mobile = await until_mobile(an)
    (asked,) = mobile.messages
    assert asked.asks_contact and asked.reply_markup is not None
    assert asked.reply_markup["keyboard"][0][0]["text"] == "📱 Gửi số điện thoại của tôi"
    refused = await an.share_contact("+84988000111", own=False)
    assert refused.messages[-1].asks_contact  # offered again
    office = await an.share_contact("+84912345678")
    assert not office.messages[0].removes_keyboard  # a question with its own buttons
    email = await an.press("Bỏ qua")
    assert email.messages[0].removes_keyboard  # the next plain message takes it away
    # Typed instead, or the dialog left: the keyboard goes with the next message too.
    await an.say("/cancel")
    await until_mobile(an)
    converted = await an.say("0169.123.4567")
    assert converted.messages[0].removes_keyboard
    await an.say("/cancel")
    await until_mobile(an)
    cancelled = await an.say("hủy")
    assert cancelled == t("vi", "bot.cancelled") and cancelled.messages[0].removes_keyboard
