"""/register on every channel: a member registering themselves, the summary and its edits, a
focal point registering a colleague, and someone who is already on the list."""

from __future__ import annotations

from registry import directory
from tests.builders import SYSTEM, count_people, grant, listed, person_of, stored
from tests.e2e.scenarios.driver import Answer, only_where
from tests.e2e.scenarios.script import (
    ASK,
    CONFIRM,
    ROLES,
    SUMMARY_OPTIONS,
    card,
    member,
    register,
    registered_member,
    staff,
    summary,
    vi,
)
from tests.e2e.scenarios.stage import Stage


async def test_a_member_registers_and_sees_the_record(stage: Stage) -> None:
    an = await member(stage, 710)
    assert await an.say("/register") == ASK["agency"]
    picks = await an.say("  LAO   cai ")  # case, accents and spaces do not matter
    assert picks == "Có 1 cơ quan khớp; chọn cơ quan của bạn (hoặc gõ lại tên):"
    assert picks.options == ["Tỉnh Lào Cai"]
    assert await an.pick("Tỉnh Lào Cai") == ASK["full_name"]
    assert await an.say("Nguyễn Văn An") == ASK["position"]
    roles = await an.say("Chánh Văn phòng UBND tỉnh")
    assert roles == ASK["role"] and roles.options == ROLES
    mobile = await an.pick("Người phát ngôn")
    assert mobile == ASK["mobile"]
    # The "share my phone number" button, where the channel has one; elsewhere it is typed.
    assert mobile.asks_contact == an.can.contact_button
    office = await an.share_contact("+84912345678")
    assert office == ASK["office_phone"] and office.options == ["Bỏ qua"]
    assert await an.pick("Bỏ qua") == ASK["email"]
    checked = await an.say("An.NV@LaoCai.gov.vn")
    assert checked == summary()
    assert checked.options == SUMMARY_OPTIONS
    assert await count_people(stage.db) == 0  # nothing is stored before the confirmation

    done = await an.pick(CONFIRM)
    assert done == (
        "Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai). Cục Báo chí sẽ xác minh thông tin; "
        "bạn có thể xem lại bằng /me."
    )
    record = await stored(stage.db, 1)
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
    found = await directory.find_people(stage.db.uow(), SYSTEM, "nguyen van an")
    assert [p.id for p in found.items] == [1]
    assert await person_of(stage.db, an.identity) == 1  # the account is now this record
    assert (await an.say("/me")).texts[0] == card()
    assert await an.say("/dangky") == vi("bot.register.already", person_id=1)


async def test_an_old_eleven_digit_mobile_is_converted_with_a_notice(stage: Stage) -> None:
    an = await member(stage, 711)
    await register(an, until="position")
    assert await an.say("Chánh Văn phòng") == ASK["role"]
    await an.pick("Người phát ngôn")
    converted = await an.say("0169.123.4567")
    assert converted.texts == [
        "Điện thoại di động: số cũ 01691234567 đã được chuyển sang số mới 0391 234 567 "
        "(đổi đầu số 11 chữ số năm 2018).",
        ASK["office_phone"],
    ]
    checked = await register(an, after="mobile", until="summary")
    assert checked == summary(position="Chánh Văn phòng", mobile="0391 234 567")
    await an.pick(CONFIRM)
    record = await stored(stage.db, 1)
    assert (record.mobile, record.position) == ("+84391234567", "Chánh Văn phòng")


async def test_fields_are_edited_from_the_summary(stage: Stage) -> None:
    an = await member(stage, 712)
    await register(an, until="summary", full_name="Nguyen Van An")
    which = await an.pick("Sửa một mục")
    assert which == "Sửa mục nào?"
    assert which.options == [
        "Cơ quan",
        "Họ và tên",
        "Chức vụ",
        "Vai trò",
        "Điện thoại di động",
        "Điện thoại cố định",
        "Thư điện tử",
    ]
    assert await an.pick("Họ và tên") == ASK["full_name"]
    assert await an.say("Nguyễn Văn An") == summary()

    await an.pick("Sửa một mục")
    assert await an.pick("Cơ quan") == ASK["agency"]
    await an.say("ha noi")
    assert await an.pick("Thành phố Hà Nội") == summary(agency="Thành phố Hà Nội")

    await an.pick("Sửa một mục")
    assert await an.pick("Điện thoại cố định") == ASK["office_phone"]
    checked = await an.say("(024) 3822 1234 máy lẻ 12")
    assert checked == summary(agency="Thành phố Hà Nội", office_phone="024 3822 1234 máy lẻ 12")
    # Anything but an option, at the summary or at "which field", shows the summary again.
    again = await an.say("xong")
    assert again.texts == [vi("bot.choose_option"), checked]
    await an.pick("Sửa một mục")
    assert (await an.say("Số điện thoại")).texts == [vi("bot.choose_option"), checked]
    assert await count_people(stage.db) == 0

    done = await an.pick(CONFIRM)
    assert done.startswith("Đã đăng ký #1 Nguyễn Văn An (Thành phố Hà Nội).")
    record = await stored(stage.db, 1)
    assert (record.full_name, record.agency_code) == ("Nguyễn Văn An", "tp-ha-noi")
    assert (record.office_phone, record.office_ext) == ("+842438221234", "12")


@only_where("contact_button", "only Telegram tells one's own contact from someone else's")
async def test_only_the_senders_own_contact_is_taken_as_their_mobile(stage: Stage) -> None:
    an = await member(stage, 713)
    asked = await register(an, until="mobile")
    assert asked == ASK["mobile"] and asked.asks_contact
    refused = await an.share_contact("+84988000111", own=False)
    assert refused.texts == [vi("bot.register.contact_not_own"), ASK["mobile"]]
    assert "chính bạn" in refused.texts[0]
    assert refused.asks_contact  # the button is offered again
    assert await an.share_contact("84912345678", own=True) == ASK["office_phone"]
    await register(an, after="mobile")
    assert (await stored(stage.db, 1)).mobile == "+84912345678"


async def test_a_focal_point_registers_a_colleague_of_its_agency(stage: Stage) -> None:
    focal = await staff(stage, 714, "focal", agency="Lào Cai")
    begun = await focal.say("/register")
    assert begun.texts == ["Đăng ký người của Tỉnh Lào Cai.", ASK["full_name"]]
    await focal.say("Giàng A Páo")
    await focal.say("Chuyên viên Văn phòng")
    mobile = await focal.pick("Cán bộ đầu mối")
    assert mobile == vi("bot.register.ask_mobile")
    assert not mobile.asks_contact  # someone else's number: typed
    await focal.say("0988 765 432")
    await focal.pick("Bỏ qua")
    await focal.say("pao@laocai.gov.vn")
    assert "Cơ quan" not in (await focal.pick("Sửa một mục")).options
    assert await focal.pick("Vai trò") == ASK["role"]
    checked = await focal.pick("Cán bộ đầu mối")
    assert "Vai trò: Cán bộ đầu mối cung cấp thông tin" in checked
    assert await focal.pick(CONFIRM) == "Đã đăng ký #1 Giàng A Páo (Tỉnh Lào Cai)."
    record = await stored(stage.db, 1)
    assert (record.status, record.role, record.email) == (
        "verified",
        "press_contact",
        "pao@laocai.gov.vn",
    )
    assert await person_of(stage.db, focal.identity) is None  # registered someone else
    # A member on the list made a focal point later registers people of the agency too.
    an = await registered_member(stage, 719)
    await grant(stage.db, an.identity, "focal", agency="Lào Cai")
    assert (await an.say("/register")).texts[0] == "Đăng ký người của Tỉnh Lào Cai."


async def test_staff_registering_someone_already_listed_is_offered_an_update(
    stage: Stage,
) -> None:
    await listed(stage.db, role="press_contact", mobile="0988 000 111")
    clerk = await staff(stage, 715)
    mobile = await register(clerk, until="mobile")
    assert mobile == vi("bot.register.ask_mobile")
    offered = await register(clerk, after="role", mobile="0912 345 678")
    assert offered == (
        "Nguyễn Văn An đã có trong danh sách của cơ quan này (#1). "
        "Cập nhật bản ghi đó bằng thông tin vừa nhập?"
    )
    assert offered.options == ["Đồng ý", "Không"]
    updated = await clerk.pick("Đồng ý")
    assert updated.texts[0].startswith("Đã cập nhật bản ghi #1; các mục thay đổi: ")
    assert updated.texts[1].startswith("#1 Nguyễn Văn An\nCơ quan: Tỉnh Lào Cai")
    record = await stored(stage.db, 1)
    assert (record.role, record.mobile, record.email) == (
        "spokesperson",
        "+84912345678",
        "an.nv@laocai.gov.vn",
    )
    assert await count_people(stage.db) == 1
    # Declined, the offer changes nothing.
    await register(clerk, until="summary", position="Giám đốc Sở")
    await clerk.pick(CONFIRM)
    assert await clerk.pick("Không") == vi("bot.cancelled")
    assert (await stored(stage.db, 1)).position == "Chánh Văn phòng UBND tỉnh"


@only_where("contact_button", "a typed number does not prove it is the sender's own")
async def test_a_member_claims_a_listed_record_with_their_own_contact(stage: Stage) -> None:
    await listed(stage.db, source="import")
    an = await member(stage, 716)
    offered = await register(
        an, position="Phó Chánh Văn phòng", mobile="@+84912345678", email="an@laocai.gov.vn"
    )
    assert offered == vi("bot.register.duplicate_claim", name="Nguyễn Văn An", person_id=1)
    assert "đúng số điện thoại của bạn" in offered
    assert "Đã cập nhật bản ghi #1" in await an.pick("Đồng ý")
    me = await an.say("/me")
    assert "Phó Chánh Văn phòng" in me and "an@laocai.gov.vn" in me
    assert await person_of(stage.db, an.identity) == 1


async def test_a_member_typing_a_listed_name_is_sent_to_the_focal_point(stage: Stage) -> None:
    await listed(stage.db)
    an = await member(stage, 717)
    answer = await register(an, mobile="0988 000 222")
    # Another mobile: no claim. Only Telegram has a button to prove one's own number.
    telegram = stage.channel == "telegram"
    key = "bot.register.duplicate_ask_focal" if telegram else "bot.claims.no_match"
    assert answer == vi(key, name="Nguyễn Văn An", person_id=1)
    assert "đầu mối" in answer and ("nút" in answer) == telegram
    assert (await stored(stage.db, 1)).mobile == "+84912345678"
    assert await count_people(stage.db) == 1
    # A mobile someone else already uses is asked again, the rest of the answers kept.
    asked = await register(an, full_name="Nguyễn Văn Ba", mobile="0912 345 678")
    # Said without naming whose number it is.
    assert asked.texts == [vi("bot.mobile_taken.person"), ASK["mobile"]]
    assert "Nguyễn Văn An" not in asked and "#1" not in asked
    assert await an.say("0988 000 333") == summary(full_name="Nguyễn Văn Ba", mobile="0988 000 333")
    assert (await an.pick(CONFIRM)).startswith("Đã đăng ký #2 Nguyễn Văn Ba")


async def test_a_mobile_in_use_is_refused_without_naming_its_holder_and_staff_are_told(
    stage: Stage,
) -> None:
    await listed(stage.db)
    worker = await staff(stage, 718, "staff")
    an = await member(stage, 719)
    staff_note = vi(
        "bot.mobile_taken.staff",
        mobile="+84912345678",
        who=an.identity,
        name="Nguyễn Văn An",
        person_id=1,
    )

    def own(answer: Answer) -> list[str]:
        # The terminal has one window: it prints what other console chats are told in it too.
        return [text for text in answer.texts if text != staff_note]

    asked = await register(an, full_name="Nguyễn Văn Ba", mobile="0912 345 678")
    assert own(asked) == [vi("bot.mobile_taken.person"), ASK["mobile"]]
    assert not any("Nguyễn Văn An" in text or "#1" in text for text in own(asked))
    told = getattr(an, "notices", None)  # the engine's chat shows what goes to other chats
    if told is not None:
        assert [(n.channel, n.chat_id) for n in told] == [(worker.channel, worker.external_id)]
        assert "Nguyễn Văn An (#1)" in told[0].text and "+84912345678" in told[0].text
        assert an.identity in told[0].text
    # The same at /update of one's own mobile.
    assert (await an.say("0988 000 333")).texts[-1] == summary(
        full_name="Nguyễn Văn Ba", mobile="0988 000 333"
    )
    assert (await an.pick(CONFIRM)).startswith("Đã đăng ký #2 Nguyễn Văn Ba")
    await an.say("/update")
    await an.pick("Điện thoại di động")
    await an.say("0912 345 678")
    refused = await an.pick("Đồng ý")
    assert own(refused) == [
        vi("bot.mobile_taken.person"),
        vi("bot.update.new_value", field="Điện thoại di động"),
    ]
    assert (await stored(stage.db, 2)).mobile == "+84988000333"
    # Staff see the registry's own words, with the holder.
    assert await worker.say("/update 2") != ""
    await worker.pick("Điện thoại di động")
    await worker.say("0912 345 678")
    answer = await worker.pick("Đồng ý")
    assert "Nguyễn Văn An (#1)" in answer
