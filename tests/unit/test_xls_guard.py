"""An .xls (Excel 97-2003) is checked before python-calamine opens it: calamine reads the whole
workbook at once, holds each sheet as a dense block and reserves what a DIMENSIONS record
declares, and a failed allocation there ends the process. So a hostile .xls of a few kilobytes
is refused with the same reasons as an .xlsx or .ods past the limits, a damaged compound file
(chains that loop, sectors outside the file) as damaged, an encrypted one as encrypted, and an
ordinary list still reads exactly as before."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest

from registry.errors import ValidationError
from registry.roster.intake import guards
from registry.roster.intake.guards import Budget, Limits
from registry.roster.intake.reader import read_list
from registry.roster.intake.xls_scan import MAX_SHEETS, scan_xls
from tests.roster_files import (
    PROVINCE_HEADER,
    PROVINCE_ROWS,
    XLS_HEADER,
    biff_cells,
    biff_dimensions,
    biff_label,
    biff_label_sst,
    biff_number,
    biff_record,
    biff_sst,
    biff_workbook,
    cfb_patched,
    compound_file,
    csv_bytes,
    fixture,
    xls,
    xls_chain_loop,
    xls_copied_string,
    xls_declared,
    xls_many_rows,
    xls_records,
    xls_shared_strings,
    xls_sheets,
    xls_stray_cell,
    xlsx,
)

ROWS = [PROVINCE_HEADER, *PROVINCE_ROWS]


def refused(data: bytes, code: str, limits: Limits | None = None) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        read_list(data, limits)
    assert caught.value.code == code, caught.value
    return caught.value


# --- ordinary lists read as before -----------------------------------------------------------


@pytest.mark.parametrize("mini", [False, True], ids=["workbook-stream", "mini-stream"])
def test_an_xls_list_reads_as_the_xlsx_of_the_same_rows(mini: bool) -> None:
    saved = read_list(xls(ROWS, mini=mini))
    original = read_list(xlsx(ROWS, title="Danh sách"))
    assert saved.format == "xls"
    assert saved.rows == original.rows
    assert saved.headers == original.headers and saved.sheet == original.sheet


@pytest.mark.parametrize("padding", [0, 5_000], ids=["in-mini-stream", "in-4096-byte-sectors"])
def test_an_xls_in_a_compound_file_of_4096_byte_sectors_reads(padding: int) -> None:
    book = biff_workbook([("Danh sách", b"".join(biff_cells(ROWS)))])
    book += b"\0" * max(0, padding - len(book))
    streams = {"Workbook": book, "\x05SummaryInformation": b"\0" * 200}
    data = compound_file(streams, mini=True, sector=4096)
    assert read_list(data).rows == read_list(xls(ROWS)).rows
    # Without a mini stream, a version-4 file has an empty root: calamine refuses it too.
    refused(compound_file({"Workbook": book + b"\0" * 5_000}, sector=4096), "import.corrupt")


@pytest.mark.parametrize("name", ["messy", "province", "merged"])
def test_the_lists_libreoffice_saved_as_xls_pass_the_scan(name: str) -> None:
    scan_xls(fixture(f"{name}.xls"), Budget(Limits()))


def test_shared_strings_with_formatting_and_a_text_cut_by_continue_read_and_count() -> None:
    """Excel stores every text of an .xls in its shared-string table: some with formatting runs,
    long ones cut across a CONTINUE record (which then starts with its own flags byte)."""
    name = "Nguyễn Văn An"
    rich = struct.pack("<HBH", 9, 0x09, 1) + "Họ và tên".encode("utf-16-le") + b"\0" * 4
    email = struct.pack("<HB", 5, 0x01) + "Email".encode("utf-16-le")
    cut = struct.pack("<HB", len(name), 0x01) + name[:5].encode("utf-16-le")
    body = struct.pack("<II", 3, 3) + rich + email + cut
    rest = b"\x01" + name[5:].encode("utf-16-le")
    sst = biff_record(0x00FC, body) + biff_record(0x003C, rest)
    cells = biff_label_sst(0, 0, 0) + biff_label_sst(0, 1, 1) + biff_label_sst(1, 0, 2)
    book = biff_workbook([("Danh sách", biff_dimensions(0, 2, 0, 2) + cells)], globals_extra=sst)
    data = compound_file({"Workbook": book})
    table = read_list(data)
    assert table.headers[:2] == ("Họ và tên", "Email")
    assert [row.get("full_name") for row in table.rows] == [name]
    # The texts the cells copy: 9 + 5 + 13 letters.
    refused(data, "import.limits.shared_chars", Limits(max_shared_chars=26))
    assert read_list(data, Limits(max_shared_chars=27)).rows


# --- hostile files: refused before calamine is called ------------------------------------------


HOSTILE: list[tuple[str, Callable[[], bytes], str]] = [
    ("stray-cell-at-IV65536", lambda: xls_stray_cell(65_535, 255), "import.limits.cells"),
    ("stray-cell-at-column-65536", lambda: xls_stray_cell(65_535, 65_535), "import.limits.cells"),
    ("dimensions-first-row-after-last", lambda: xls_declared(10, 5, 0, 2), "import.corrupt"),
    (
        "dimensions-4-billion-rows",
        lambda: xls_declared(0, 0xFFFF_FFF0, 0, 256),
        "import.limits.sheet_rows",
    ),
    ("dimensions-whole-grid", lambda: xls_declared(0, 65_536, 0, 256), "import.limits.cells"),
    (
        "dimensions-65536-columns",
        lambda: xls_declared(0, 40, 0, 65_535),
        "import.limits.cells",
    ),
    (
        "20000-empty-shared-strings",
        lambda: xls_shared_strings(20_000),
        "import.limits.shared_strings",
    ),
    ("sheets-all-at-one-place", lambda: xls_sheets(MAX_SHEETS + 1), "import.corrupt"),
    ("workbook-chain-loops", lambda: xls_chain_loop("workbook"), "import.corrupt"),
    ("directory-chain-loops", lambda: xls_chain_loop("directory"), "import.corrupt"),
    ("difat-chain-loops", lambda: xls_chain_loop("difat"), "import.corrupt"),
]


@pytest.mark.parametrize(
    ("build", "code"), [(build, code) for _, build, code in HOSTILE], ids=[n for n, *_ in HOSTILE]
)
def test_a_hostile_xls_is_refused_before_calamine_opens_it(
    build: Callable[[], bytes], code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = build()
    assert len(data) < 1_000_000
    import python_calamine

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("calamine was called")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", never)
    refused(data, code)


def test_a_declared_size_within_the_limits_reads() -> None:
    assert read_list(xls_declared(0, 1_000, 0, 20)).rows
    # Empty sheets as writers declare them: nothing, or a first row equal to the last.
    assert read_list(xls_declared(0, 0, 0, 0)).rows
    assert read_list(xls_declared(3, 3, 2, 2)).rows


def test_more_cells_than_the_limit_are_refused_counted_in_all_sheets() -> None:
    data = xls_many_rows(2_000, 3)  # 2 + 1,998 x 3 cells
    assert len(read_list(data, Limits(max_cells=6_000)).rows) == 1_999
    refused(data, "import.limits.cells", Limits(max_cells=5_000))
    # Two sheets of 600 x 2 cells: calamine holds both blocks at once.
    two = xls_records(b"".join(biff_number(row, 0, row) for row in range(2, 600)), sheets=2)
    scan_xls(two, Budget(Limits(max_cells=2_400)))
    with pytest.raises(ValidationError, match="cells"):
        scan_xls(two, Budget(Limits(max_cells=2_000)))


def test_more_rows_than_the_limits_are_refused() -> None:
    refused(xls_many_rows(300), "import.too_many_rows", Limits(max_rows=200))
    rows = b"".join(
        biff_record(0x0208, struct.pack("<HHHHHHI", row, 0, 2, 0xFF, 0, 0, 0x100))
        for row in range(300)
    )
    refused(xls_records(rows), "import.limits.sheet_rows", Limits(max_sheet_rows=200))
    assert read_list(xls_records(rows), Limits(max_sheet_rows=300)).rows


def test_a_row_wider_than_the_limit_is_refused() -> None:
    wide = xls_records(b"".join(biff_number(2, column, 1) for column in range(50)))
    refused(wide, "import.limits.columns", Limits(max_columns=40))


def test_cells_copying_a_long_shared_text_are_refused_by_the_characters_they_copy() -> None:
    data = xls_copied_string(copies=2_000, length=8_000)  # 16 million letters once copied
    refused(data, "import.limits.shared_chars", Limits(max_shared_chars=1_000_000))
    assert len(data) < 100_000


def test_a_shared_string_table_longer_than_the_cells_is_refused() -> None:
    data = xls_records(globals_extra=biff_sst(["x"] * 2_000))
    refused(data, "import.limits.shared_strings")
    refused(
        xls_records(globals_extra=biff_sst(["x" * 50] * 20)),
        "import.limits.shared_chars",
        Limits(max_shared_chars=500),
    )
    assert read_list(xls_records(globals_extra=biff_sst(["x"] * 900))).rows


# --- damaged and encrypted ---------------------------------------------------------------------


def _header_field(offset: int, value: int) -> bytes:
    return cfb_patched(xls(ROWS), at={offset: value})


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda: xls(ROWS)[:3000], "import.corrupt"),
        (lambda: xls(ROWS, mini=True)[:2000], "import.corrupt"),
        (lambda: _header_field(44, 0xFFFF_FFFF), "import.corrupt"),  # FAT sectors: 4 billion
        (lambda: _header_field(64, 0xFFFF_0001), "import.corrupt"),  # calamine reserves from it
        (lambda: _header_field(48, 5_000), "import.corrupt"),  # directory outside the file
        (lambda: cfb_patched(xls(ROWS), fat={2: 90_000}), "import.corrupt"),  # past the FAT
        (lambda: _small_workbook_without_mini_fat(), "import.corrupt"),
        (lambda: compound_file({"Contents": b"\0" * 5000}), "import.not_a_table"),
        (lambda: _cut_record(), "import.corrupt"),
    ],
    ids=[
        "cut",
        "mini-cut",
        "fat-count",
        "mini-fat-count",
        "directory-outside",
        "chain-past-fat",
        "small-workbook-no-mini-fat",
        "no-workbook-stream",
        "record-cut",
    ],
)
def test_a_damaged_xls_is_refused_as_damaged(build: Callable[[], bytes], code: str) -> None:
    refused(build(), code)


def _small_workbook_without_mini_fat() -> bytes:
    """A Workbook stream declared shorter than 4,096 bytes (so in the mini stream) in a file
    without one: calamine panicked on it."""
    data = xls(ROWS)
    directory = struct.unpack_from("<I", data, 48)[0]
    return cfb_patched(data, at={512 * (directory + 1) + 128 + 120: 1_000})


def _cut_record() -> bytes:
    book = biff_workbook([("Danh sách", b"".join(biff_cells(XLS_HEADER)))])
    return compound_file({"Workbook": book[:-3] + struct.pack("<HH", 0x0204, 500)})


@pytest.mark.parametrize("kind", [0, 1], ids=["xor", "rc4"])
def test_an_xls_saved_with_a_password_is_refused_as_encrypted(kind: int) -> None:
    filepass = biff_record(0x002F, struct.pack("<HHH", kind, 1, 1) + b"\0" * 48)
    refused(xls_records(globals_extra=filepass), "import.encrypted")


@pytest.mark.parametrize("raised", ["PanicException", "KeyboardInterrupt"])
def test_a_panic_in_calamine_is_a_damaged_file_and_nothing_else_is_swallowed(
    raised: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import python_calamine

    panic = type("PanicException", (BaseException,), {})
    error = panic("index out of bounds") if raised == "PanicException" else KeyboardInterrupt()

    def explode(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", explode)
    if raised == "PanicException":
        refused(xls(ROWS), "import.corrupt")
    else:
        with pytest.raises(KeyboardInterrupt):
            read_list(xls(ROWS))


def test_the_scan_stops_at_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(0, 10**6, 1_000))
    monkeypatch.setattr(guards.time, "monotonic", lambda: float(next(clock)))
    with pytest.raises(ValidationError, match="time"):
        scan_xls(xls_many_rows(500), Budget(Limits(max_seconds=150)))


# --- the content decides, never the name ---------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (xlsx(ROWS), "xlsx"),  # an .xlsx renamed .xls
        (csv_bytes(ROWS), "csv"),  # a CSV file renamed .xls
        (xls(ROWS), "xls"),  # an .xls renamed .xlsx or .csv
    ],
    ids=["xlsx-as-xls", "csv-as-xls", "xls-as-xlsx"],
)
def test_a_list_is_read_by_what_it_holds_whatever_its_name(data: bytes, expected: str) -> None:
    table = read_list(data)
    assert table.format == expected
    assert [row.get("full_name") for row in table.rows][:1] == ["Hoàng Văn Sơn"]


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body><table><tr><td>H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan</td></tr></table></body></html>",
        b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
        b"<Worksheet/></Workbook>",
    ],
    ids=["html-table-saved-as-xls", "xml-spreadsheet-2003"],
)
def test_a_web_page_or_xml_spreadsheet_named_xls_is_not_a_table(data: bytes) -> None:
    refused(data, "import.not_a_table")


def test_tens_of_thousands_of_merged_ranges_on_one_row_read() -> None:
    """Merged ranges are recorded once each through a set: checked against a list per row,
    30,000 ranges starting on one row took minutes (quadratic)."""
    ranges = [(1, 3, column, column) for column in range(30_000)]
    records = b"".join(
        biff_record(
            0x00E5,
            struct.pack("<H", 1_000)
            + b"".join(struct.pack("<HHHH", *merge) for merge in ranges[start : start + 1_000]),
        )
        for start in range(0, len(ranges), 1_000)
    )
    table = read_list(xls_records(records + biff_label(2, 1, "b@x.gov.vn")))
    assert [row.get("full_name") for row in table.rows] == ["Nguyễn Văn An", "Nguyễn Văn An"]
