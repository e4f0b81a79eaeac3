"""Garbage at every step of /register, on every channel: each wrong answer says what to fix
and asks the same question again, and the registration that follows is exactly the one given
by the right answers.

What a validator says about every kind of wrong phone, email or name is in the unit tests of
``registry.validation``; here each step meets the garbage a person is likely to send there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.builders import count_people, stored
from tests.e2e.scenarios.driver import Answer, ChatDriver
from tests.e2e.scenarios.script import (
    ASK,
    CONFIRM,
    EMOJI,
    LONG,
    SUMMARY_OPTIONS,
    summary,
    unsupported,
    vi,
)
from tests.e2e.scenarios.stage import Stage

Send = Callable[[], Awaitable[Answer]]
# (what is sent, how, what the bot answers: a list is exactly these texts; a string is in the
# first text, and the same question follows with the same options)
Try = tuple[str, Send, list[str] | str]


async def try_garbage(stage: Stage, question: Answer, tries: list[Try]) -> None:
    people = await count_people(stage.db)
    for label, send, expected in tries:
        reply = await send()
        if isinstance(expected, list):
            assert reply.texts == expected, (label, reply.texts)
        else:
            assert reply.texts and expected in reply.texts[0], (label, expected, reply.texts)
            assert reply.texts[-1] == question.texts[-1], (label, reply.texts)
            assert reply.options == question.options, label
    assert await count_people(stage.db) == people


def typed(chat: ChatDriver, text: str) -> Send:
    return lambda: chat.say(text)


def blank_or_contact(
    chat: ChatDriver, *, blank: list[str] | str | None, contact: list[str] | str
) -> list[Try]:
    """Blank text and someone else's contact, where a channel lets a person send them."""
    tries: list[Try] = []
    if blank is not None and chat.can.blank_lines:
        tries.append(("blank", typed(chat, " \n "), blank))
    if chat.can.contact_button:
        tries.append(("contact", lambda: chat.share_contact("+84988777666", own=False), contact))
    return tries


def no_answer_at_all(chat: ChatDriver, notice: Answer) -> list[Try]:
    """A sticker, a button of a question answered long ago: the same reply at any step."""
    tries: list[Try] = []
    if chat.can.stickers:
        tries.append(("sticker", chat.send_sticker, [unsupported(chat), vi("bot.still_waiting")]))
    if chat.can.buttons:
        tries.append(
            ("old button", lambda: chat.forge("yes", on=notice), [vi("bot.question_expired")])
        )
    return tries


async def test_garbage_at_every_step_of_register_changes_nothing(stage: Stage) -> None:
    an = stage.meet(720)
    notice = await an.say("/start")
    await an.pick("Tôi đồng ý")
    choose, type_answer = vi("bot.choose_option"), vi("bot.type_answer")

    def forged(key: str, expected: str = choose) -> list[Try]:
        """A press of no button of the question asked (a modified client)."""
        return [("forged", lambda: an.forge(key), expected)] if an.can.buttons else []

    asked = await an.say("/register")
    await try_garbage(
        stage,
        asked,
        [
            ("long", typed(an, LONG), "Cơ quan: dài quá 200 ký tự."),
            ("emoji", typed(an, EMOJI), f"Không tìm thấy cơ quan nào khớp với “{EMOJI}”."),
            ("unknown", typed(an, "Atlantis"), "Không tìm thấy cơ quan nào khớp với “Atlantis”."),
            *blank_or_contact(an, blank="Chưa nhập cơ quan.", contact=[ASK["agency"]]),
        ],
    )
    old_list = await an.say("lao cai")
    await try_garbage(
        stage,
        old_list,
        [
            *no_answer_at_all(an, notice),
            *blank_or_contact(an, blank=None, contact=[ASK["agency"]]),
        ],
    )
    new_list = await an.say("Lào Cai")
    assert new_list.options == ["Tỉnh Lào Cai"]
    if an.can.buttons:
        # A button of the first list: too late, nothing changes, the new list still works.
        assert await an.pick("Tỉnh Lào Cai", on=old_list) == vi("bot.question_expired")
    await try_garbage(stage, new_list, forged("999999"))
    asked = await an.pick("Tỉnh Lào Cai")
    assert asked == ASK["full_name"]

    await try_garbage(
        stage,
        asked,
        [
            ("long", typed(an, LONG), "Họ và tên dài quá 100 ký tự."),
            ("emoji", typed(an, EMOJI), "Họ và tên có ký tự không hợp lệ (🙂)."),
            ("digits", typed(an, "Nguyễn Văn 4n"), "Họ và tên không được có chữ số."),
            *blank_or_contact(
                an, blank="Chưa nhập họ và tên.", contact=[type_answer, ASK["full_name"]]
            ),
        ],
    )
    asked = await an.say("Nguyễn Văn An")
    await try_garbage(
        stage,
        asked,
        [
            ("long", typed(an, LONG), "Chức vụ: dài quá 200 ký tự."),
            *blank_or_contact(
                an,
                blank=["Chức vụ: chưa nhập.", ASK["position"]],
                contact=[type_answer, ASK["position"]],
            ),
        ],
    )
    asked = await an.say("Chánh Văn phòng UBND tỉnh")
    await try_garbage(
        stage,
        asked,
        [
            ("no such number", typed(an, "9"), "Vai trò “9” không có. Chọn: người đứng đầu"),
            *forged("admin", "Vai trò “admin” không có."),
            *blank_or_contact(an, blank=None, contact=choose),
        ],
    )
    asked = await an.pick("Người phát ngôn")
    await try_garbage(
        stage,
        asked,
        [
            ("long", typed(an, LONG), "Điện thoại di động: Số điện thoại quá dài"),
            ("emoji", typed(an, EMOJI), f"Số {EMOJI} không phải số điện thoại hợp lệ"),
            ("letters", typed(an, "0913.xxx.xxx"), "“xxx”"),
            ("premium", typed(an, "1900 1234"), "1800/1900"),
            ("landline", typed(an, "024 3822 1234"), "số cố định"),
            *blank_or_contact(
                an, blank="Chưa nhập số điện thoại.", contact=vi("bot.register.contact_not_own")
            ),
        ],
    )
    asked = await an.share_contact("+84912345678")
    await try_garbage(
        stage,
        asked,
        [
            ("letters", typed(an, "0913.xxx.xxx"), "“xxx”"),
            *forged("zzz"),
            *blank_or_contact(an, blank=None, contact=choose),
        ],
    )
    asked = await an.pick("Bỏ qua")
    await try_garbage(
        stage,
        asked,
        [
            ("no @", typed(an, "an.nv.laocai.gov.vn"), "Địa chỉ email phải có dấu @"),
            ("formula", typed(an, '=HYPERLINK("http://x")'), "email"),
            *blank_or_contact(
                an, blank="Chưa nhập địa chỉ email.", contact=[type_answer, ASK["email"]]
            ),
        ],
    )
    first_summary = await an.say("an.nv@laocai.gov.vn")
    assert first_summary == summary() and first_summary.options == SUMMARY_OPTIONS
    await try_garbage(
        stage,
        first_summary,
        [
            ("no such number", typed(an, "7"), choose),
            *forged("zzz"),
            *no_answer_at_all(an, notice),
            *blank_or_contact(an, blank=choose, contact=choose),
        ],
    )
    if an.can.buttons:
        # The first summary was answered by typing, so its buttons are still there: too late.
        assert await an.pick(CONFIRM, on=first_summary) == vi("bot.question_expired")
    assert await count_people(stage.db) == 0
    done = await an.pick(CONFIRM)
    assert done.startswith("Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai).")
    record = await stored(stage.db, 1)
    assert (record.full_name, record.position, record.role, record.mobile, record.email) == (
        "Nguyễn Văn An",
        "Chánh Văn phòng UBND tỉnh",
        "spokesperson",
        "+84912345678",
        "an.nv@laocai.gov.vn",
    )
    assert (record.office_phone, record.agency_code) == (None, "tinh-lao-cai")
