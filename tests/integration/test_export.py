"""The roster files as a Press Department user opens them, on every backend.

Each file is read back the way a person's program would (openpyxl, the csv module, a vCard
reader) and checked for what that person sees: the title block, the sections and their Roman
numerals, the merged agency cells, phones in national format, formulas that stay text, the
print settings, the second and third sheets; and who may export. The blank template is in
tests/integration/test_template.py.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from bot.roster import export_file, roster_labels
from registry import catalog, people
from registry.actors import Actor
from registry.errors import NotFound, PermissionDenied, ValidationError
from registry.models import Agency, Person, Role, Source, Status
from registry.roster.export.exporter import export_roster
from registry.uow import Database
from registry.validation import fold
from tests.integration.conftest import SYSTEM, Cast

ON = date(2025, 11, 26)
ORGANISATION = "CỤC BÁO CHÍ"
CURRENT_AGENCIES = 56
FORMULA = '=HYPERLINK("http://x")'
ANSWERED = 5  # Bộ Tài chính, Văn phòng Chính phủ, Thông tấn xã, Hà Nội, Lào Cai
EVERYONE = 9  # not retired


@dataclass(frozen=True)
class Roster:
    db: Database
    cast: Cast


async def _add(db: Database, actor: Actor, agency: str, name: str, role: str, **fields: str) -> int:
    result = await people.register_person(
        db.uow(), actor, agency=agency, full_name=name, role=role, **fields
    )
    return result.person.id


@pytest.fixture
async def roster(loaded: Database, cast: Cast) -> Roster:
    """Nine people in the network across the sections, one retired, one pending."""
    db = loaded
    await _add(db, SYSTEM, "Bộ Tài chính", "Trần Quốc Cường", "head", position="Bộ trưởng",
               office_phone="(024) 2220 2828 máy lẻ 101", email="cuong.tq@mof.gov.vn")  # fmt: skip
    await _add(db, SYSTEM, "Bộ Tài chính", "Nguyễn Thị Thu Hà", "spokesperson",
               position="Chánh Văn phòng Bộ", mobile="0912 345 678", email="ha.ntt@mof.gov.vn")  # fmt: skip
    await _add(db, SYSTEM, "Bộ Tài chính", "Lê Văn Bình", "press_contact", position=FORMULA,
               mobile="+44 20 7946 0958")  # fmt: skip
    await _add(db, SYSTEM, "Văn phòng Chính phủ", "Phạm Minh Đức", "spokesperson",
               position="Phó Chủ nhiệm Văn phòng Chính phủ", mobile="0987 654 321")  # fmt: skip
    await _add(db, SYSTEM, "Thông tấn xã Việt Nam", "Đỗ Thị Lan", "press_contact",
               mobile="0903 111 222")  # fmt: skip
    await _add(db, SYSTEM, "Hà Nội", "Vũ Đức Hoàng", "spokesperson", mobile="0904 000 111")
    retired = await _add(db, SYSTEM, "Hà Nội", "Hoàng Văn Em", "press_contact",
                         email="em.hv@hanoi.gov.vn")  # fmt: skip
    await people.retire_person(db.uow(), SYSTEM, retired)
    await _add(db, SYSTEM, "Lào Cai", "Nguyễn Văn An", "spokesperson",
               position="Chánh Văn phòng UBND tỉnh", mobile="0169.123.4567")  # fmt: skip
    await _add(db, cast.member, "Lào Cai", "Lò Thị Mai", "authorized_spokesperson",
               mobile="0912 000 002")  # pending: she registered herself  # fmt: skip
    # A record that reached the database without the name check (an old import, say).
    async with db.uow() as uow:
        agency = await uow.session.scalar(select(Agency).where(Agency.code == "bo-tai-chinh"))
        assert agency is not None
        uow.session.add(
            Person(
                agency_id=agency.id,
                full_name=FORMULA,
                name_key=fold(FORMULA),
                role=Role.press_contact,
                email="x@mof.gov.vn",
                status=Status.verified,
                source=Source.import_,
            )
        )
        await uow.commit()
    return Roster(db, cast)


async def _xlsx(db: Database, actor: Actor = SYSTEM, **filters: str) -> bytes:
    file = await export_file(
        db.uow(), actor, format="xlsx", organisation=ORGANISATION, language="vi", on=ON, **filters
    )
    assert file.file_name.endswith(".xlsx")
    return file.data


def _values(sheet: Worksheet) -> list[tuple[object, ...]]:
    return list(sheet.iter_rows(values_only=True))


def _row_of(sheet: Worksheet, column: int, text: str) -> int:
    for row in sheet.iter_rows(min_col=column, max_col=column):
        if row[0].value == text:
            return row[0].row
    raise AssertionError(f"{text!r} not in column {column}")


# --- the printed roster ---------------------------------------------------------------------


async def test_the_roster_opens_with_the_title_block_and_the_header(roster: Roster) -> None:
    book = load_workbook(io.BytesIO(await _xlsx(roster.db)))
    assert book.sheetnames == ["Danh sách", "Chưa có đầu mối", "Tổng hợp"]
    sheet = book["Danh sách"]
    assert sheet["A1"].value == "CỤC BÁO CHÍ"
    assert sheet["A3"].value == "DANH SÁCH NGƯỜI PHÁT NGÔN, CUNG CẤP THÔNG TIN CHO BÁO CHÍ"
    assert sheet["A4"].value == "Cập nhật đến ngày 26/11/2025"
    assert [cell.value for cell in sheet[6]] == [
        "STT", "Cơ quan, đơn vị", "Họ và tên", "Chức vụ", "Vai trò", "Điện thoại di động",
        "Điện thoại cố định", "Thư điện tử", "Trạng thái", "Cập nhật", "Xác nhận lần cuối",
    ]  # fmt: skip
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:C1", "A3:K3", "A4:K4"} <= merged


async def test_sections_agencies_and_people_come_in_catalog_order(roster: Roster) -> None:
    sheet = load_workbook(io.BytesIO(await _xlsx(roster.db)))["Danh sách"]
    rows = _values(sheet)[6:]
    sections = [row[0] for row in rows if isinstance(row[0], str)]
    assert sections == [
        "I. Bộ, cơ quan ngang bộ",
        "II. Cơ quan thuộc Chính phủ",
        "III. Tỉnh, thành phố trực thuộc Trung ương",
    ]
    people_rows = [row for row in rows if isinstance(row[0], int)]
    assert [row[0] for row in people_rows] == list(range(1, EVERYONE + 1))
    assert [row[2] for row in people_rows] == [
        "Trần Quốc Cường",  # head first
        "Nguyễn Thị Thu Hà",
        FORMULA,  # press contacts by name: "hyperlink..." before "le van binh"
        "Lê Văn Bình",
        "Phạm Minh Đức",
        "Đỗ Thị Lan",
        "Vũ Đức Hoàng",  # the city before the province
        "Nguyễn Văn An",
        "Lò Thị Mai",
    ]
    assert "Hoàng Văn Em" not in {row[2] for row in people_rows}  # retired


async def test_the_agency_cell_is_merged_over_its_people(roster: Roster) -> None:
    sheet = load_workbook(io.BytesIO(await _xlsx(roster.db)))["Danh sách"]
    finance = _row_of(sheet, 2, "Bộ Tài chính")
    lao_cai = _row_of(sheet, 2, "Tỉnh Lào Cai")
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert f"B{finance}:B{finance + 3}" in merged
    assert f"B{lao_cai}:B{lao_cai + 1}" in merged
    assert sheet.cell(finance + 1, 2).value is None
    # An agency with one person has nothing to merge.
    hanoi = _row_of(sheet, 2, "Thành phố Hà Nội")
    assert not any(r.min_row == hanoi and r.min_col == 2 for r in sheet.merged_cells.ranges)
    # Section rows span the table.
    section = _row_of(sheet, 1, "II. Cơ quan thuộc Chính phủ")
    assert f"A{section}:K{section}" in merged


async def test_an_agency_running_onto_the_next_page_is_named_on_that_page(
    roster: Roster,
) -> None:
    middles = ["Văn", "Thị", "Đức", "Minh", "Quang"]
    givens = ["An", "Bình", "Chi", "Dũng", "Giang", "Hải", "Khoa", "Long"]
    for number in range(40):
        name = f"Phạm {middles[number % 5]} {givens[number // 5]}"
        position = "Phó Chánh Văn phòng, phụ trách truyền thông" if number % 3 == 0 else None
        await _add(roster.db, SYSTEM, "Bộ Tài chính", name,
                   "press_contact", mobile=f"0912 100 {number:03d}", position=position or "")  # fmt: skip
    sheet = load_workbook(io.BytesIO(await _xlsx(roster.db)))["Danh sách"]
    breaks = [brk.id for brk in sheet.row_breaks.brk]
    assert breaks, "forty-four people of one agency take more than a page"
    agency_cells = [r for r in sheet.merged_cells.ranges if r.min_col == 2 and r.max_col == 2]
    for cell in agency_cells:
        # No agency cell runs over a page break (it would print blank on the next page).
        assert not any(cell.min_row <= brk < cell.max_row for brk in breaks), (cell, breaks)
    for brk in breaks:
        first = brk + 1  # the first row of a page: a person's row names the agency again
        if isinstance(sheet.cell(first, 1).value, int):
            assert sheet.cell(first, 2).value == "Bộ Tài chính"
    # Every page holds what the page breaks counted: a row height is always set.
    people_rows = [
        row[0].row for row in sheet.iter_rows(min_row=7) if isinstance(row[0].value, int)
    ]
    assert all(sheet.row_dimensions[row].height for row in people_rows)


async def test_the_handout_leaves_out_the_registrys_own_columns(roster: Roster) -> None:
    file = await export_file(
        roster.db.uow(), SYSTEM, format="xlsx", organisation=ORGANISATION, language="vi",
        on=ON, layout="handout",
    )  # fmt: skip
    sheet = load_workbook(io.BytesIO(file.data))["Danh sách"]
    assert [cell.value for cell in sheet[6]] == [
        "STT", "Cơ quan, đơn vị", "Họ và tên", "Chức vụ", "Vai trò", "Điện thoại di động",
        "Điện thoại cố định", "Thư điện tử",
    ]  # fmt: skip
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A3:H3", "A4:H4"} <= merged
    people_rows = [row for row in _values(sheet)[6:] if isinstance(row[0], int)]
    assert len(people_rows) == EVERYONE
    assert all(len(row) == 8 for row in people_rows)


async def test_phones_roles_statuses_and_dates_read_as_people_write_them(roster: Roster) -> None:
    sheet = load_workbook(io.BytesIO(await _xlsx(roster.db)))["Danh sách"]
    row = {sheet.cell(r, 3).value: [c.value for c in sheet[r]] for r in range(7, sheet.max_row + 1)}
    assert row["Nguyễn Thị Thu Hà"][4:9] == [
        "Người phát ngôn", "0912 345 678", None, "ha.ntt@mof.gov.vn", "Đã xác minh",
    ]  # fmt: skip
    assert row["Trần Quốc Cường"][6] == "024 2220 2828 máy lẻ 101"
    assert row["Nguyễn Văn An"][5] == "0391 234 567"  # the pre-2018 number, converted
    assert row["Lò Thị Mai"][4] == "Người được giao nhiệm vụ phát ngôn"
    assert row["Lò Thị Mai"][8] == "Chờ xác minh"
    updated = sheet.cell(_row_of(sheet, 3, "Lò Thị Mai"), 10)
    assert updated.is_date and updated.number_format == "DD/MM/YYYY"


async def test_values_a_spreadsheet_could_run_stay_text(roster: Roster) -> None:
    sheet = load_workbook(io.BytesIO(await _xlsx(roster.db)))["Danh sách"]
    binh = _row_of(sheet, 3, "Lê Văn Bình")
    for cell, value in (
        (sheet.cell(binh, 4), FORMULA),
        (sheet.cell(binh, 6), "+44 20 7946 0958"),  # a foreign number starts with "+"
        (sheet.cell(_row_of(sheet, 3, FORMULA), 3), FORMULA),
    ):
        assert cell.data_type == "s"
        assert cell.value == value  # unchanged: marked as text by the cell's style instead
        assert cell.quotePrefix
    assert not sheet.cell(binh, 3).quotePrefix


async def test_the_roster_is_ready_to_print(roster: Roster) -> None:
    sheet = load_workbook(io.BytesIO(await _xlsx(roster.db)))["Danh sách"]
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == (
        "landscape",
        9,
        1,
        0,
    )
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$6:$6"
    assert sheet.freeze_panes == "A7"
    assert sheet.auto_filter.ref == f"A6:K{sheet.max_row}"
    assert sheet.oddFooter.center.text == "Trang &P/&N"
    assert sheet.column_dimensions["B"].width == 22
    assert sheet.column_dimensions["H"].width >= 20
    wrapped = sheet.cell(_row_of(sheet, 3, "Phạm Minh Đức"), 4)
    assert wrapped.alignment.wrap_text
    assert sheet.row_dimensions[wrapped.row].height >= 30  # two lines of position


async def test_the_second_sheet_lists_the_agencies_nobody_answered_for(roster: Roster) -> None:
    sheet = load_workbook(io.BytesIO(await _xlsx(roster.db)))["Chưa có đầu mối"]
    assert sheet["A3"].value == "CƠ QUAN, ĐƠN VỊ CHƯA CÓ NGƯỜI PHÁT NGÔN, CUNG CẤP THÔNG TIN"
    rows = [row for row in _values(sheet)[6:] if row[0]]
    assert len(rows) == CURRENT_AGENCIES - ANSWERED
    names = [row[1] for row in rows]
    assert names[0] == "Bộ Quốc phòng"
    assert "Bộ Tài chính" not in names and "Tỉnh Lào Cai" not in names
    assert names.index("Bộ Y tế") < names.index("Ngân hàng Nhà nước Việt Nam")
    assert names.index("Thành phố Huế") < names.index("Tỉnh Lai Châu")
    assert ("Bộ Y tế", "Bộ") in [(row[1], row[2]) for row in rows]
    assert sheet.print_title_rows == "$6:$6"


async def test_the_third_sheet_counts_by_kind_role_and_status(roster: Roster) -> None:
    sheet = load_workbook(io.BytesIO(await _xlsx(roster.db)))["Tổng hợp"]
    table = {row[0]: row[1:5] for row in _values(sheet) if row[0]}
    assert table["Bộ"] == (14, 1, 13, 4)
    assert table["Cơ quan ngang bộ"] == (3, 1, 2, 1)
    assert table["Cơ quan thuộc Chính phủ"] == (5, 1, 4, 1)
    assert table["Thành phố trực thuộc Trung ương"] == (6, 1, 5, 1)
    assert table["Tỉnh"] == (28, 1, 27, 2)
    assert table["Người đứng đầu"][0] == 1
    assert table["Người phát ngôn"][0] == 4
    assert table["Người được giao nhiệm vụ phát ngôn"][0] == 1
    assert table["Cán bộ đầu mối cung cấp thông tin"][0] == 3
    assert table["Chờ xác minh"][0] == 1
    assert table["Đã xác minh"][0] == 8
    totals = [row[1:5] for row in _values(sheet) if row[0] == "Tổng cộng"]
    assert totals == [(56, 5, 51, 9), (9, None, None, None), (9, None, None, None)]


async def test_an_agency_merged_away_is_named_with_its_successor(db: Database) -> None:
    await catalog.load_edition(db.uow(), SYSTEM, "2024")
    await _add(
        db, SYSTEM, "Tỉnh Yên Bái", "Hoàng Văn Em", "press_contact", email="em@yenbai.gov.vn"
    )
    await catalog.load_edition(db.uow(), SYSTEM, "2025")
    sheet = load_workbook(io.BytesIO(await _xlsx(db)))["Danh sách"]
    assert _row_of(sheet, 2, "Tỉnh Yên Bái (đã hợp nhất vào Tỉnh Lào Cai)")
    missing = [
        row[1] for row in _values(load_workbook(io.BytesIO(await _xlsx(db)))["Chưa có đầu mối"])
    ]
    assert "Tỉnh Lào Cai" in missing  # its successor still has nobody
    assert "Tỉnh Yên Bái" not in missing  # not an agency any more


async def test_an_empty_selection_says_so(loaded: Database) -> None:
    book = load_workbook(io.BytesIO(await _xlsx(loaded)))
    sheet = book["Danh sách"]
    assert sheet["A7"].value == "Chưa có người phát ngôn, cung cấp thông tin nào trong phạm vi này."
    assert len([row for row in _values(book["Chưa có đầu mối"])[6:] if row[0]]) == 56


async def test_english_files_speak_english(roster: Roster) -> None:
    file = await export_file(
        roster.db.uow(), SYSTEM, format="xlsx", organisation=ORGANISATION, language="en", on=ON
    )
    assert file.file_name == "spokespeople-roster-2025-11-26.xlsx"
    book = load_workbook(io.BytesIO(file.data))
    assert book.sheetnames == ["Roster", "No contact yet", "Summary"]
    sheet = book["Roster"]
    assert sheet["A7"].value == "I. Ministries and ministerial-level agencies"
    assert sheet["C6"].value == "Full name"


# --- filters --------------------------------------------------------------------------------


async def test_one_agency(roster: Roster) -> None:
    file = await export_file(
        roster.db.uow(),
        SYSTEM,
        format="xlsx",
        organisation=ORGANISATION,
        language="vi",
        on=ON,
        agency="bộ tài chính",
    )
    assert (file.file_name, file.people, file.missing) == (
        "danh-sach-nguoi-phat-ngon-bo-tai-chinh-2025-11-26.xlsx",
        4,
        0,
    )
    book = load_workbook(io.BytesIO(file.data))
    assert book["Danh sách"]["A5"].value == "Cơ quan, đơn vị: Bộ Tài chính"
    assert book["Chưa có đầu mối"]["A7"].value == (
        "Tất cả cơ quan, đơn vị đều đã có người phát ngôn, cung cấp thông tin."
    )


async def test_one_kind_numbers_its_only_section_one(roster: Roster) -> None:
    file = await export_file(
        roster.db.uow(),
        SYSTEM,
        format="xlsx",
        organisation=ORGANISATION,
        language="vi",
        on=ON,
        kind="province",
    )
    sheet = load_workbook(io.BytesIO(file.data))["Danh sách"]
    assert sheet["A7"].value == "I. Tỉnh, thành phố trực thuộc Trung ương"
    assert file.people == 2 and file.missing == 27


@pytest.mark.parametrize(
    ("status", "names"), [("retired", ["Hoàng Văn Em"]), ("pending", ["Lò Thị Mai"])]
)
async def test_one_status(roster: Roster, status: str, names: list[str]) -> None:
    file = await export_file(
        roster.db.uow(),
        SYSTEM,
        format="csv",
        organisation=ORGANISATION,
        language="vi",
        on=ON,
        status=status,
    )
    rows = list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"))))[1:]
    assert [row[2] for row in rows] == names


@pytest.mark.parametrize(
    ("filters", "error"),
    [
        ({"format": "pdf"}, ValidationError),
        ({"agency": "Bộ Không Có"}, NotFound),
        ({"kind": "planet"}, ValidationError),
        ({"status": "asleep"}, ValidationError),
        ({"layout": "poster"}, ValidationError),
    ],
)
async def test_garbage_filters_are_refused(
    roster: Roster, filters: dict[str, str], error: type
) -> None:
    arguments = {"format": "xlsx", **filters}
    with pytest.raises(error):
        await export_file(
            roster.db.uow(), SYSTEM, organisation=ORGANISATION, language="vi", on=ON, **arguments
        )


# --- csv and vCard --------------------------------------------------------------------------


async def test_csv_has_a_bom_the_same_columns_and_neutralised_formulas(roster: Roster) -> None:
    file = await export_file(
        roster.db.uow(), SYSTEM, format="csv", organisation=ORGANISATION, language="vi", on=ON
    )
    assert file.file_name == "danh-sach-nguoi-phat-ngon-2025-11-26.csv"
    assert file.data.startswith(b"\xef\xbb\xbfSTT,")
    assert b"\r\n" in file.data and b"\n" not in file.data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"), newline="")))
    assert rows[0][1:4] == ["Cơ quan, đơn vị", "Họ và tên", "Chức vụ"]
    assert len(rows) == 1 + EVERYONE
    by_name = {row[2]: row for row in rows[1:]}
    assert by_name["Lê Văn Bình"][3] == "'" + FORMULA
    assert by_name["Lê Văn Bình"][5] == "'+44 20 7946 0958"
    assert by_name["'" + FORMULA][0] == "3"
    assert by_name["Nguyễn Thị Thu Hà"] == [
        "2", "Bộ Tài chính", "Nguyễn Thị Thu Hà", "Chánh Văn phòng Bộ", "Người phát ngôn",
        "0912 345 678", "", "ha.ntt@mof.gov.vn", "Đã xác minh", by_name["Nguyễn Thị Thu Hà"][9],
        by_name["Nguyễn Thị Thu Hà"][9],  # registered, never changed: confirmed the same day
    ]  # fmt: skip
    assert by_name["Trần Quốc Cường"][6] == "024 2220 2828 máy lẻ 101"


async def test_an_extension_is_written_in_the_readers_language(roster: Roster) -> None:
    for language, shown in (("vi", "024 2220 2828 máy lẻ 101"), ("en", "024 2220 2828 ext. 101")):
        file = await export_file(
            roster.db.uow(), SYSTEM, format="csv", organisation=ORGANISATION, language=language
        )
        text = file.data.decode("utf-8-sig")
        assert shown in text
        assert ("ext." in text) is (language == "en")


def _cards(data: bytes) -> list[dict[str, list[str]]]:
    """A small vCard reader: CRLF lines, unfolded, property name (with parameters) -> values."""
    text = data.decode("utf-8")
    assert "\n" not in text.replace("\r\n", "")
    physical = text.split("\r\n")
    assert physical[-1] == ""
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    lines: list[str] = []
    for line in physical[:-1]:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    cards: list[dict[str, list[str]]] = []
    for line in lines:
        name, _, value = line.partition(":")
        if line == "BEGIN:VCARD":
            cards.append({})
        cards[-1].setdefault(name, []).append(value)
    return cards


async def test_vcards_carry_names_phones_emails_and_the_role(roster: Roster) -> None:
    file = await export_file(
        roster.db.uow(), SYSTEM, format="vcf", organisation=ORGANISATION, language="vi", on=ON
    )
    assert file.media_type.startswith("text/vcard")
    cards = _cards(file.data)
    assert len(cards) == EVERYONE
    assert all(card["VERSION"] == ["3.0"] and card["END"] == ["VCARD"] for card in cards)
    by_name = {card["FN"][0]: card for card in cards}
    cuong = by_name["Trần Quốc Cường"]
    assert cuong["N"] == ["Trần;Cường;Quốc;;"]
    assert cuong["ORG"] == ["Bộ Tài chính"]
    assert cuong["TITLE"] == ["Bộ trưởng"]
    # The extension after a comma: phones dial it as a pause, in every language.
    assert cuong["TEL;TYPE=WORK"] == ["+84 24 2220 2828,101"]
    assert cuong["EMAIL;TYPE=INTERNET"] == ["cuong.tq@mof.gov.vn"]
    assert cuong["NOTE"] == ["Người đứng đầu"]
    assert by_name["Nguyễn Thị Thu Hà"]["TEL;TYPE=CELL"] == ["+84 912 345 678"]
    assert by_name["Đỗ Thị Lan"]["NOTE"] == ["Cán bộ đầu mối cung cấp thông tin"]
    assert "TEL;TYPE=WORK" not in by_name["Đỗ Thị Lan"]
    assert not any(
        "ext." in value or "máy lẻ" in value for c in cards for v in c.values() for value in v
    )
    # The long title was folded and comes back whole.
    assert by_name["Phạm Minh Đức"]["TITLE"] == ["Phó Chủ nhiệm Văn phòng Chính phủ"]


# --- who may export -------------------------------------------------------------------------


async def _people_seen(db: Database, actor: Actor, agency: str | None = None) -> list[str]:
    target = io.BytesIO()
    await export_roster(
        db.uow(),
        actor,
        target,
        format="csv",
        labels=roster_labels("vi", on=ON),
        organisation=ORGANISATION,
        agency=agency,
        on=ON,
    )
    rows = list(csv.reader(io.StringIO(target.getvalue().decode("utf-8-sig"))))
    return [row[2] for row in rows[1:]]


@pytest.mark.parametrize("who", ["system", "admin", "staff"])
async def test_staff_export_everyone(roster: Roster, who: str) -> None:
    assert len(await _people_seen(roster.db, getattr(roster.cast, who))) == EVERYONE


async def test_a_focal_point_exports_its_own_agency(roster: Roster) -> None:
    focal = roster.cast.focal  # Lào Cai
    assert await _people_seen(roster.db, focal) == ["Nguyễn Văn An", "Lò Thị Mai"]
    assert await _people_seen(roster.db, focal, "Lào Cai") == ["Nguyễn Văn An", "Lò Thị Mai"]
    assert await _people_seen(roster.db, roster.cast.other_focal) == ["Vũ Đức Hoàng"]


@pytest.mark.parametrize(
    ("who", "agency"),
    [
        ("focal", "Hà Nội"),
        ("focal", "Bộ Tài chính"),
        ("member", None),
        ("member", "Lào Cai"),
        ("other_member", None),
    ],
)
async def test_others_are_refused_before_anything_is_written(
    roster: Roster, who: str, agency: str | None
) -> None:
    target = io.BytesIO()
    with pytest.raises(PermissionDenied):
        await export_roster(
            roster.db.uow(),
            getattr(roster.cast, who),
            target,
            format="xlsx",
            labels=roster_labels("vi", on=ON),
            organisation=ORGANISATION,
            agency=agency,
            on=ON,
        )
    assert target.getvalue() == b""


async def test_progress_is_reported_to_the_end(roster: Roster) -> None:
    seen: list[tuple[int, int]] = []
    await export_file(
        roster.db.uow(),
        SYSTEM,
        format="xlsx",
        organisation=ORGANISATION,
        language="vi",
        on=ON,
        progress=lambda *p: seen.append(p),
    )
    assert seen[0] == (0, EVERYONE)
    assert seen[-1] == (EVERYONE, EVERYONE)


# --- where it runs, and what the caller gives it ------------------------------------------------


async def test_the_organisation_printed_is_the_one_the_caller_gives(roster: Roster) -> None:
    ministry = "BỘ VĂN HÓA, THỂ THAO VÀ DU LỊCH"  # press management since 1/3/2025
    file = await export_file(
        roster.db.uow(), SYSTEM, format="xlsx", organisation=ministry, language="vi", on=ON
    )
    book = load_workbook(io.BytesIO(file.data))
    assert [book[name]["A1"].value for name in book.sheetnames] == [ministry] * 3


async def test_an_export_in_an_open_unit_of_work_reads_what_it_holds(roster: Roster) -> None:
    """A chat update's unit of work: the export sees the update's own write, not yet committed,
    and leaves the transaction to its owner."""
    async with roster.db.uow() as uow:
        await people.register_person(
            uow, SYSTEM, agency="Lào Cai", full_name="Giàng A Páo", role="press_contact",
            mobile="0912 000 111",
        )  # fmt: skip
        file = await export_file(
            uow, SYSTEM, format="csv", organisation=ORGANISATION, language="vi", on=ON
        )
        assert uow.session.in_transaction()
        await uow.commit()
    names = [row[2] for row in csv.reader(io.StringIO(file.data.decode("utf-8-sig")))][1:]
    assert "Giàng A Páo" in names and len(names) == EVERYONE + 1
    assert file.people == EVERYONE + 1
