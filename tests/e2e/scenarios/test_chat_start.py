"""First contact on every channel: /start and the personal-data notice, /lang, /help, and what
the bot says to messages it cannot place."""

from __future__ import annotations

from tests.builders import account, count_people, grant, listed
from tests.e2e.scenarios.driver import only_where
from tests.e2e.scenarios.script import (
    ASK,
    CONSENT_OPTIONS,
    EMOJI,
    LONG,
    en,
    unsupported,
    vi,
)
from tests.e2e.scenarios.stage import Stage


async def test_start_shows_the_notice_and_accepting_records_consent(stage: Stage) -> None:
    an = stage.meet(701, "An Nguyễn")
    started = await an.say("/start")
    assert started.texts == [vi("bot.start.welcome"), vi("bot.consent.notice")]
    assert "Thông báo về xử lý dữ liệu cá nhân" in started.texts[1]
    assert started.options == CONSENT_OPTIONS
    # Nothing about the person is kept before the answer.
    before = await account(stage.db, an.identity)
    assert before is not None and (before.consented_at, before.display_name) == (None, None)

    assert await an.pick("Tôi đồng ý") == "Cảm ơn bạn. Gõ /register để đăng ký thông tin liên hệ."
    after = await account(stage.db, an.identity)
    assert after is not None and after.consented_at is not None
    assert after.display_name == "An Nguyễn"
    again = await an.say("/start")
    assert again.texts == [vi("bot.start.welcome"), vi("bot.start.already_consented")]
    assert again.options == []


async def test_declining_the_notice_stores_nothing_and_every_personal_command_asks_again(
    stage: Stage,
) -> None:
    an = stage.meet(702)
    await an.say("/start")
    declined = await an.pick("Không đồng ý")
    assert declined == "Bot không lưu thông tin gì của bạn. Khi cần, gõ /start để bắt đầu lại."
    stored = await account(stage.db, an.identity)
    assert stored is not None and (stored.consented_at, stored.display_name) == (None, None)
    for command in ("/register", "/dangky", "/me", "/update", "/withdraw", "/link"):
        asked = await an.say(command)
        assert asked.texts == [vi("bot.consent.required"), vi("bot.consent.notice")], command
        assert asked.options == CONSENT_OPTIONS
    bad_payload = await an.say("/start bad<payload>")
    assert bad_payload.texts == [
        vi("bot.start.bad_payload"),
        vi("bot.start.welcome"),
        vi("bot.consent.notice"),
    ]
    assert "không hợp lệ" in bad_payload.texts[0]
    assert await count_people(stage.db) == 0


async def test_an_answer_that_is_no_option_asks_the_question_again(stage: Stage) -> None:
    an = stage.meet(703)
    await an.say("/start")
    for typed in ("3", "0", "-1", "1.5", "１", "Có lẽ", EMOJI, LONG):
        again = await an.say(typed)
        assert again.texts == [vi("bot.choose_option"), vi("bot.consent.notice")], typed[:10]
        assert again.options == CONSENT_OPTIONS
    # The option's number works on every channel ("1." is 1), buttons or not.
    assert await an.say("1.") == vi("bot.consent.accepted")
    accepted = await account(stage.db, an.identity)
    assert accepted is not None and accepted.consented_at is not None


async def test_help_lang_and_words_outside_a_dialog(stage: Stage) -> None:
    an = stage.meet(704)
    helped = await an.say("/help")
    assert helped.startswith(vi("bot.help.intro"))
    assert "/register" in helped and "/link" in helped
    assert "/find" not in helped and "Dành cho cán bộ:" not in helped
    assert await an.say("xin chào") == vi("bot.not_understood")
    assert "/help" in await an.say(LONG)
    assert await an.say("/xyz") == "Không có lệnh /xyz. Gõ /help để xem các lệnh."
    asked = await an.say("/lang")
    assert asked == "Chọn ngôn ngữ / Choose a language:"
    assert asked.options == ["Tiếng Việt", "English"]
    assert await an.pick("English") == "Switched to English."
    started = await an.say("/start")
    assert started.texts == [en("bot.start.welcome"), en("bot.consent.notice")]
    assert started.options == ["I agree", "I do not agree"]
    assert await an.pick("I agree") == en("bot.consent.accepted")
    assert await an.say("/register") == en("bot.register.ask_agency")
    picks = await an.say("lao cai")
    assert picks == en("bot.register.pick_agency", count=1)
    assert picks.options == ["Lào Cai Province"]  # agency names in the person's language
    await an.pick("Lào Cai Province")
    assert await an.say("Nguyễn Văn 4n") == "\n".join(
        ["Full name: " + en("error.name.digits"), en("bot.register.ask_full_name")]
    )
    assert await an.say("/cancel") == en("bot.cancelled")
    assert await an.say("/stats") == en("error.permission.denied")
    assert await an.say("/xyz") == en("bot.unknown_command", command="xyz")
    assert (await an.say("/help")).startswith(en("bot.help.intro"))
    assert await an.say("/lang vi") == "Đã chuyển sang tiếng Việt."
    assert await an.say("/xyz") == "Không có lệnh /xyz. Gõ /help để xem các lệnh."
    # A language typed in answer to the question works too.
    await an.say("/lang")
    assert await an.say("en") == "Switched to English."
    again = await an.say("/lang")
    # In the middle of a dialog, /help says how to leave it, and the dialog goes on.
    assert en("bot.help.in_dialog") in await an.say("/help")
    assert await an.say("klingon") == "\n".join([en("bot.choose_option"), again])


@only_where("stickers", "a terminal sends text only")
async def test_what_the_bot_cannot_read_gets_a_polite_answer_in_the_persons_language(
    stage: Stage,
) -> None:
    an = stage.meet(705)
    assert await an.send_sticker() == unsupported(an)
    await an.say("/start")
    waiting = await an.send_sticker()
    assert waiting.texts == [unsupported(an), vi("bot.still_waiting")]
    await an.say("/lang en")
    assert await an.send_sticker() == unsupported(an, "en")


async def test_consent_is_asked_for_ones_own_data_and_the_command_goes_on_after_it(
    stage: Stage,
) -> None:
    an = stage.meet(703)
    asked = await an.say("/register")
    assert asked.texts == [vi("bot.consent.required"), vi("bot.consent.notice")]
    # Accepting carries on with /register: no need to type it again.
    accepted = await an.pick("Tôi đồng ý")
    assert accepted.texts == [vi("bot.consent_resume.accepted"), ASK["agency"]]
    stored = await account(stage.db, an.identity)
    assert stored is not None and stored.consented_at is not None
    # What was typed with the command is kept too.
    ba = stage.meet(704)
    await ba.say("/dangky lao cai")
    picks = await ba.pick("Tôi đồng ý")
    assert picks.texts[0] == vi("bot.consent_resume.accepted")
    assert "Tỉnh Lào Cai" in picks.options
    # Declining, then a word that is no option, keeps the command waiting; "no" drops it.
    ca = stage.meet(705)
    await ca.say("/me")
    again = await ca.say("có lẽ")
    assert vi("bot.consent.notice") in again
    assert (await ca.pick("Tôi đồng ý")).texts == [
        vi("bot.consent_resume.accepted"),
        vi("bot.me.none"),
    ]
    assert await count_people(stage.db) == 0


async def test_staff_and_focal_points_working_on_others_are_never_asked_the_member_consent(
    stage: Stage,
) -> None:
    await listed(stage.db)
    worker = stage.meet(706, "Bình Lê")
    await grant(stage.db, worker.identity, "staff")
    updating = await worker.say("/update 1")
    assert vi("bot.consent.notice") not in updating
    assert updating.texts[0].startswith("#1 Nguyễn Văn An")
    assert updating.options[:2] == ["Họ và tên", "Chức vụ"]
    focal = stage.meet(707, "Chi Lê")
    await grant(stage.db, focal.identity, "focal", agency="Lào Cai")
    registering = await focal.say("/register")
    assert vi("bot.consent.notice") not in registering
    assert "Đăng ký người của Tỉnh Lào Cai" in registering
    # Their own record is still theirs: /me asks the notice first.
    assert vi("bot.consent.notice") in await focal.say("/me")
    stored = await account(stage.db, focal.identity)
    assert stored is not None and stored.consented_at is None
