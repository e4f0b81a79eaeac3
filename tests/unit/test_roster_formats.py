"""Lists saved as Excel 97-2003 (.xls) and LibreOffice (.ods) read as the .xlsx they were saved
from; garbage under each name gets a clear refusal; the hostile-file limits hold for every
format; and which reader reads an .xlsx changes nothing in what is read."""

from __future__ import annotations

import dataclasses
import io
import os
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook

from registry.errors import ValidationError
from registry.roster.intake.guards import Budget, Limits
from registry.roster.intake.reader import read_list
from registry.roster.intake.table import ListTable
from registry.roster.intake.xlsx_scan import scan_workbook
from tests.roster_files import (
    copied_shared_string,
    fixture,
    messy_xlsx,
    ods_person,
    ods_rows,
    ods_with,
    province_xlsx,
    save,
    shared_strings_xlsx,
    xlsx,
)


def merged_xlsx() -> bytes:
    """An agency cell merged over two people (saved as merged.xls/.ods with LibreOffice)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Danh sách"
    sheet.append(["STT", "Cơ quan, đơn vị", "Họ và tên", "Điện thoại di động", "Email", "Cập nhật"])
    sheet.append([1, "Bộ Tài chính", "Nguyễn Văn An", 912345678, "an@mof.gov.vn", date(2025, 7, 1)])
    sheet.append([2, None, "Trần Thị Bình", "0912 345 679", None, None])
    sheet.append([3, "Tỉnh Lào Cai", "Lê Văn Cường", "0912 345 670", "cuong@laocai.gov.vn", None])
    sheet.merge_cells("B2:B3")
    return save(workbook)


SOURCES = {"messy": messy_xlsx, "province": province_xlsx, "merged": merged_xlsx}


def same_but_format(table: ListTable, other: ListTable) -> dict[str, object]:
    """The fields in which two tables differ, their format aside."""
    return {
        field.name: (getattr(table, field.name), getattr(other, field.name))
        for field in dataclasses.fields(table)
        if field.name != "format" and getattr(table, field.name) != getattr(other, field.name)
    }


def refused(data: bytes, code: str, limits: Limits | None = None) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        read_list(data, limits)
    assert caught.value.code == code, caught.value
    return caught.value


@pytest.mark.parametrize("extension", ["xls", "ods"])
@pytest.mark.parametrize("name", ["province", "merged"])
def test_a_list_saved_as_xls_or_ods_reads_as_the_xlsx_it_was_saved_from(
    name: str, extension: str
) -> None:
    original = read_list(SOURCES[name]())
    saved = read_list(fixture(f"{name}.{extension}"))
    assert saved.format == extension
    assert same_but_format(original, saved) == {}


@pytest.mark.parametrize("extension", ["xls", "ods"])
def test_the_messy_list_as_xls_or_ods_gives_a_formula_as_its_computed_value(extension: str) -> None:
    original = read_list(messy_xlsx())
    saved = read_list(fixture(f"messy.{extension}"))
    differences = same_but_format(original, saved)
    assert set(differences) == {"rows"}
    changed = [(a, b) for a, b in zip(original.rows, saved.rows, strict=True) if a != b]
    assert len(changed) == 1
    formula, value = changed[0]
    # The row naming a formula: its text in an .xlsx, the value the spreadsheet stored in an
    # .xls or .ods (never evaluated by the registry in either).
    assert formula.number == value.number == 16
    assert formula.get("full_name") == '=HYPERLINK("http://evil.example","Bấm vào đây")'
    assert value.get("full_name") == "Bấm vào đây"


def test_merged_agency_cells_fill_their_rows_in_every_format() -> None:
    for data in (merged_xlsx(), fixture("merged.xls"), fixture("merged.ods")):
        table = read_list(data)
        assert [row.get("agency") for row in table.rows] == ["Bộ Tài chính"] * 2 + ["Tỉnh Lào Cai"]
        assert table.rows[0].get("mobile") == "912345678"


@pytest.mark.parametrize("extension", ["xls", "ods"])
def test_more_rows_than_the_limit_are_refused_in_xls_and_ods(extension: str) -> None:
    data = fixture(f"province.{extension}")
    # The same limit as for the .xlsx it was saved from (the letter's closing block counts).
    passes = next(n for n in range(1, 30) if _reads(province_xlsx(), Limits(max_rows=n)))
    assert len(read_list(data, Limits(max_rows=passes)).rows) == 4
    assert refused(data, "import.too_many_rows", Limits(max_rows=passes - 1)).params == {
        "max": passes - 1
    }
    refused(data, "import.too_large", Limits(max_bytes=len(data) - 1))
    refused(data, "import.limits.columns", Limits(max_columns=4))
    refused(data, "import.limits.cells", Limits(max_cells=20))


def _reads(data: bytes, limits: Limits) -> bool:
    try:
        read_list(data, limits)
    except ValidationError:
        return False
    return True


def test_the_template_example_row_does_not_count_toward_the_row_limit() -> None:
    rows = [
        ("STT", "Họ và tên", "Email"),
        ("Ví dụ", "Nguyễn Văn Mẫu", "mau@x.gov.vn"),
        *[(i, f"Người Thứ {chr(65 + i)}", f"n{i}@x.gov.vn") for i in range(1, 4)],
    ]
    for data in (xlsx(rows), xlsx(rows[:1] + rows[2:] + rows[1:2])):
        table = read_list(data, Limits(max_rows=3))
        assert len(table.rows) == 4  # the example row is read (and skipped by the import)
    refused(
        xlsx([*rows, (4, "Người Thứ E", "e@x.gov.vn")]), "import.too_many_rows", Limits(max_rows=3)
    )


# --- garbage under each name ----------------------------------------------------------------

_CFB = bytes.fromhex("d0cf11e0a1b11ae1")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (fixture("province.xls")[:3000], "import.corrupt"),  # an .xls cut short
        (_CFB + b"\0" * 504 + "Workbook".encode("utf-16-le") + os.urandom(2000), "import.corrupt"),
        (
            _CFB + b"\0" * 504 + "WordDocument".encode("utf-16-le") + os.urandom(2000),
            "import.not_a_table",
        ),
        (fixture("province.ods")[:2000], "import.corrupt"),  # an .ods cut short
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "import.corrupt"),
        (ods_with(b"<office:document-content><not xml"), "import.corrupt"),
        (
            ods_with(
                fixture("province.ods")[:0] + b"x", manifest_extra=b"<manifest:encryption-data/>"
            ),
            "import.encrypted",
        ),
        (
            _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}),
            "import.not_a_table",
        ),
        (os.urandom(3000), "import.not_a_table"),
    ],
    ids=[
        "xls-cut",
        "xls-garbage",
        "word-doc",
        "ods-cut",
        "ods-empty",
        "ods-bad-xml",
        "ods-encrypted",
        "odt",
        "random",
    ],
)
def test_garbage_of_each_kind_is_refused_with_a_clear_reason(data: bytes, code: str) -> None:
    refused(data, code)


# --- the limits on an .ods, whose repeats make a small file large -----------------------------


def test_an_ods_repeating_a_filled_row_a_million_times_is_refused_before_reading() -> None:
    data = ods_rows(ods_person(repeat=1_000_000))
    assert len(data) < 20_000
    refused(data, "import.limits.cells")
    refused(
        ods_rows(ods_person(repeat=250_000)), "import.limits.sheet_rows", Limits(max_cells=10**9)
    )


def test_an_ods_row_repeating_a_filled_cell_across_the_sheet_is_refused() -> None:
    wide = (
        b'<table:table-row><table:table-cell table:number-columns-repeated="16000" '
        b'office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
    )
    refused(ods_rows(wide), "import.limits.columns")


def test_an_ods_with_a_stray_cell_a_million_rows_down_is_refused() -> None:
    stray = (
        b'<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
        + ods_person()
    )
    refused(ods_rows(ods_person() + stray), "import.limits.cells")


def test_an_ods_with_empty_repeats_as_libreoffice_writes_them_reads() -> None:
    tail = (
        b'<table:table-row table:number-rows-repeated="1048570">'
        b'<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    table = read_list(ods_rows(ods_person() + ods_person("Trần Thị Bình", "b@x.gov.vn") + tail))
    assert [row.get("full_name") for row in table.rows] == ["Nguyễn Văn An", "Trần Thị Bình"]


# --- which reader reads an .xlsx -----------------------------------------------------------


def test_an_xlsx_with_a_stray_cell_far_down_is_read_by_the_streaming_reader_the_same() -> None:
    rows = [
        ("Họ và tên", "Email"),
        ("Nguyễn Văn An", "an@x.gov.vn"),
        ("Trần Thị Bình", "b@x.gov.vn"),
    ]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    sheet.cell(row=1_000_000, column=30, value="x")
    table = read_list(save(workbook))
    assert [row.get("full_name") for row in table.rows] == ["Nguyễn Văn An", "Trần Thị Bình", ""]
    assert table.rows[-1].number == 1_000_000


def test_the_scan_measures_a_sheets_block_for_the_fast_reader() -> None:
    rows = [
        ("Họ và tên", "Email"),
        ("Nguyễn Văn An", "an@x.gov.vn"),
        ("Trần Thị Bình", "b@x.gov.vn"),
    ]
    plain = scan_workbook(zipfile.ZipFile(io.BytesIO(xlsx(rows))), Budget(Limits()))
    assert plain.area == 3 * 2 and plain.fits(Limits()) and not plain.formulas
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    sheet.cell(row=1_000_000, column=30, value="=1+1")
    far = scan_workbook(zipfile.ZipFile(io.BytesIO(save(workbook))), Budget(Limits()))
    assert far.area == 1_000_000 * 30 and not far.fits(Limits()) and far.formulas


# calamine gives every cell pointing at a shared string its own copy of the text: the copies
# are counted against the shared-string character limit, as in an .xls.
PEOPLE = (
    ("Họ và tên", "Chức vụ", "Email"),
    ("Nguyễn Văn An", "Chuyên viên", "an@mof.gov.vn"),
    ("Trần Thị Bình", "Chuyên viên", "binh@mof.gov.vn"),
    ("Lê Văn Cường", "Chuyên viên", "cuong@mof.gov.vn"),
)
# "Chuyên viên" (11 letters) is in the table once and copied into three cells.
TABLE_CHARS = sum(len(text) for text in {text for row in PEOPLE for text in row})
COPIED_CHARS = sum(len(text) for row in PEOPLE for text in row)


def test_a_list_with_shared_strings_reads_as_the_same_list_with_its_texts_inline() -> None:
    shared = read_list(shared_strings_xlsx(PEOPLE))
    assert shared.format == "xlsx"
    assert not same_but_format(shared, read_list(xlsx(PEOPLE)))
    assert COPIED_CHARS == TABLE_CHARS + 22


@pytest.mark.parametrize(
    "cell",
    [b'<c r="%s" t="s">', b"<c r='%s' s='1' t = 's'>", b'<c t="s" r="%s">'],
    ids=["excel", "single quotes", "type first"],
)
def test_cells_are_refused_by_the_characters_they_copy_from_shared_strings(cell: bytes) -> None:
    data = shared_strings_xlsx(PEOPLE, cell=cell)
    assert read_list(data, Limits(max_shared_chars=COPIED_CHARS)).rows
    refused(data, "import.limits.shared_chars", Limits(max_shared_chars=COPIED_CHARS - 1))


def test_a_cell_whose_shared_string_is_not_read_counts_as_the_longest() -> None:
    data = shared_strings_xlsx(PEOPLE, cell=b'<c r="%s" t="s"><is/>')
    longest = max(len(text) for row in PEOPLE for text in row)
    budget = Budget(Limits(max_shared_chars=longest * 12 - 1))
    with pytest.raises(ValidationError) as caught:
        scan_workbook(zipfile.ZipFile(io.BytesIO(data)), budget)
    assert caught.value.code == "import.limits.shared_chars"
    scan_workbook(zipfile.ZipFile(io.BytesIO(data)), Budget(Limits(max_shared_chars=longest * 12)))


def test_a_long_shared_text_copied_into_many_cells_is_refused_before_reading() -> None:
    data = copied_shared_string(copies=200, length=1_000)  # 1,000 letters in the table
    refused(data, "import.limits.shared_chars", Limits(max_shared_chars=199_999))
    assert len(read_list(data, Limits(max_shared_chars=200_000)).rows) == 10
    refused(copied_shared_string(), "import.limits.shared_chars")  # 600,000 copies of 8 KB
