"""The blank template agencies fill in, as they open it, on every backend: its drop-down lists,
the example row the import skips, the instructions, and the version pre-filled for one agency.

That what it writes imports back is in tests/integration/test_roster_roundtrip.py.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from bot.roster import template_file
from registry import catalog
from registry.errors import NotFound
from registry.uow import Database

CURRENT_AGENCIES = 56
ORGANISATION = "CỤC BÁO CHÍ"


async def test_the_template_has_drop_down_lists_an_example_and_instructions(
    loaded: Database,
) -> None:
    file = await template_file(loaded.uow(), organisation=ORGANISATION, language="vi")
    assert file.file_name == "mau-danh-sach.xlsx"
    book = load_workbook(io.BytesIO(file.data))
    assert book.sheetnames == ["Danh sách", "Hướng dẫn", "Danh mục"]
    assert [s.sheet_state for s in book.worksheets] == ["visible", "visible", "hidden"]
    sheet = book["Danh sách"]
    assert sheet["A1"].value == "DANH SÁCH NGƯỜI PHÁT NGÔN, CUNG CẤP THÔNG TIN CHO BÁO CHÍ"
    assert [c.value for c in sheet[4]] == [
        "STT", "Cơ quan, đơn vị", "Họ và tên", "Chức vụ", "Vai trò", "Điện thoại di động",
        "Điện thoại cố định", "Thư điện tử",
    ]  # fmt: skip
    example = [c.value for c in sheet[5]]
    assert example[0] == "Ví dụ"  # the import skips this row
    assert example[1] == "Bộ Quốc phòng"
    assert example[4] == "Người phát ngôn"
    assert sheet["B6"].value is None  # no agency given: nothing pre-filled
    assert sheet.print_title_rows == "$4:$4" and sheet.freeze_panes == "A5"
    assert sheet["F6"].number_format == "@"  # phones keep their leading zero

    validations = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    agency, role = validations["B5:B2004"], validations["E5:E2004"]
    assert (agency.type, agency.formula1) == ("list", "'Danh mục'!$A$2:$A$57")
    assert (role.type, role.formula1) == ("list", "'Danh mục'!$B$2:$B$5")
    assert agency.showErrorMessage and role.showErrorMessage

    lists = book["Danh mục"]
    names = [row[0] for row in lists.iter_rows(min_row=2, max_col=1, values_only=True)]
    current = [a.name for a in await catalog.list_agencies(loaded.uow())]
    assert names == current and len(names) == CURRENT_AGENCIES
    roles = [row[0] for row in lists.iter_rows(min_row=2, max_row=5, min_col=2, values_only=True)]
    assert roles == [
        "Người đứng đầu",
        "Người phát ngôn",
        "Người được giao nhiệm vụ phát ngôn",
        "Cán bộ đầu mối cung cấp thông tin",
    ]

    text = "\n".join(str(row[0]) for row in book["Hướng dẫn"].iter_rows(values_only=True) if row[0])
    assert "HƯỚNG DẪN" in text
    assert "“Ví dụ”" in text
    assert "CỤC BÁO CHÍ" in text


async def test_the_template_for_one_agency_is_pre_filled(loaded: Database) -> None:
    file = await template_file(
        loaded.uow(), organisation=ORGANISATION, language="vi", agency="Tài chính"
    )
    assert file.file_name == "mau-danh-sach-bo-tai-chinh.xlsx"
    sheet = load_workbook(io.BytesIO(file.data))["Danh sách"]
    assert sheet["A2"].value == "Cơ quan, đơn vị: Bộ Tài chính"
    assert sheet["B5"].value == "Bộ Tài chính"
    assert {sheet.cell(row, 2).value for row in range(6, 36)} == {"Bộ Tài chính"}


async def test_the_template_for_an_unknown_agency_is_refused(loaded: Database) -> None:
    with pytest.raises(NotFound):
        await template_file(
            loaded.uow(), language="vi", organisation=ORGANISATION, agency="Bộ Không Có"
        )


async def test_the_instructions_name_the_organisation_the_caller_gives(loaded: Database) -> None:
    ministry = "Bộ Văn hóa, Thể thao và Du lịch"
    file = await template_file(loaded.uow(), organisation=ministry, language="vi")
    instructions = load_workbook(io.BytesIO(file.data))["Hướng dẫn"]
    text = "\n".join(str(row[0]) for row in instructions.iter_rows(values_only=True) if row[0])
    assert ministry in text and ORGANISATION not in text
