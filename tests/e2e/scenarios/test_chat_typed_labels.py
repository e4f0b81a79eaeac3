"""Typed labels on every channel: a question's option is named by its label as well as by its
number, in either language, without accents or case, and by the short answers people type
("đồng ý", "bỏ qua", "xác nhận")."""

from __future__ import annotations

from tests.builders import registered, stored
from tests.e2e.scenarios.script import ASK, CONSENT_OPTIONS, card, register, summary, vi
from tests.e2e.scenarios.stage import Stage


async def test_consent_skip_and_summary_answered_in_words(stage: Stage) -> None:
    an = stage.meet(760, "An Nguyễn")
    started = await an.say("/start")
    assert started.options == CONSENT_OPTIONS
    assert await an.say("đồng ý") == vi("bot.consent.accepted")
    office = await register(an, until="office_phone", role="nguoi phat ngon", mobile="0912345678")
    assert office == ASK["office_phone"]
    assert await an.say("Bỏ qua") == ASK["email"]
    checked = await register(an, after="office_phone", until="summary")
    assert checked == summary()
    done = await an.say("xác nhận")
    assert done.texts[0].startswith("Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai).")
    record = await stored(stage.db, 1)
    assert (record.role, record.office_phone) == ("spokesperson", None)


async def test_english_words_in_the_vietnamese_chat(stage: Stage) -> None:
    an = stage.meet(761, "An Nguyễn")
    await an.say("/start")
    assert await an.say("I agree") == vi("bot.consent.accepted")
    await register(an, until="office_phone", role="Spokesperson", mobile="0912345678")
    assert await an.say("skip") == ASK["email"]
    await register(an, after="office_phone", until="summary")
    edit = await an.say("Edit a field")
    assert edit == vi("bot.register.which_field")
    assert await an.say("EMAIL") == ASK["email"]
    assert await an.say("an.nv@laocai.gov.vn") == summary()
    assert (await an.say("confirm")).texts[0].startswith("Đã đăng ký #1")


async def test_a_word_that_names_no_option_gets_the_question_again(stage: Stage) -> None:
    an = stage.meet(762, "An Nguyễn")
    await an.say("/start")
    again = await an.say("có lẽ")
    assert again.texts[0] == vi("bot.choose_option")
    assert again.options == CONSENT_OPTIONS
    assert await an.say("Tôi Đồng Ý.") == vi("bot.consent.accepted")


async def test_update_clears_the_office_phone_when_told_to_skip_it(stage: Stage) -> None:
    an = stage.meet(763, "An Nguyễn")
    await registered(
        stage.db,
        an.identity,
        position="Chánh Văn phòng UBND tỉnh",
        email="an.nv@laocai.gov.vn",
        office_phone="024 3822 1234",
    )
    await an.say("/update")
    asked = await an.say("điện thoại cố định")
    assert asked == vi("bot.update.new_value", field="Điện thoại cố định")
    clear = await an.say("bỏ qua")
    assert clear == vi("bot.update.confirm_clear", field="Điện thoại cố định")
    done = await an.say("đồng ý")
    assert done.texts == ["Đã cập nhật Điện thoại cố định.", card()]
    assert (await stored(stage.db, 1)).office_phone is None
