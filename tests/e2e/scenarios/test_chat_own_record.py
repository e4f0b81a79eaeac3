"""A member's own record on every channel: /me with its history, /update of each field (and a
record changed meanwhile), and /withdraw."""

from __future__ import annotations

from registry import directory, people
from registry.models import ChangeLog
from tests.builders import SYSTEM, count, registered, stored
from tests.e2e.scenarios.script import (
    EMOJI,
    LONG,
    card,
    member,
    registered_member,
    unsupported,
    vi,
)
from tests.e2e.scenarios.stage import Stage

MEMBER_FIELDS = [
    "Họ và tên",
    "Chức vụ",
    "Vai trò",
    "Điện thoại di động",
    "Điện thoại cố định",
    "Thư điện tử",
]
YES_NO = ["Đồng ý", "Không"]
POSITION, EMAIL = "Chánh Văn phòng UBND tỉnh", "an.nv@laocai.gov.vn"


async def test_me_then_update_with_a_confirmation(stage: Stage) -> None:
    an = await member(stage, 740)
    assert await an.say("/me") == vi("bot.me.none")
    assert await an.say("/update") == vi("bot.me.none")
    assert await an.say("/withdraw") == vi("bot.me.none")
    await registered(stage.db, an.identity, position=POSITION, email=EMAIL)
    me = await an.say("/me")
    assert me.texts[0] == card()
    assert me.texts[1].startswith("Các thay đổi gần đây:\n")
    assert f"Tạo Trạng thái: — → Chờ xác minh ({an.identity})" in me.texts[1]
    # Right after registering, the whole creation, with the agency's name (not its code).
    assert f"Tạo Cơ quan: — → Tỉnh Lào Cai ({an.identity})" in me.texts[1]
    assert f"Tạo Thư điện tử: — → {EMAIL} ({an.identity})" in me.texts[1]

    begun = await an.say("/capnhat")
    assert begun.texts == [card(), "Bạn muốn cập nhật mục nào?"]
    assert begun.options == MEMBER_FIELDS
    asked = await an.pick("Điện thoại di động")
    assert asked == "Nhập Điện thoại di động mới:"
    assert asked.asks_contact == an.can.contact_button
    confirm = await an.say("0127 123 4567")
    # The old 11-digit number is converted when it is typed: the person confirms the new one.
    assert confirm.texts == [
        "Điện thoại di động: số cũ 01271234567 đã được chuyển sang số mới 0811 234 567 "
        "(đổi đầu số 11 chữ số năm 2018).",
        "Đổi Điện thoại di động thành “0811 234 567”?",
    ]
    assert confirm.options == YES_NO
    assert (await stored(stage.db, 1)).mobile == "+84912345678"  # not before the answer
    done = await an.pick("Đồng ý")
    assert done.texts == ["Đã cập nhật Điện thoại di động.", card(mobile="0811 234 567")]
    record = await stored(stage.db, 1)
    assert (record.mobile, record.version) == ("+84811234567", 2)

    # "Không" changes nothing.
    await an.say("/update")
    await an.pick("Chức vụ")
    assert await an.say("Giám đốc Sở") == "Đổi Chức vụ thành “Giám đốc Sở”?"
    assert await an.pick("Không") == vi("bot.cancelled")
    record = await stored(stage.db, 1)
    assert (record.position, record.version) == ("Chánh Văn phòng UBND tỉnh", 2)
    history = (await an.say("/me")).texts[1]
    assert f"Sửa Điện thoại di động: 0912 345 678 → 0811 234 567 ({an.identity})" in history

    # Someone else (staff, an import) changes the record before the answer: refused.
    await an.say("/update")
    await an.pick("Chức vụ")
    await an.say("Giám đốc Sở")
    await people.update_field(stage.db.uow(), SYSTEM, 1, "position", "Phó Giám đốc Sở")
    refused = await an.pick("Đồng ý")
    assert refused == vi("error.person.changed") and "người khác thay đổi" in refused
    assert (await stored(stage.db, 1)).position == "Phó Giám đốc Sở"


async def test_every_field_can_be_updated(stage: Stage) -> None:
    an = await registered_member(stage, 741)
    # (field, typed, as the confirmation shows it: normalised, what will be kept, on the card)
    changes = [
        ("Họ và tên", "Nguyễn Văn Ân", "Nguyễn Văn Ân", "#1 Nguyễn Văn Ân"),
        ("Chức vụ", "Phó Chánh Văn phòng", "Phó Chánh Văn phòng", "Chức vụ: Phó Chánh Văn phòng"),
        (
            "Điện thoại cố định",
            "(0214) 3840 888 máy lẻ 12",
            "0214 3840 888 máy lẻ 12",
            "Điện thoại cố định: 0214 3840 888 máy lẻ 12",
        ),
        ("Thư điện tử", "An@LaoCai.gov.vn", "an@laocai.gov.vn", "Email: an@laocai.gov.vn"),
    ]
    for field, value, confirmed, shown in changes:
        await an.say("/update")
        assert await an.pick(field) == f"Nhập {field} mới:"
        assert await an.say(value) == f"Đổi {field} thành “{confirmed}”?"
        done = await an.pick("Đồng ý")
        assert done.texts[0] == f"Đã cập nhật {field}."
        assert shown in done.texts[-1], field
    await an.say("/update")
    roles = await an.pick("Vai trò")
    assert roles == "Nhập Vai trò mới:" and "Người đứng đầu" in roles.options
    assert (await an.pick("Người đứng đầu")).startswith("Đổi Vai trò thành “")
    assert "Vai trò: Người đứng đầu" in await an.pick("Đồng ý")
    record = await stored(stage.db, 1)
    assert (record.full_name, record.position, record.role) == (
        "Nguyễn Văn Ân",
        "Phó Chánh Văn phòng",
        "head",
    )
    assert (record.office_phone, record.office_ext, record.email) == (
        "+842143840888",
        "12",
        "an@laocai.gov.vn",
    )
    assert record.version == 6
    if an.can.blank_lines:
        # Nothing typed: the field is emptied, after saying so.
        await an.say("/update")
        await an.pick("Thư điện tử")
        assert await an.say("  ") == "Xóa Thư điện tử? Mục này sẽ để trống."
        await an.pick("Đồng ý")
        assert (await stored(stage.db, 1)).email is None


async def test_wrong_answers_while_updating_change_nothing(stage: Stage) -> None:
    an = await registered_member(stage, 742)
    before = await stored(stage.db, 1)
    which = "Bạn muốn cập nhật mục nào?"
    await an.say("/update")
    assert (await an.say("địa chỉ")).texts == [vi("bot.choose_option"), which]
    if an.can.buttons:
        # A member forging "agency" (a field only staff may change) is asked again.
        forged = await an.forge("agency")
        assert forged.texts == [vi("bot.choose_option"), which]
        assert "Cơ quan" not in forged.options
    await an.pick("Thư điện tử")
    for garbage, complaint in [(LONG, "Địa chỉ email quá dài."), (EMOJI, "dấu @")]:
        reply = await an.say(garbage)
        assert complaint in reply.texts[0] and reply.texts[-1] == "Nhập Thư điện tử mới:"
    if an.can.stickers:
        assert (await an.send_sticker()).texts == [unsupported(an), vi("bot.still_waiting")]
    if an.can.contact_button:
        contact = await an.share_contact("+84912345678")
        assert contact.texts == [vi("bot.type_answer"), "Nhập Thư điện tử mới:"]
    assert await an.say("/cancel") == vi("bot.cancelled")
    if an.can.contact_button:
        await an.say("/update")
        await an.pick("Điện thoại di động")
        refused = await an.share_contact("+84988000111", own=False)
        assert refused.texts == [vi("bot.register.contact_not_own"), "Nhập Điện thoại di động mới:"]
        await an.say("/cancel")
    assert (
        await an.say("/update abc") == "“abc” không phải số bản ghi; hãy ghi số, ví dụ /person 12."
    )
    after = await stored(stage.db, 1)
    assert (after.email, after.mobile, after.version) == (before.email, before.mobile, 1)


async def test_withdraw_after_a_confirmation_keeps_the_trail(stage: Stage) -> None:
    an = await registered_member(stage, 744)
    changes = await count(stage.db, ChangeLog)
    asked = await an.say("/withdraw")
    assert asked.startswith("Rút Nguyễn Văn An khỏi mạng lưới?")
    assert asked.options == ["Rút khỏi mạng lưới", "Không"]
    assert await an.pick("Không") == vi("bot.cancelled")
    assert (await stored(stage.db, 1)).status == "pending"

    # Its question expires once another command begins.
    stale = await an.say("/withdraw")
    await an.say("/me")
    if an.can.buttons:
        assert await an.pick("Rút khỏi mạng lưới", on=stale) == vi("bot.question_expired")
    else:
        assert await an.say("1") == vi("bot.not_understood")
    assert (await stored(stage.db, 1)).status == "pending"

    await an.say("/withdraw")
    done = await an.pick("Rút khỏi mạng lưới")
    assert done.texts == [
        "Bạn đã rút khỏi mạng lưới. Cảm ơn bạn đã tham gia.",
        vi("bot.rights.after_withdraw"),
    ]
    assert (await stored(stage.db, 1)).status == "retired"
    assert await count(stage.db, ChangeLog) == changes + 2  # the status, and the chat unlinked
    assert (await directory.find_people(stage.db.uow(), SYSTEM, "Nguyễn Văn An")).items == []
    assert await directory.list_people(stage.db.uow(), SYSTEM) == []
    # The chat is no longer that record's: the person may register again, as someone new.
    assert await an.say("/me") == vi("bot.me.none")
    assert await an.say("/withdraw") == vi("bot.me.none")
    assert await an.say("/update") == vi("bot.me.none")
    history = await people.person_history(stage.db.uow(), SYSTEM, 1)
    assert [h.action for h in history][-1] == "retire"


async def test_erase_after_a_confirmation_leaves_a_tombstone(stage: Stage) -> None:
    an = await registered_member(stage, 745)
    asked = await an.say("/erase")
    assert asked.startswith("Xóa dữ liệu cá nhân của bạn?")
    assert asked.options == ["Xóa dữ liệu", "Không"]
    for garbage in ("có lẽ", "7", LONG):
        again = await an.say(garbage)
        assert again.options == ["Xóa dữ liệu", "Không"], garbage
    assert (await stored(stage.db, 1)).full_name == "Nguyễn Văn An"
    await an.say("/erase")
    assert await an.pick("Xóa dữ liệu") == vi("bot.erase.done")
    gone = await stored(stage.db, 1)
    assert (gone.full_name, gone.mobile, gone.email, gone.status) == ("—", None, None, "retired")
    assert (await directory.find_people(stage.db.uow(), SYSTEM, "Nguyễn Văn An")).items == []
