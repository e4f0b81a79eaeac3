"""Files over Telegram: /export and /template arrive as documents (sendDocument), and a list
sent as a document (getFile) is imported after a dry run and a confirmation."""

from __future__ import annotations

import io

import openpyxl
import pytest

from bot.texts import t
from registry import accounts, directory, people
from registry.uow import Database
from tests.e2e.conftest import SYSTEM, Meet, count_people
from tests.e2e.fake_telegram import FakeTelegram, RunningBot
from tests.e2e.test_telegram_dialogs import consent

CSV_LIST = (
    "STT;Cơ quan, đơn vị;Họ và tên;Chức vụ;ĐT di động;Thư điện tử\n"
    "1;UBND tỉnh Lào Cai;Nguyễn Văn An;Chánh Văn phòng;0169.123.4567;an@laocai.gov.vn\n"
    "2;Atlantis;Lê Văn Cường;Chuyên viên;0988 111 222;cuong@x.gov.vn\n"
).encode("utf-8-sig")


async def _staff(meet: Meet, database: Database, user_id: int = 801):
    staff = meet(user_id)
    await consent(staff)
    await accounts.grant(database.uow(), SYSTEM, staff.identity, "staff")
    return staff


async def test_export_and_template_arrive_as_documents(
    bot: RunningBot, meet: Meet, database: Database, fake: FakeTelegram
) -> None:
    await people.register_person(
        database.uow(),
        SYSTEM,
        agency="Lào Cai",
        full_name="Nguyễn Văn An",
        role="spokesperson",
        mobile="0912 345 678",
    )
    staff = await _staff(meet, database)
    question = await staff.say("/export")
    assert question.labels == [
        "Excel (.xlsx) để in",
        "Bản phát tại hội nghị (.xlsx, không có trạng thái, ngày cập nhật)",
        "CSV (.csv)",
        "Danh bạ điện thoại (.vcf)",
    ]
    sent = await staff.press("Excel")
    [message] = [m for m in sent.messages if m.document]
    assert message.document["file_name"].endswith(".xlsx")
    assert "1 người; 55 cơ quan chưa cử người" in message.text
    workbook = openpyxl.load_workbook(io.BytesIO(fake.files[message.document["file_id"]]))
    cells = [str(c.value) for row in workbook.worksheets[0].iter_rows() for c in row if c.value]
    assert "Nguyễn Văn An" in cells and "0912 345 678" in cells
    template = await staff.say("/template")
    [blank] = [m for m in template.messages if m.document]
    assert fake.files[blank.document["file_id"]][:2] == b"PK"


async def test_a_list_sent_as_a_document_is_imported_after_confirmation(
    bot: RunningBot, meet: Meet, database: Database, fake: FakeTelegram
) -> None:
    staff = await _staff(meet, database)
    summary = await staff.send_document("danh-sach.csv", CSV_LIST)
    assert "Thêm mới 1" in summary and "lỗi 1" in summary and "chạy thử" in summary
    assert await count_people(database) == 0
    started = await staff.press("Ghi vào danh sách")
    assert (
        started
        == "Đang ghi danh sách danh-sach.csv (lần nhập số 1); báo cáo sẽ được gửi vào đây khi xong."
    )
    # The import runs beside the chat; the summary and the report follow in the chat.
    summary_message, report = await fake.next_messages(staff.user.chat_id, 2)
    assert (
        "Đã ghi vào danh sách" in summary_message.text and "Lần nhập số 1." in summary_message.text
    )
    assert report.document["file_name"] == "bao-cao-danh-sach.xlsx"
    rows = openpyxl.load_workbook(io.BytesIO(fake.files[report.document["file_id"]])).worksheets[0]
    texts = [str(c.value) for row in rows.iter_rows() for c in row if c.value]
    assert "Kết quả" in texts and "Lý do" in texts
    found = await directory.find_people(database.uow(), SYSTEM, "0391 234 567")
    assert [p.full_name for p in found.items] == ["Nguyễn Văn An"]


@pytest.mark.parametrize(
    ("name", "content", "size", "complaint"),
    [
        ("anh.xlsx", b"\x89PNG\r\n\x1a\n" + b"0" * 64, None, "không phải bảng tính"),
        ("to.xlsx", b"PK", 30_000_000, "quá giới hạn"),
    ],
)
async def test_bad_files_are_refused_and_nothing_is_written(
    bot: RunningBot,
    meet: Meet,
    database: Database,
    name: str,
    content: bytes,
    size: int | None,
    complaint: str,
) -> None:
    staff = await _staff(meet, database)
    assert complaint in await staff.send_document(name, content, size=size)
    assert await count_people(database) == 0


async def test_members_get_no_export_and_their_files_are_not_read(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    member = meet(802)
    await consent(member)
    refusal = "Bạn không có quyền thực hiện thao tác này."
    assert await member.say("/export xlsx") == refusal
    assert await member.send_document("danh-sach.csv", CSV_LIST) == refusal
    assert await count_people(database) == 0


async def test_import_on_telegram_asks_for_the_file_in_the_chat_without_a_link(
    bot: RunningBot, meet: Meet, database: Database
) -> None:
    staff = await _staff(meet, database, 803)
    asked = await staff.say("/import")
    assert asked == t("vi", "bot.import.send_file", max=10)
    assert "/upload/" not in asked  # Telegram carries files: no upload page needed
