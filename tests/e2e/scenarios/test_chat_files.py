"""Files on every channel: /export and /template (a document on Telegram, a file saved in the
terminal, a download link on Zalo), and a list sent for import: a dry run, then a
confirmation or not, and the files that are no list at all."""

from __future__ import annotations

import io

import openpyxl

from registry import directory
from registry.roster.intake import journal
from registry.settings import Settings
from tests.builders import SYSTEM, count_people, csv_list, listed
from tests.e2e.scenarios.driver import ChatDriver, only_where
from tests.e2e.scenarios.script import REFUSAL, en, member, staff, vi
from tests.e2e.scenarios.stage import Stage
from tests.roster_files import many_shared_strings, png, province_xlsx, wide_sheet

FORMATS = [
    "Excel (.xlsx) để in",
    "Bản phát tại hội nghị (.xlsx, không có trạng thái, ngày cập nhật)",
    "CSV (.csv)",
    "Danh bạ điện thoại (.vcf)",
]
NO_FILES = (
    "Zalo bots receive no files: /import gives an upload page (tests/e2e/test_upload_page.py)"
)


def cells(workbook: bytes) -> list[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(workbook)).worksheets[0]
    return [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value]


async def test_staff_export_the_roster_in_every_format_and_the_template(stage: Stage) -> None:
    await listed(stage.db)
    clerk = await staff(stage, 770)
    question = await clerk.say("/export")
    assert question == "Xuất danh sách dạng nào?" and question.options == FORMATS
    assert (await clerk.say("pdf")).texts == [vi("bot.choose_option"), "Xuất danh sách dạng nào?"]
    sent = await clerk.pick("Excel")
    assert sent == (
        "Danh sách người phát ngôn, cung cấp thông tin: 1 người; 55 cơ quan chưa cử người."
    )
    [roster] = sent.documents
    assert roster.name.startswith("danh-sach-") and roster.name.endswith(".xlsx")
    assert "Nguyễn Văn An" in cells(roster.content) and "0912 345 678" in cells(roster.content)
    if not clerk.can.files:
        assert len(sent.links) == 1  # a download link instead of a document

    # The conference handout: the same roster without the registry's own columns.
    assert (await clerk.say("/export")).options == FORMATS
    [handout] = (await clerk.pick("Bản phát tại hội nghị")).documents
    assert handout.name.endswith(".xlsx") and "Nguyễn Văn An" in cells(handout.content)
    assert "Trạng thái" not in cells(handout.content)
    assert "Trạng thái" in cells(roster.content)
    [typed] = (await clerk.say("/export handout")).documents
    assert "Trạng thái" not in cells(typed.content)

    [cards_file] = (await clerk.say("/export vcf")).documents
    assert cards_file.name.endswith(".vcf") and "FN:Nguyễn Văn An" in cards_file.content.decode()
    [table] = (await clerk.say("/export csv")).documents
    assert table.name.endswith(".csv") and "Nguyễn Văn An" in table.content.decode("utf-8-sig")
    template = await clerk.say("/template")
    assert template == vi("bot.template.done")
    [blank] = template.documents
    assert blank.content[:2] == b"PK"
    refused = await clerk.say("/export pdf")
    assert "pdf" in refused and refused.documents == []
    # How to send a list: in the chat, or (Zalo cannot carry files) through an upload page.
    asked = await clerk.say("/import")
    assert asked == vi("bot.import.send_file", max=10)
    uploads = [link for link in asked.links if "/upload/" in link]
    assert len(uploads) == len(asked.links) == (0 if clerk.can.files else 1)


async def test_members_get_no_roster_and_their_lists_are_not_read(stage: Stage) -> None:
    await listed(stage.db)
    an = await member(stage, 771)
    refused = await an.say("/export xlsx")
    assert refused == REFUSAL and refused.documents == [] and refused.links == []
    # Refused at once: no question about the format first.
    refused = await an.say("/export")
    assert refused == REFUSAL and refused.options == [] and refused.documents == []
    template = await an.say("/template")
    assert template == REFUSAL and template.documents == [] and template.links == []
    if an.can.files:
        sent = await an.send_file("danh-sach.csv", csv_list())
        assert sent == REFUSAL and sent.documents == []
    assert await count_people(stage.db) == 1


async def send(chat: ChatDriver, name: str, content: bytes) -> str:
    return str(await chat.send_file(name, content))


@only_where("files", NO_FILES)
async def test_files_that_are_no_list_are_refused_and_nothing_is_written(stage: Stage) -> None:
    clerk = await staff(stage, 773)
    assert "không phải bảng tính" in await send(clerk, "photo.xlsx", png())
    assert "Tệp rỗng" in await send(clerk, "empty.csv", b"")
    too_big = b"x" * (Settings(_env_file=None).import_max_bytes + 1)  # type: ignore[call-arg]
    assert "quá giới hạn" in await send(clerk, "big.xlsx", too_big)
    assert await count_people(stage.db) == 0


@only_where("files", NO_FILES)
async def test_a_list_is_imported_after_a_dry_run_and_a_confirmation(stage: Stage) -> None:
    clerk = await staff(stage, 774)
    dry_run = await clerk.send_file("danh-sach.csv", csv_list())
    assert "chạy thử" in dry_run and "Thêm mới 2" in dry_run and "lỗi 1" in dry_run
    assert dry_run.options == ["Ghi vào danh sách", "Không"]
    assert await count_people(stage.db) == 0  # the dry run wrote nothing
    assert "Đã hủy" in await clerk.pick("Không")
    assert await count_people(stage.db) == 0

    await clerk.send_file("danh-sach.csv", csv_list())
    done = await clerk.pick("Ghi vào danh sách")
    assert "Đã ghi vào danh sách" in done
    # The run is in the journal, under the number the chat was told.
    [run] = await journal.runs(stage.db.uow())
    assert f"Lần nhập số {run.id}." in done and run.file_name == "danh-sach.csv"
    assert run.status.value == "finished" and run.counts == {"created": 2, "error": 1}
    [report] = done.documents
    assert report.name == "bao-cao-danh-sach.xlsx"
    assert {"Kết quả", "Lý do"} <= set(cells(report.content))
    found = await directory.find_people(stage.db.uow(), SYSTEM, "0391 234 567")
    assert [p.full_name for p in found.items] == ["Nguyễn Văn An"]
    # The same list again changes nothing: no question, the summary and the report.
    again = await clerk.send_file("danh-sach.csv", csv_list())
    assert "Thêm mới 0, cập nhật 0, không đổi 2" in again
    assert again.options == [] and len(again.documents) == 1
    assert await count_people(stage.db) == 2


@only_where("files", NO_FILES)
async def test_a_hostile_workbook_is_refused_in_the_focal_points_language(stage: Stage) -> None:
    focal = await staff(stage, 775, role="focal", agency="tinh-lao-cai")
    refused = await send(focal, "danh-sach.xlsx", wide_sheet(16_384, 200))
    assert refused == vi("error.import.limits.columns", max=1000)
    await focal.say("/lang en")
    refused = await send(focal, "danh-sach.xlsx", many_shared_strings(3_000_000))
    assert refused == en("error.import.limits.shared_strings", max=1004)
    assert await count_people(stage.db) == 0


@only_where("files", NO_FILES)
async def test_a_provinces_own_list_takes_its_agency_from_its_letterhead(stage: Stage) -> None:
    clerk = await staff(stage, 776)
    dry_run = await clerk.send_file("ds-lao-cai.xlsx", province_xlsx())
    assert "Cơ quan của cả danh sách: Tỉnh Lào Cai (theo tiêu đề văn bản)." in dry_run
    # The letter's closing block is where the table ends, not a column of errors.
    assert "Bảng kết thúc ở dòng 12" in dry_run
    # Each problem with its rows, the count labelled as a count; who would be added, by row.
    assert "1 dòng lỗi: dòng 9" in dry_run and "• 1 dòng" not in dry_run
    assert "Sẽ thêm 3 người: Hoàng Văn Sơn (dòng 7); Lò Thị Mai (dòng 8)" in dry_run
    assert "--" not in dry_run and dry_run.options == ["Ghi vào danh sách", "Không"]
    done = await clerk.pick("Ghi vào danh sách")
    assert "Đã ghi vào danh sách" in done and "Đã thêm 3 người" in done
    assert await count_people(stage.db) == 3
    [report] = done.documents
    sheet = openpyxl.load_workbook(io.BytesIO(report.content)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "Dòng trong tệp" and [row[0] for row in rows[1:]] == [7, 8, 9, 10]


@only_where("files", NO_FILES)
async def test_a_list_naming_no_agency_asks_for_it_with_the_agency_picker(stage: Stage) -> None:
    clerk = await staff(stage, 777)
    asked = await clerk.send_file("ds.xlsx", province_xlsx(("ỦY BAN NHÂN DÂN",)))
    assert asked == vi("bot.import_agency.ask", file="ds.xlsx") and "--" not in asked
    # Garbage, and "UBND" alone, are answered with what to type; nothing is written meanwhile.
    assert vi("bot.import_agency.not_found", query="qqqq zzzz") in await clerk.say("qqqq zzzz")
    assert await clerk.say("UBND") == vi("bot.agency_name.which_province")
    if clerk.can.stickers:
        # Answered as at any question; the list stays held and the question open.
        assert (await clerk.send_sticker()).texts
    offered = await clerk.say("lao cai")
    assert offered.texts[-1] == vi("bot.import_agency.pick") and "Tỉnh Lào Cai" in offered.options
    assert await count_people(stage.db) == 0
    dry_run = await clerk.pick("Tỉnh Lào Cai")
    assert "Cơ quan của cả danh sách: Tỉnh Lào Cai." in dry_run
    assert dry_run.options == ["Ghi vào danh sách", "Không"]
    done = await clerk.pick("Ghi vào danh sách")
    assert "Đã ghi vào danh sách" in done
    found = await directory.find_people(stage.db.uow(), SYSTEM, "Hoàng Văn Sơn")
    assert [p.agency_name for p in found.items] == ["Tỉnh Lào Cai"]
    # A focal point is not asked: the list is its own agency's.
    focal = await staff(stage, 778, role="focal", agency="tinh-lao-cai")
    own = await focal.send_file("ds.xlsx", province_xlsx(("ỦY BAN NHÂN DÂN",)))
    assert "Tỉnh Lào Cai (cơ quan của bạn)" in own and "Không đổi" not in own.options
