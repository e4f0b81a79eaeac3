"""Every dialog of the bot, played by people on Telegram against the real application.

The real python-telegram-bot Application talks HTTP to the fake Bot API server, by long polling
and through the webhook (every test runs in both modes unless it says otherwise), on its own
SQLite database with the 2025 catalog. People type, press the buttons they see and share their
phone number (see ``telegram_person.py``); the tests check what they would notice: the bot's
messages, the buttons under them, and what ends up in the registry.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.state.conversations import load_state
from bot.texts import t
from registry import accounts, directory, people
from registry.models import Account
from registry.uow import Database
from registry.views import PersonView
from tests.e2e.conftest import SYSTEM, Meet, count_people
from tests.e2e.fake_telegram import FakeTelegram, Mode, RunningBot, bot_running
from tests.e2e.telegram_person import Answer, Person

REFUSAL = "Bạn không có quyền thực hiện thao tác này."
LONG = "x" * 5000
EMOJI = "🙂🎉"


def vi(key: str, **params: Any) -> str:
    return t("vi", key, **params)


def en(key: str, **params: Any) -> str:
    return t("en", key, **params)


# --- the bot, its database and the people talking to it -----------------------------------------


# --- the registry, as the tests look into it ----------------------------------------------------


async def stored(db: Database, person_id: int) -> PersonView:
    return await people.show_person(db.uow(), SYSTEM, person_id)


@dataclass(frozen=True)
class StoredAccount:
    role: str
    agency_id: int | None
    consented_at: datetime | None
    display_name: str | None


async def account(db: Database, who: Person) -> StoredAccount | None:
    async with db.uow() as uow:
        row = await uow.session.scalar(
            select(Account).where(Account.channel == "telegram", Account.external_id == str(who.id))
        )
        if row is None:
            return None
        return StoredAccount(row.role.value, row.agency_id, row.consented_at, row.display_name)


async def linked_person(db: Database, who: Person) -> int | None:
    profile = await accounts.open_profile(db.uow(), "telegram", str(who.id))
    return profile.actor.person_id


async def dialog(db: Database, who: Person) -> tuple[object, ...]:
    """Where this person's dialog stands: flow, step and answers so far."""
    state = await load_state(db.uow(), "telegram", str(who.id))
    return (state.flow, state.step, dict(state.data))


async def question_number(db: Database, who: Person) -> int:
    return (await load_state(db.uow(), "telegram", str(who.id))).question


async def make(db: Database, who: Person, role: str, agency: str | None = None) -> None:
    await accounts.grant(db.uow(), SYSTEM, who.identity, role, agency=agency)


async def add_person(
    db: Database,
    full_name: str,
    *,
    agency: str = "Lào Cai",
    mobile: str = "0988 000 111",
    role: str = "spokesperson",
) -> PersonView:
    result = await people.register_person(
        db.uow(), SYSTEM, agency=agency, full_name=full_name, role=role, mobile=mobile
    )
    return result.person


# --- what the bot says --------------------------------------------------------------------------

ASK = {
    "agency": vi("bot.register.ask_agency"),
    "full_name": vi("bot.register.ask_full_name"),
    "position": vi("bot.register.ask_position"),
    "role": vi("bot.register.ask_role"),
    "mobile": vi("bot.register.ask_mobile_own"),
    "office_phone": vi("bot.register.ask_office_phone"),
    "email": vi("bot.register.ask_email"),
}
ROLES = [
    "Người đứng đầu",
    "Người phát ngôn",
    "Người được giao nhiệm vụ phát ngôn",
    "Cán bộ đầu mối cung cấp thông tin",
]
SUMMARY_BUTTONS = ["✅ Xác nhận", "✏️ Sửa một mục", "❌ Hủy"]
STICKER = [vi("bot.unsupported"), vi("bot.still_waiting")]
CONFIRM = "Xác nhận"


def summary(
    *,
    agency: str = "Tỉnh Lào Cai",
    full_name: str = "Nguyễn Văn An",
    position: str = "Chánh Văn phòng UBND tỉnh",
    role: str = "Người phát ngôn",
    mobile: str = "0912 345 678",
    office_phone: str = "—",
    email: str = "an.nv@laocai.gov.vn",
) -> str:
    return "\n".join(
        [
            "Kiểm tra lại thông tin:",
            f"Cơ quan: {agency}",
            f"Họ và tên: {full_name}",
            f"Chức vụ: {position}",
            f"Vai trò: {role}",
            f"Di động: {mobile}",
            f"Điện thoại cố định: {office_phone}",
            f"Email: {email}",
        ]
    )


def card(
    person_id: int = 1,
    *,
    full_name: str = "Nguyễn Văn An",
    agency: str = "Tỉnh Lào Cai",
    position: str = "Chánh Văn phòng UBND tỉnh",
    role: str = "Người phát ngôn",
    mobile: str = "0912 345 678",
    office_phone: str = "—",
    email: str = "an.nv@laocai.gov.vn",
    status: str = "Chờ xác minh",
) -> str:
    return "\n".join(
        [
            f"#{person_id} {full_name}",
            f"Cơ quan: {agency}",
            f"Chức vụ: {position}",
            f"Vai trò: {role}",
            f"Di động: {mobile}",
            f"Điện thoại cố định: {office_phone}",
            f"Email: {email}",
            f"Trạng thái: {status}",
        ]
    )


# --- scripted steps -----------------------------------------------------------------------------


async def consent(who: Person) -> None:
    started = await who.say("/start")
    assert started.texts == [vi("bot.start.welcome"), vi("bot.consent.notice")]
    assert await who.press("Tôi đồng ý") == vi("bot.consent.accepted")


ANSWERS = {
    # The questions of /register in order and a good answer to each: "#" presses a button,
    # "@" shares one's own phone number with the contact button.
    "agency": "lao cai",
    "full_name": "Nguyễn Văn An",
    "position": "Chánh Văn phòng UBND tỉnh",
    "role": "#Người phát ngôn",
    "mobile": "@+84912345678",
    "office_phone": "#Bỏ qua",
    "email": "an.nv@laocai.gov.vn",
    "summary": f"#{CONFIRM}",
}


async def answer(who: Person, step: str, value: str) -> Answer:
    if value.startswith("#"):
        return await who.press(value[1:])
    if value.startswith("@"):
        return await who.share_contact(value[1:], own=True)
    if step == "agency":
        picks = await who.say(value)
        assert "Tỉnh Lào Cai" in picks.labels, picks.texts
        return await who.press("Tỉnh Lào Cai")
    return await who.say(value)


async def register(
    who: Person, *, until: str | None = None, after: str | None = None, **answers: str
) -> Answer:
    """Answer the questions of /register after ``after`` (from /register itself by default)
    and before ``until`` (all of them by default: confirmed); the bot's last answer."""
    steps = list(ANSWERS)
    if after is None:
        reply = await who.say("/register")
        assert reply == ASK["agency"]
    else:
        steps = steps[steps.index(after) + 1 :]
    for step in steps:
        if step == until:
            break
        reply = await answer(who, step, answers.get(step, ANSWERS[step]))
    return reply


# --- /start and the personal-data notice --------------------------------------------------------


async def test_start_shows_the_notice_and_accepting_records_consent(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(701)
    started = await an.say("/start moi-tinh-lao-cai")
    assert started.texts == [vi("bot.start.welcome"), vi("bot.consent.notice")]
    assert "Thông báo về xử lý dữ liệu cá nhân" in started.texts[1]
    assert started.labels == ["Tôi đồng ý", "Không đồng ý"]
    notice = started.question
    # The invitation payload is kept; nothing about the person is stored before the answer.
    assert (await dialog(database, an))[2]["start_payload"] == "moi-tinh-lao-cai"
    before = await account(database, an)
    assert before is not None and (before.consented_at, before.display_name) == (None, None)

    assert await an.press("Tôi đồng ý") == "Cảm ơn bạn. Gõ /register để đăng ký thông tin liên hệ."
    assert notice.buttons == []  # the buttons went away with the answer
    after = await account(database, an)
    assert after is not None and after.consented_at is not None
    assert after.display_name == "An Nguyễn"
    again = await an.say("/start")
    assert again.texts == [vi("bot.start.welcome"), vi("bot.start.already_consented")]
    assert again.labels == []


async def test_declining_the_notice_stores_nothing_and_register_asks_again(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(702)
    await an.say("/start")
    declined = await an.press("Không đồng ý")
    assert declined == "Bot không lưu thông tin gì của bạn. Khi cần, gõ /start để bắt đầu lại."
    stored_account = await account(database, an)
    assert stored_account is not None
    assert (stored_account.consented_at, stored_account.display_name) == (None, None)
    for command in ("/register", "/me", "/update", "/withdraw"):
        asked = await an.say(command)
        assert asked.texts == [vi("bot.consent.required"), vi("bot.consent.notice")], command
        assert asked.labels == ["Tôi đồng ý", "Không đồng ý"]
    assert await an.say("/start bad<payload>") == "\n".join(
        [
            vi("bot.start.bad_payload"),
            vi("bot.start.welcome"),
            vi("bot.consent.notice"),
        ]
    )
    assert await count_people(database) == 0


# --- /register ----------------------------------------------------------------------------------


async def test_a_member_registers_with_the_share_my_phone_number_button(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(703)
    await consent(an)
    assert await an.say("/register") == ASK["agency"]
    picks = await an.say("  LAO   cai ")  # case, accents and spaces do not matter
    assert picks == "Có 1 cơ quan khớp; chọn cơ quan của bạn (hoặc gõ lại tên):"
    assert picks.labels == ["Tỉnh Lào Cai"]
    assert all(len(b["callback_data"]) <= 64 for b in picks.question.buttons)
    assert "Lào Cai" not in picks.question.buttons[0]["callback_data"]  # ids, never names
    assert await an.press("Tỉnh Lào Cai") == ASK["full_name"]
    assert await an.say("Nguyễn Văn An") == ASK["position"]
    roles = await an.say("Chánh Văn phòng UBND tỉnh")
    assert roles == ASK["role"] and roles.labels == ROLES

    mobile = await an.press("Người phát ngôn")
    assert mobile == ASK["mobile"]
    (asked,) = mobile.messages
    assert asked.asks_contact
    assert asked.reply_markup is not None
    assert asked.reply_markup["keyboard"][0][0]["text"] == "📱 Gửi số điện thoại của tôi"

    # Someone else's contact is refused, and the button is offered again.
    refused = await an.share_contact("+84988000111", own=False)
    assert refused.texts == [vi("bot.register.contact_not_own"), ASK["mobile"]]
    assert "chính bạn" in refused.texts[0]
    assert refused.messages[-1].asks_contact

    office = await an.share_contact("+84912345678", own=True)
    assert office == ASK["office_phone"] and office.labels == ["Bỏ qua"]
    email = await an.press("Bỏ qua")
    assert email == ASK["email"]
    assert email.messages[0].removes_keyboard  # the phone button is taken away
    checked = await an.say("An.NV@LaoCai.gov.vn")
    assert checked == summary()
    assert checked.labels == SUMMARY_BUTTONS
    assert await count_people(database) == 0  # nothing is stored before the confirmation

    done = await an.press(CONFIRM)
    assert done == (
        "Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai). Cục Báo chí sẽ xác minh thông tin; "
        "bạn có thể xem lại bằng /me."
    )
    record = await stored(database, 1)
    assert (record.agency_code, record.full_name, record.position, record.role) == (
        "tinh-lao-cai",
        "Nguyễn Văn An",
        "Chánh Văn phòng UBND tỉnh",
        "spokesperson",
    )
    assert (record.mobile, record.office_phone, record.email) == (
        "+84912345678",
        None,
        "an.nv@laocai.gov.vn",
    )
    assert (record.status, record.source) == ("pending", "chat")
    found = await directory.find_people(database.uow(), SYSTEM, "nguyen van an")
    assert [p.id for p in found.items] == [1]
    assert await linked_person(database, an) == 1  # the account is now this record
    assert (await an.say("/me")).texts[0] == card()
    assert await an.say("/dangky") == vi("bot.register.already", person_id=1)


async def test_an_old_eleven_digit_mobile_is_converted_and_a_blank_position_refused(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(704)
    await consent(an)
    await register(an, until="position")
    refused = await an.say("   ")
    assert refused.texts == ["Chức vụ: chưa nhập.", ASK["position"]]
    assert await an.say("Chánh Văn phòng") == ASK["role"]
    await an.press("Người phát ngôn")
    converted = await an.say("0169.123.4567")
    assert converted.texts == [
        "Điện thoại di động: số cũ 01691234567 đã được chuyển sang số mới 0391 234 567 "
        "(đổi đầu số 11 chữ số năm 2018).",
        ASK["office_phone"],
    ]
    assert converted.messages[0].removes_keyboard
    checked = await register(an, after="mobile", until="summary")
    assert checked == summary(position="Chánh Văn phòng", mobile="0391 234 567")
    await an.press(CONFIRM)
    record = await stored(database, 1)
    assert (record.mobile, record.position) == ("+84391234567", "Chánh Văn phòng")


async def test_fields_are_edited_from_the_summary(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(705)
    await consent(an)
    await register(an, until="summary", full_name="Nguyen Van An")
    which = await an.press("Sửa một mục")
    assert which == "Sửa mục nào?"
    assert which.labels == [
        "Cơ quan",
        "Họ và tên",
        "Chức vụ",
        "Vai trò",
        "Điện thoại di động",
        "Điện thoại cố định",
        "Thư điện tử",
    ]
    assert await an.press("Họ và tên") == ASK["full_name"]
    assert await an.say("Nguyễn Văn An") == summary()

    await an.press("Sửa một mục")
    assert await an.press("Cơ quan") == ASK["agency"]
    await an.say("ha noi")
    assert await an.press("Thành phố Hà Nội") == summary(agency="Thành phố Hà Nội")

    await an.press("Sửa một mục")
    assert await an.press("Điện thoại cố định") == ASK["office_phone"]
    checked = await an.say("(024) 3822 1234 máy lẻ 12")
    assert checked == summary(agency="Thành phố Hà Nội", office_phone="024 3822 1234 ext. 12")
    assert await count_people(database) == 0

    done = await an.press(CONFIRM)
    assert done.startswith("Đã đăng ký #1 Nguyễn Văn An (Thành phố Hà Nội).")
    record = await stored(database, 1)
    assert (record.full_name, record.agency_code) == ("Nguyễn Văn An", "tp-ha-noi")
    assert (record.office_phone, record.office_ext) == ("+842438221234", "12")


async def test_cancel_and_huy_part_way_keep_nothing(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(706)
    await consent(an)
    cancelled = vi("bot.cancelled")
    roles = await register(an, until="role")
    assert await an.say("/cancel") == cancelled
    assert await dialog(database, an) == (None, None, {})
    # The buttons of the cancelled question are still on screen: pressing one is too late.
    assert await an.press("Người phát ngôn", on=roles.question) == vi("bot.question_expired")
    assert roles.question.buttons == []
    assert await dialog(database, an) == (None, None, {})
    await register(an, until="mobile")  # the phone button is showing
    by_word = await an.say("hủy")
    assert by_word == cancelled and by_word.messages[0].removes_keyboard
    await register(an, until="email")
    assert await an.say("Huỷ") == cancelled  # the other way of writing it
    await register(an, until="summary")
    assert await an.press("❌ Hủy") == cancelled
    assert await an.say("/cancel") == "Không có việc gì đang làm dở để hủy."
    assert await count_people(database) == 0
    assert await an.say("Nguyễn Văn An") == vi("bot.not_understood")  # no question pending


async def test_a_focal_point_registers_a_colleague_of_its_agency(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    focal = meet(707)
    await make(database, focal, "focal", agency="Lào Cai")
    await consent(focal)
    begun = await focal.say("/register")
    assert begun.texts == ["Đăng ký người của Tỉnh Lào Cai.", ASK["full_name"]]
    await focal.say("Giàng A Páo")
    await focal.say("Chuyên viên Văn phòng")
    mobile = await focal.press("Cán bộ đầu mối")
    assert mobile == vi("bot.register.ask_mobile")
    assert not mobile.messages[0].asks_contact  # someone else's number: typed
    await focal.say("0912 345 678")
    await focal.press("Bỏ qua")
    await focal.say("pao@laocai.gov.vn")
    assert "Cơ quan" not in (await focal.press("Sửa một mục")).labels
    await focal.press("Vai trò")
    checked = await focal.press("Cán bộ đầu mối")
    assert "Vai trò: Cán bộ đầu mối cung cấp thông tin" in checked
    assert await focal.press(CONFIRM) == "Đã đăng ký #1 Giàng A Páo (Tỉnh Lào Cai)."
    record = await stored(database, 1)
    assert (record.status, record.role, record.email) == (
        "verified",
        "press_contact",
        "pao@laocai.gov.vn",
    )
    assert await linked_person(database, focal) is None  # registered someone else


async def test_staff_registering_someone_already_listed_is_offered_an_update(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    await add_person(database, "Nguyễn Văn An", role="press_contact", mobile="0988 000 111")
    staff = meet(708)
    await make(database, staff, "staff")
    await consent(staff)
    mobile = await register(staff, until="mobile")
    assert mobile == vi("bot.register.ask_mobile")
    offered = await register(staff, after="role", mobile="0912 345 678")
    assert offered == (
        "Nguyễn Văn An đã có trong danh sách của cơ quan này (#1). "
        "Cập nhật bản ghi đó bằng thông tin vừa nhập?"
    )
    assert offered.labels == ["Đồng ý", "Không"]
    updated = await staff.press("Đồng ý")
    assert updated.texts[0].startswith("Đã cập nhật bản ghi #1; các mục thay đổi: ")
    assert updated.texts[1].startswith("#1 Nguyễn Văn An\nCơ quan: Tỉnh Lào Cai")
    record = await stored(database, 1)
    assert (record.role, record.mobile, record.email) == (
        "spokesperson",
        "+84912345678",
        "an.nv@laocai.gov.vn",
    )
    assert await count_people(database) == 1


# --- a member's own record ----------------------------------------------------------------------


async def test_me_then_update_with_a_confirmation(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(709)
    await consent(an)
    assert await an.say("/me") == vi("bot.me.none")
    await register(an)
    me = await an.say("/me")
    assert me.texts[0] == card()
    assert me.texts[1].startswith("Các thay đổi gần đây:\n")
    assert "Tạo Trạng thái: — → Chờ xác minh (telegram:709)" in me.texts[1]

    begun = await an.say("/capnhat")
    assert begun.texts == [card(), "Bạn muốn cập nhật mục nào?"]
    assert begun.labels == [
        "Họ và tên",
        "Chức vụ",
        "Vai trò",
        "Điện thoại di động",
        "Điện thoại cố định",
        "Thư điện tử",
    ]
    asked = await an.press("Điện thoại di động")
    assert asked == "Nhập Điện thoại di động mới:" and asked.messages[0].asks_contact
    confirm = await an.say("0127 123 4567")
    # The old 11-digit number is converted when it is typed: the person confirms the new one.
    assert confirm.texts == [
        "Điện thoại di động: số cũ 01271234567 đã được chuyển sang số mới 0811 234 567 "
        "(đổi đầu số 11 chữ số năm 2018).",
        "Đổi Điện thoại di động thành “0811 234 567”?",
    ]
    assert confirm.labels == ["Đồng ý", "Không"]
    assert (await stored(database, 1)).mobile == "+84912345678"  # not before the answer
    done = await an.press("Đồng ý")
    assert done.texts == ["Đã cập nhật Điện thoại di động.", card(mobile="0811 234 567")]
    record = await stored(database, 1)
    assert (record.mobile, record.version) == ("+84811234567", 2)

    # "Không" changes nothing.
    await an.say("/update")
    await an.press("Chức vụ")
    assert await an.say("Giám đốc Sở") == "Đổi Chức vụ thành “Giám đốc Sở”?"
    assert await an.press("Không") == vi("bot.cancelled")
    record = await stored(database, 1)
    assert (record.position, record.version) == ("Chánh Văn phòng UBND tỉnh", 2)
    history = (await an.say("/me")).texts[1]
    assert "Sửa Điện thoại di động: 0912 345 678 → 0811 234 567 (telegram:709)" in history


async def test_withdraw_after_a_confirmation_keeps_the_trail(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(710)
    await consent(an)
    await register(an)
    asked = await an.say("/withdraw")
    assert asked.startswith("Rút Nguyễn Văn An khỏi mạng lưới?")
    assert asked.labels == ["Rút khỏi mạng lưới", "Không"]
    assert await an.press("Không") == vi("bot.cancelled")
    assert (await stored(database, 1)).status == "pending"

    await an.say("/withdraw")
    done = await an.press("Rút khỏi mạng lưới")
    assert done == "Bạn đã rút khỏi mạng lưới. Cảm ơn bạn đã tham gia."
    assert (await stored(database, 1)).status == "retired"
    assert (await directory.find_people(database.uow(), SYSTEM, "Nguyễn Văn An")).items == []
    me = await an.say("/me")
    assert me.texts[0] == card(status="Đã thôi")
    assert "Thôi tham gia Trạng thái: Chờ xác minh → Đã thôi (telegram:710)" in me.texts[1]
    assert await an.say("/withdraw") == "Bản ghi của bạn đã ở trạng thái “đã thôi”."
    assert await an.say("/update") == vi("error.person.retired", person_id=1)


# --- staff --------------------------------------------------------------------------------------

GIVEN_NAMES = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Khánh"]


async def test_find_pages_with_buttons_and_opens_a_person(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    for n, given in enumerate(GIVEN_NAMES):
        await add_person(
            database,
            f"Trần Văn {given}",
            agency="Hà Nội",
            role="press_contact",
            mobile=f"0988 111 {200 + n}",
        )
    staff = meet(711)
    await make(database, staff, "staff")
    first = await staff.say("/find tran van")
    lines = first.split("\n")
    assert lines[0] == "Kết quả cho “tran van” (1–5):"
    assert lines[1] == (
        "#1 Trần Văn An — Cán bộ đầu mối cung cấp thông tin, Thành phố Hà Nội 0988 111 200"
    )
    assert len(lines) == 6 and "Khánh" not in first
    assert first.labels == [
        "#1 Trần Văn An",
        "#2 Trần Văn Bình",
        "#3 Trần Văn Cường",
        "#4 Trần Văn Dũng",
        "#5 Trần Văn Giang",
        "Trang sau ▶",
    ]
    second = await staff.press("Trang sau")
    assert second.split("\n")[0] == "Kết quả cho “tran van” (6–7):"
    assert second.labels == ["#6 Trần Văn Hà", "#7 Trần Văn Khánh", "◀ Trang trước"]
    back = await staff.press("Trang trước")
    assert back.split("\n")[0] == "Kết quả cho “tran van” (1–5):"
    opened = await staff.press("#2 Trần Văn Bình")
    assert opened.texts[0] == card(
        2,
        full_name="Trần Văn Bình",
        agency="Thành phố Hà Nội",
        position="—",
        role="Cán bộ đầu mối cung cấp thông tin",
        mobile="0988 111 201",
        email="—",
        status="Đã xác minh",
    )
    assert opened.texts[1].startswith("Các thay đổi gần đây:\n")

    by_alias = await staff.say("/tim TRẦN VĂN KHÁNH")
    assert by_alias.split("\n")[0] == "Kết quả cho “TRẦN VĂN KHÁNH” (1–1):"
    assert by_alias.labels == ["#7 Trần Văn Khánh"]
    by_phone = await staff.say("/find +84 988.111.203")
    assert by_phone.labels == ["#4 Trần Văn Dũng"]
    assert await staff.say("/find 0912 000 000") == "Không tìm thấy ai với “0912 000 000”."
    asked = await staff.say("/find")
    assert asked == vi("bot.find.ask")
    assert (await staff.say("khanh")).labels == ["#7 Trần Văn Khánh"]


async def test_agency_missing_and_stats(bot: RunningBot, meet: Meet, database: Database) -> None:
    await add_person(database, "Nguyễn Văn An")
    staff = meet(712)
    await make(database, staff, "staff")
    listed = await staff.say("/agency UBND tỉnh Lào Cai")
    assert listed == (
        "Tỉnh Lào Cai (1 người):\n#1 Nguyễn Văn An — Người phát ngôn, Tỉnh Lào Cai 0988 000 111"
    )
    ambiguous = await staff.say("/agency Quảng")
    assert ambiguous == "Có nhiều cơ quan khớp; chọn một:"
    assert {"Tỉnh Quảng Ninh", "Tỉnh Quảng Trị", "Tỉnh Quảng Ngãi"} <= set(ambiguous.labels)
    assert await staff.press("Tỉnh Quảng Ninh") == "Tỉnh Quảng Ninh chưa có ai trong danh sách."

    missing = await staff.say("/missing")
    lines = missing.split("\n")
    assert lines[0] == "55 cơ quan chưa cử người:"
    assert "Tỉnh (27):" in lines and "Bộ (14):" in lines
    assert "• Tỉnh Quảng Ninh" in lines and "• Tỉnh Lào Cai" not in lines

    stats = (await staff.say("/stats")).split("\n")
    assert stats[0] == "Cơ quan đã cử người / tổng số:"
    assert "• Tỉnh: 1/28" in stats and "• Bộ: 0/14" in stats
    assert "Người trong mạng lưới: 1" in stats
    assert "• Người phát ngôn: 1" in stats and "• Đã xác minh: 1" in stats


async def test_person_verify_and_retire_with_a_confirmation(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(713)
    await consent(an)
    await register(an)
    staff = meet(714, "Bình")
    await make(database, staff, "staff")
    shown = await staff.say("/person 1")
    assert shown.texts[0] == card()
    assert shown.texts[1].startswith("Các thay đổi gần đây:\n")

    assert await staff.say("/verify #1") == "Đã xác minh #1 Nguyễn Văn An."
    assert (await stored(database, 1)).status == "verified"

    asked = await staff.say("/retire 1")
    assert asked == (
        "Cho #1 Nguyễn Văn An (Tỉnh Lào Cai) thôi tham gia mạng lưới? Lịch sử vẫn được lưu."
    )
    assert asked.labels == ["Đồng ý", "Không"]
    assert await staff.press("Không") == vi("bot.cancelled")
    assert (await stored(database, 1)).status == "verified"
    await staff.say("/retire 1")
    assert await staff.press("Đồng ý") == "#1 Nguyễn Văn An đã thôi tham gia mạng lưới."
    assert (await stored(database, 1)).status == "retired"
    assert await staff.say("/retire 1") == "#1 đã thôi tham gia mạng lưới từ trước."
    assert (await an.say("/me")).texts[0] == card(status="Đã thôi")

    assert await staff.say("/person abc") == (
        "“abc” không phải số bản ghi; hãy ghi số, ví dụ /person 12."
    )
    assert await staff.say("/person 999") == "Không có người nào mang số #999."
    assert await staff.say("/verify") == "Hãy ghi số bản ghi sau lệnh, ví dụ /person 12."


async def test_admin_grants_and_revokes_roles(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    admin = meet(715)
    await make(database, admin, "admin")
    newcomer = meet(716, "Cường")
    await newcomer.say("/start")  # has talked to the bot
    assert await admin.say("/grant telegram:404 staff") == "Chưa có tài khoản telegram:404."
    assert await admin.say("/grant 716 staff") == "telegram:716: quyền cán bộ Cục Báo chí "
    granted = await account(database, newcomer)
    assert granted is not None and granted.role == "staff"
    assert await newcomer.say("/find nguyen") == "Không tìm thấy ai với “nguyen”."
    assert "Dành cho cán bộ:" in await newcomer.say("/help")

    assert await admin.say("/revoke telegram:716") == (
        "telegram:716: đã thu hồi quyền, trở lại thành viên."
    )
    revoked = await account(database, newcomer)
    assert revoked is not None and revoked.role == "member"
    assert await newcomer.say("/stats") == REFUSAL

    assert await admin.say("/grant 716 focal Lào Cai") == (
        "telegram:716: quyền đầu mối cơ quan tinh-lao-cai"
    )
    focal = await account(database, newcomer)
    assert focal is not None and focal.role == "focal" and focal.agency_id is not None
    assert await admin.say("/grant 716 focal") == "Đầu mối phải gắn với một cơ quan (--agency)."
    assert await admin.say("/grant 716") == vi("bot.grant.usage")
    assert await admin.say("/revoke") == vi("bot.revoke.usage")
    assert await admin.say("/grant nobody staff") == "Chưa có tài khoản telegram:nobody."
    assert "“n@body!”" in await admin.say("/grant n@body! staff")


# --- who may do what ----------------------------------------------------------------------------

STAFF_COMMANDS: dict[str, set[str]] = {
    # command: the roles allowed (the focal point answers for Tỉnh Lào Cai, where #1 works)
    "/find nguyen": {"focal", "staff", "admin"},
    "/tim nguyen": {"focal", "staff", "admin"},
    "/agency Lào Cai": {"focal", "staff", "admin"},
    "/agency Hà Nội": {"staff", "admin"},
    "/missing": {"staff", "admin"},
    "/stats": {"staff", "admin"},
    "/person 1": {"focal", "staff", "admin"},
    "/verify 1": {"focal", "staff", "admin"},
    "/retire 1": {"focal", "staff", "admin"},
    "/update 1": {"focal", "staff", "admin"},
    "/grant 9 staff": {"admin"},
    "/revoke telegram:9": {"admin"},
}


@pytest.mark.parametrize("mode", ["polling"], indirect=True)
@pytest.mark.parametrize("role", ["member", "focal", "staff", "admin"])
async def test_each_staff_and_admin_command_by_every_role(
    bot: RunningBot, meet: Meet, database: Database, role: str
) -> None:
    await add_person(database, "Nguyễn Văn An")
    before = await stored(database, 1)
    await meet(9, "Dũng").say("/start")  # someone who has talked to the bot
    someone = meet(720)
    if role != "member":
        await make(database, someone, role, agency="Lào Cai" if role == "focal" else None)
    await consent(someone)
    for command, allowed in STAFF_COMMANDS.items():
        reply = await someone.say(command)
        if role in allowed:
            assert REFUSAL not in reply, (command, reply.texts)
        else:
            assert reply == REFUSAL, (command, reply.texts)
    helped = await someone.say("/help")
    assert ("Dành cho cán bộ:" in helped) == (role != "member")
    assert ("Dành cho quản trị:" in helped) == (role == "admin")
    nine = await account(database, meet(9))
    assert nine is not None and nine.role == "member"  # granted then revoked, or refused
    if role == "member":
        after = await stored(database, 1)
        assert (after.status, after.version) == (before.status, before.version)


# --- languages ----------------------------------------------------------------------------------


async def test_lang_en_switches_every_text_to_english(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(721)
    asked = await an.say("/lang")
    assert asked == "Chọn ngôn ngữ / Choose a language:"
    assert asked.labels == ["Tiếng Việt", "English"]
    assert await an.press("English") == "Switched to English."
    started = await an.say("/start")
    assert started.texts == [en("bot.start.welcome"), en("bot.consent.notice")]
    assert started.labels == ["I agree", "I do not agree"]
    assert await an.press("I agree") == en("bot.consent.accepted")
    assert await an.say("/register") == en("bot.register.ask_agency")
    picks = await an.say("lao cai")
    assert picks == en("bot.register.pick_agency", count=1)
    await an.press("Tỉnh Lào Cai")
    assert await an.say("Nguyễn Văn 4n") == "\n".join(
        [
            "Full name: " + en("error.name.digits"),
            en("bot.register.ask_full_name"),
        ]
    )
    assert await an.say("/cancel") == en("bot.cancelled")
    assert await an.say("/stats") == en("error.permission.denied")
    assert await an.say("/xyz") == en("bot.unknown_command", command="xyz")
    assert (await an.say("/help")).startswith(en("bot.help.intro"))
    assert await an.say("/lang vi") == "Đã chuyển sang tiếng Việt."
    assert await an.say("/xyz") == "Không có lệnh /xyz. Gõ /help để xem các lệnh."


# --- garbage --------------------------------------------------------------------------------------


async def try_garbage(
    who: Person, db: Database, tries: list[tuple[str, Any, list[str] | str]]
) -> None:
    """Send each piece of garbage; the answer is as expected (a list: these exact messages; a
    string: the first message contains it and the last asks the same question again), and the
    dialog (its step, the answers so far) and the registry are as they were."""
    before = await dialog(db, who)
    question = who.chat[-1]
    people_before = await count_people(db)
    for label, send, expected in tries:
        reply: Answer = await send()
        if isinstance(expected, list):
            assert reply.texts == expected, (label, reply.texts)
        else:
            assert expected in reply.texts[0], (label, reply.texts)
            assert reply.texts[-1] == question.text, (label, reply.texts)
            assert reply.labels == question.labels, label
        assert await dialog(db, who) == before, label
    assert await count_people(db) == people_before


def common_garbage(who: Person) -> list[tuple[str, Any, list[str] | str]]:
    return [
        ("sticker", who.send_sticker, STICKER),
        ("photo", who.send_photo, STICKER),
        (
            "stale button data",
            lambda: who.press_data("1:yes", on=who.chat[-1]),
            [vi("bot.question_expired")],
        ),
    ]


async def test_garbage_at_every_step_of_register_changes_nothing(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(722)
    await consent(an)
    type_answer, choose = vi("bot.type_answer"), vi("bot.choose_option")

    async def current(data: str) -> Answer:
        """A button press with forged data for the question being asked (a modified client)."""
        number = await question_number(database, an)
        return await an.press_data(f"{number}:{data}", on=an.chat[-1])

    def other_contact() -> Any:
        return an.share_contact("+84988777666", own=False)

    await an.say("/register")
    await try_garbage(
        an,
        database,
        [
            ("blank", lambda: an.say("   "), "Chưa nhập cơ quan."),
            ("long", lambda: an.say(LONG), "Cơ quan: dài quá 200 ký tự."),
            ("emoji", lambda: an.say(EMOJI), f"Không tìm thấy cơ quan nào khớp với “{EMOJI}”."),
            ("contact", other_contact, [ASK["agency"]]),
            *common_garbage(an),
        ],
    )
    old_list = (await an.say("lao cai")).question
    await try_garbage(an, database, common_garbage(an))
    new_list = (await an.say("Lào Cai")).question
    # A button of the first list: expired, its buttons vanish, the new list still works.
    assert await an.press("Tỉnh Lào Cai", on=old_list) == vi("bot.question_expired")
    assert old_list.buttons == [] and new_list.labels == ["Tỉnh Lào Cai"]
    assert await an.press("Tỉnh Lào Cai", on=new_list) == ASK["full_name"]

    await try_garbage(
        an,
        database,
        [
            ("blank", lambda: an.say(" \n "), "Chưa nhập họ và tên."),
            ("long", lambda: an.say(LONG), "Họ và tên dài quá 100 ký tự."),
            ("emoji", lambda: an.say(EMOJI), "Họ và tên có ký tự không hợp lệ (🙂)."),
            ("contact", other_contact, [type_answer, ASK["full_name"]]),
            ("forged", lambda: current("zzz"), [type_answer, ASK["full_name"]]),
            *common_garbage(an),
        ],
    )
    await an.say("Nguyễn Văn An")
    await try_garbage(
        an,
        database,
        [
            ("long", lambda: an.say(LONG), "Chức vụ: dài quá 200 ký tự."),
            ("contact", other_contact, [type_answer, ASK["position"]]),
            *common_garbage(an),
        ],
    )
    await an.say("Chánh Văn phòng UBND tỉnh")
    unknown_role = "không có. Chọn: người đứng đầu, người phát ngôn"
    await try_garbage(
        an,
        database,
        [
            ("blank", lambda: an.say("   "), unknown_role),
            ("long", lambda: an.say(LONG), unknown_role),
            ("emoji", lambda: an.say(EMOJI), unknown_role),
            ("contact", other_contact, choose),
            ("forged", lambda: current("admin"), "Vai trò “admin” không có."),
            *common_garbage(an),
        ],
    )
    await an.press("Người phát ngôn")
    await try_garbage(
        an,
        database,
        [
            *common_garbage(an),
            ("long", lambda: an.say(LONG), "Điện thoại di động: Số điện thoại quá dài"),
            ("emoji", lambda: an.say(EMOJI), f"Số {EMOJI} không phải số điện thoại hợp lệ"),
            ("forged", lambda: current("zzz"), type_answer),
            ("contact", other_contact, vi("bot.register.contact_not_own")),
        ],
    )
    assert an.chat[-1].asks_contact  # the phone button is offered again
    await an.share_contact("+84912345678")
    await try_garbage(
        an,
        database,
        [
            ("long", lambda: an.say(LONG), "Điện thoại cố định: Số điện thoại quá dài"),
            ("emoji", lambda: an.say(EMOJI), f"Số {EMOJI} không phải số điện thoại hợp lệ"),
            ("contact", other_contact, choose),
            ("forged", lambda: current("zzz"), choose),
            *common_garbage(an),
        ],
    )
    await an.press("Bỏ qua")
    await try_garbage(
        an,
        database,
        [
            ("blank", lambda: an.say("   "), "Chưa nhập địa chỉ email."),
            ("long", lambda: an.say(LONG), "Địa chỉ email quá dài."),
            ("emoji", lambda: an.say(EMOJI), "Địa chỉ email phải có dấu @"),
            ("contact", other_contact, [type_answer, ASK["email"]]),
            *common_garbage(an),
        ],
    )
    first_summary = (await an.say("an.nv@laocai.gov.vn")).question
    await try_garbage(
        an,
        database,
        [
            ("blank", lambda: an.say("   "), choose),
            ("long", lambda: an.say(LONG), choose),
            ("emoji", lambda: an.say(EMOJI), choose),
            ("contact", other_contact, choose),
            ("forged", lambda: current("zzz"), choose),
            *common_garbage(an),
        ],
    )
    # The first summary still shows its buttons (typed answers do not remove them): stale.
    assert first_summary.labels == SUMMARY_BUTTONS
    assert await an.press(CONFIRM, on=first_summary) == vi("bot.question_expired")
    assert await count_people(database) == 0
    done = await an.press(CONFIRM)
    assert done.startswith("Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai).")
    record = await stored(database, 1)
    assert (record.full_name, record.position, record.role, record.mobile, record.email) == (
        "Nguyễn Văn An",
        "Chánh Văn phòng UBND tỉnh",
        "spokesperson",
        "+84912345678",
        "an.nv@laocai.gov.vn",
    )
    assert an.fake.unread(an.user.chat_id) == []


async def test_garbage_and_stale_buttons_leave_stored_records_unchanged(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    an = meet(723)
    await consent(an)
    await register(an)
    before = await stored(database, 1)

    # /update: a member forging the "agency" field (offered to staff only), then bad values.
    await an.say("/update")
    number = await question_number(database, an)
    forged = await an.press_data(f"{number}:agency", on=an.chat[-1])
    assert forged.texts == [vi("bot.choose_option"), "Bạn muốn cập nhật mục nào?"]
    assert "Cơ quan" not in forged.labels
    await an.press("Thư điện tử")
    for garbage, complaint in [
        (LONG, "Địa chỉ email quá dài."),
        (EMOJI, "dấu @"),
    ]:
        reply = await an.say(garbage)
        assert complaint in reply.texts[0] and reply.texts[-1] == "Nhập Thư điện tử mới:"
    for reply in (await an.send_sticker(), await an.send_photo()):
        assert reply.texts == STICKER
    contact = await an.share_contact("+84912345678")
    assert contact.texts == [vi("bot.type_answer"), "Nhập Thư điện tử mới:"]
    assert await an.say("/cancel") == vi("bot.cancelled")

    # /withdraw: its buttons expire once another command begins.
    stale = (await an.say("/withdraw")).question
    await an.say("/me")
    assert await an.press("Rút khỏi mạng lưới", on=stale) == vi("bot.question_expired")
    assert stale.buttons == []
    after = await stored(database, 1)
    assert (after.email, after.status, after.version) == (before.email, "pending", before.version)

    # Staff: an old page of results, forged person ids, a focal point looking elsewhere.
    await add_person(database, "Lê Thị Hà", agency="Hà Nội", mobile="0988 000 333")
    staff = meet(724, "Bình")
    await make(database, staff, "staff")
    old_page = (await staff.say("/find nguyen")).question
    await staff.say("/find le thi")
    assert await staff.press("#1 Nguyễn Văn An", on=old_page) == vi("bot.question_expired")
    number = await question_number(database, staff)
    missing = await staff.press_data(f"{number}:p999", on=staff.chat[-1])
    assert missing == "Không có người nào mang số #999."
    stale_retire = (await staff.say("/retire 1")).question
    await staff.say("/stats")
    assert await staff.press("Đồng ý", on=stale_retire) == vi("bot.question_expired")
    assert (await stored(database, 1)).status == "pending"

    focal = meet(725, "Cường")
    await make(database, focal, "focal", agency="Lào Cai")
    await focal.say("/find nguyen")
    number = await question_number(database, focal)
    elsewhere = await focal.press_data(f"{number}:p2", on=focal.chat[-1])
    assert elsewhere == REFUSAL  # reveals nothing about #2 of Hà Nội
    assert (await stored(database, 2)).version == 1


# --- time and restarts --------------------------------------------------------------------------


async def test_a_restart_in_the_middle_of_register_loses_nothing(
    mode: Mode, fake: FakeTelegram, database: Database, meet: Meet
) -> None:
    an = meet(726)
    async with bot_running(mode, fake, database):
        await consent(an)
        roles = await register(an, until="role")
        assert roles == ASK["role"]
    # A new application (a new process in real life) on the same database.
    async with bot_running(mode, fake, database):
        mobile = await an.press("Người phát ngôn", on=roles.question)
        assert mobile == ASK["mobile"] and mobile.messages[0].asks_contact
        await an.share_contact("+84912345678")
    async with bot_running(mode, fake, database):
        await an.press("Bỏ qua")
        assert await an.say("an.nv@laocai.gov.vn") == summary()
        done = await an.press(CONFIRM)
        assert done.startswith("Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai).")
    record = await stored(database, 1)
    assert (record.full_name, record.mobile, record.status) == (
        "Nguyễn Văn An",
        "+84912345678",
        "pending",
    )
    assert await linked_person(database, an) == 1


async def test_an_abandoned_dialog_expires_with_a_friendly_message(
    mode: Mode, fake: FakeTelegram, database: Database, meet: Meet
) -> None:
    an = meet(727)
    async with bot_running(mode, fake, database, dialog_idle_hours=0.0002):  # 0.72 s
        await consent(an)
        await an.say("/register")
        await asyncio.sleep(1)
        expired = await an.say("lao cai")
        assert expired.texts == [vi("bot.expired"), vi("bot.not_understood")]
        assert await dialog(database, an) == (None, None, {})
