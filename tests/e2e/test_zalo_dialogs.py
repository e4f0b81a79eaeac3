"""Every dialog of the bot, played by people on Zalo against the real channel.

The bot talks HTTP to the fake Zalo Bot API server, by long polling and through the webhook
(every test runs in both modes unless it says otherwise), on its own SQLite database with the
2025 catalog. Zalo has no buttons: the person types the number of an option, types their phone
number, and types "hủy" to stop. The tests check what the person would notice, and what ends up
in the registry.
"""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
import openpyxl

from bot.channels.split import text_size
from bot.texts import t
from registry import accounts, people
from registry.uow import Database
from tests.e2e.conftest import SYSTEM, MeetOnZalo, count_people
from tests.e2e.fake_zalo import FakeZalo
from tests.e2e.zalo_bot import RunningZalo, ZaloPerson


def vi(key: str, **params: Any) -> str:
    return t("vi", key, **params)


def en(key: str, **params: Any) -> str:
    return t("en", key, **params)


CONSENT_OPTIONS = "1. Tôi đồng ý\n2. Không đồng ý\nTrả lời 1 hoặc 2 (hoặc gõ “hủy” để dừng)"
ROLES = (
    "1. Người đứng đầu\n2. Người phát ngôn\n3. Người được giao nhiệm vụ phát ngôn\n"
    "4. Cán bộ đầu mối cung cấp thông tin\nTrả lời 1, 2, 3 hoặc 4 (hoặc gõ “hủy” để dừng)"
)


async def consent(person: ZaloPerson) -> None:
    started = await person.say("/start")
    assert started.texts[-1].endswith(CONSENT_OPTIONS)
    assert await person.say("1") == vi("bot.consent.accepted")


async def register(person: ZaloPerson, database: Database) -> None:
    assert await person.say("/register") == vi("bot.register.ask_agency")
    picks = await person.say("lao cai")
    assert picks.endswith("1. Tỉnh Lào Cai\nTrả lời 1 (hoặc gõ “hủy” để dừng)")
    assert await person.say("1") == vi("bot.register.ask_full_name")
    assert await person.say("Nguyễn Văn An") == vi("bot.register.ask_position")
    roles = await person.say("Chánh Văn phòng UBND tỉnh")
    assert roles == f"{vi('bot.register.ask_role')}\n{ROLES}"
    assert await person.say("2") == vi("bot.register.ask_mobile_own")
    office = await person.say("0169.123.4567")  # typed, in the old 11-digit form
    assert office.texts[0].startswith("Điện thoại di động: số cũ 01691234567 đã được chuyển")
    assert office.texts[1].startswith(vi("bot.register.ask_office_phone"))
    assert "1. Bỏ qua" in office
    assert await person.say("1") == vi("bot.register.ask_email")
    summary = await person.say("an.nv@laocai.gov.vn")
    assert "1. ✅ Xác nhận\n2. ✏️ Sửa một mục\n3. ❌ Hủy" in summary
    assert await count_people(database) == 0  # nothing stored before the confirmation
    done = await person.say("1")
    assert done.startswith("Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai).")


async def test_a_person_registers_and_updates_entirely_through_zalo(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, database: Database
) -> None:
    an = meet_on_zalo("u-701")
    await consent(an)
    await register(an, database)
    record = await people.show_person(database.uow(), SYSTEM, 1)
    assert (record.full_name, record.agency_code, record.role) == (
        "Nguyễn Văn An",
        "tinh-lao-cai",
        "spokesperson",
    )
    assert (record.mobile, record.email, record.source) == (
        "+84391234567",
        "an.nv@laocai.gov.vn",
        "chat",
    )
    me = await an.say("/me")
    assert me.texts[0].startswith("#1 Nguyễn Văn An\nCơ quan: Tỉnh Lào Cai")
    assert "(zalo:u-701)" in me.texts[1]

    fields = await an.say("/capnhat")
    assert "4. Điện thoại di động" in fields.texts[-1]
    asked = await an.say("4")
    assert asked == "Nhập Điện thoại di động mới:"
    confirm = await an.say("0912 345 678")
    assert confirm.startswith("Đổi Điện thoại di động thành “0912 345 678”?\n1. Đồng ý\n2. Không")
    done = await an.say("1")
    assert done.texts[0] == "Đã cập nhật Điện thoại di động."
    record = await people.show_person(database.uow(), SYSTEM, 1)
    assert (record.mobile, record.version) == ("+84912345678", 2)

    withdraw = await an.say("/withdraw")
    assert "1. " in withdraw and "2. " in withdraw
    await an.say("1")
    assert (await people.show_person(database.uow(), SYSTEM, 1)).status == "retired"


async def test_cancel_words_stop_a_dialog_and_nothing_is_kept(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, database: Database
) -> None:
    an = meet_on_zalo("u-702")
    await consent(an)
    for word in ("hủy", "huy", "Cancel", "HỦY"):
        await an.say("/register")
        await an.say("Lào Cai")
        assert await an.say(word) == vi("bot.cancelled")
        assert await an.say("1") == vi("bot.not_understood")  # the question is gone
    assert await count_people(database) == 0


async def test_a_number_out_of_range_or_a_word_asks_the_question_again(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo
) -> None:
    an = meet_on_zalo("u-703")
    await an.say("/start")
    for answer in ("3", "0", "-1", "1.5", "１"):
        again = await an.say(answer)
        assert again.texts[0] == vi("bot.choose_option"), answer
        assert again.texts[-1].endswith(CONSENT_OPTIONS)
    assert await an.say("1.") == vi("bot.consent.accepted")  # "1." is 1


async def test_pictures_stickers_and_other_events_get_a_polite_text_only_answer(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo
) -> None:
    an = meet_on_zalo("u-704")
    assert await an.send_image() == vi("bot.unsupported_zalo")
    assert await an.send_sticker() == vi("bot.unsupported_zalo")
    await an.say("/start")
    waiting = await an.send_unsupported()
    assert waiting.texts == [vi("bot.unsupported_zalo"), vi("bot.still_waiting")]
    assert "chữ" in waiting.texts[0] and "/import" in waiting.texts[0]
    await an.say("/lang en")
    assert await an.send_sticker() == en("bot.unsupported_zalo")


async def test_long_answers_are_cut_below_2000_characters(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, database: Database, zalo: FakeZalo
) -> None:
    names = [f"Nguyễn {middle} {given}" for middle in MIDDLE for given in GIVEN][:40]
    for number, name in enumerate(names):
        await people.register_person(
            database.uow(),
            SYSTEM,
            agency="Lào Cai",
            full_name=name,
            position="Phó Chánh Văn phòng Ủy ban nhân dân tỉnh, phụ trách công tác báo chí",
            role="press_contact",
            mobile=f"0912 000 {number:03d}",
        )
    staff = meet_on_zalo("u-705")
    await accounts.grant(database.uow(), SYSTEM, staff.identity, "staff")
    listed = await staff.say("/agency Lào Cai")
    assert len(listed.texts) >= 2
    assert all(0 < text_size(text) <= 2000 for text in listed.texts)
    joined = "\n".join(listed.texts)
    assert all(name in joined for name in names)
    assert all(len(m.text) <= 2000 for m in zalo.messages(staff.id))


MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Hữu")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Khánh", "Lan")


async def _fetch(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(url)


async def test_staff_get_an_export_link_that_opens_the_roster_once(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, database: Database
) -> None:
    await people.register_person(
        database.uow(),
        SYSTEM,
        agency="Lào Cai",
        full_name="Nguyễn Văn An",
        role="spokesperson",
        mobile="0912 345 678",
    )
    staff = meet_on_zalo("u-706")
    await accounts.grant(database.uow(), SYSTEM, staff.identity, "staff")
    question = await staff.say("/export")
    assert question.endswith(
        "1. Excel (.xlsx) để in\n2. CSV (.csv)\n3. Danh bạ điện thoại (.vcf)\n"
        "Trả lời 1, 2 hoặc 3 (hoặc gõ “hủy” để dừng)"
    )
    sent = await staff.say("1")
    assert "1 người; 55 cơ quan chưa cử người" in sent
    assert "chỉ mở được một lần" in sent
    [url] = re.findall(r"https?://\S+/files/\S+", sent)
    assert url.startswith(zalo_bot.base_url)
    first = await _fetch(url)
    assert first.status_code == 200
    assert "danh-sach-nguoi-phat-ngon" in first.headers["content-disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(first.content))
    cells = [str(c.value) for row in workbook.worksheets[0].iter_rows() for c in row if c.value]
    assert "Nguyễn Văn An" in cells
    again = await _fetch(url)
    assert again.status_code == 410
    assert "Nguyễn Văn An" not in again.text
    _file_id, _expiry, mac = url.rsplit("/", 1)[1].split(".")
    assert (await _fetch(url.replace(mac, mac[::-1]))).status_code == 403

    # A member asking for the roster gets a refusal, and no link.
    member = meet_on_zalo("u-707")
    refused = await member.say("/export xlsx")
    assert refused == "Bạn không có quyền thực hiện thao tác này."


async def test_import_on_zalo_gives_an_upload_link(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, database: Database
) -> None:
    focal = meet_on_zalo("u-708")
    await accounts.grant(database.uow(), SYSTEM, focal.identity, "focal", agency="Lào Cai")
    answer = await focal.say("/nhap")
    assert answer.startswith(vi("bot.import.send_file", max=10))
    [url] = re.findall(r"https?://\S+/upload/\S+", answer)
    page = await _fetch(url)
    assert page.status_code == 200 and 'type="file"' in page.text
    member = meet_on_zalo("u-709")
    assert await member.say("/import") == "Bạn không có quyền thực hiện thao tác này."


async def test_a_sending_error_is_retried_and_the_person_still_gets_the_answer(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, zalo: FakeZalo
) -> None:
    an = meet_on_zalo("u-710")
    zalo.fail_next("sendMessage", 429, description="Quota exceeded", retry_after=0.05)
    started = await an.say("/start")
    assert started.texts[-1].endswith(CONSENT_OPTIONS)
    assert len(zalo.calls_of("sendMessage")) >= 2


async def test_english_speakers_get_english(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo
) -> None:
    an = meet_on_zalo("u-711")
    assert await an.say("/lang en") == en("bot.lang.done")
    started = await an.say("/start")
    assert started.texts[-1].endswith(
        "1. I agree\n2. I do not agree\nAnswer 1 or 2 (or type “cancel” to stop)"
    )
    assert await an.say("2") == en("bot.consent.declined")


async def test_staff_commands_work_with_numbers_instead_of_buttons(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, database: Database
) -> None:
    for given, mobile in (("An", "0988 111 201"), ("Bình", "0988 111 202")):
        await people.register_person(
            database.uow(),
            SYSTEM,
            agency="Lào Cai",
            full_name=f"Trần Văn {given}",
            role="spokesperson",
            mobile=mobile,
        )
    staff = meet_on_zalo("u-720")
    await accounts.grant(database.uow(), SYSTEM, staff.identity, "staff")
    assert "/import — nhập danh sách (/nhap)" in await staff.say("/help")

    found = await staff.say("/tim tran van")
    assert found.startswith("Kết quả cho “tran van” (1–2):")
    assert "1. #1 Trần Văn An\n2. #2 Trần Văn Bình\nTrả lời 1 hoặc 2" in found
    opened = await staff.say("2")
    assert opened.texts[0].startswith("#2 Trần Văn Bình\nCơ quan: Tỉnh Lào Cai")

    ambiguous = await staff.say("/agency Quảng")
    assert ambiguous.startswith("Có nhiều cơ quan khớp; chọn một:\n1. ")
    number = next(
        line.split(".")[0] for line in ambiguous.texts[-1].split("\n") if "Tỉnh Quảng Ninh" in line
    )
    assert await staff.say(number) == "Tỉnh Quảng Ninh chưa có ai trong danh sách."
    assert (await staff.say("/missing")).startswith("55 cơ quan chưa cử người:")
    assert "• Tỉnh: 1/28" in await staff.say("/stats")

    assert (await staff.say("/person 1")).startswith("#1 Trần Văn An")
    assert await staff.say("/verify 1") == "Đã xác minh #1 Trần Văn An."
    asked = await staff.say("/retire 1")
    assert asked.endswith("1. Đồng ý\n2. Không\nTrả lời 1 hoặc 2 (hoặc gõ “hủy” để dừng)")
    assert await staff.say("1") == "#1 Trần Văn An đã thôi tham gia mạng lưới."

    template = await staff.say("/template")
    [url] = re.findall(r"https?://\S+/files/\S+", template)
    blank = await _fetch(url)
    assert blank.status_code == 200 and blank.content[:2] == b"PK"


async def test_admins_grant_and_revoke_from_zalo(
    zalo_bot: RunningZalo, meet_on_zalo: MeetOnZalo, database: Database
) -> None:
    admin = meet_on_zalo("u-730")
    await accounts.grant(database.uow(), SYSTEM, admin.identity, "admin")
    newcomer = meet_on_zalo("u-731", "Lê Cường")
    await newcomer.say("/start")
    assert await admin.say("/grant u-731 staff") == "zalo:u-731: quyền cán bộ Cục Báo chí "
    assert await newcomer.say("/find nguyen") == "Không tìm thấy ai với “nguyen”."
    assert (
        await admin.say("/revoke zalo:u-731") == "zalo:u-731: đã thu hồi quyền, trở lại thành viên."
    )
    assert await newcomer.say("/stats") == "Bạn không có quyền thực hiện thao tác này."
