"""Reading agencies' files: where the header is, what the columns are, and what is refused."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook

from bot.texts import LANGUAGES, catalog
from registry.errors import ValidationError
from registry.roster.export.columns import COLUMNS
from registry.roster.intake.headers import match_header
from registry.roster.intake.reader import Limits, decode_text, read_list
from tests.roster_files import (
    MESSY_HEADER,
    corrupt_xlsx,
    cp1258,
    csv_bytes,
    encrypted_workbook,
    legacy_xls,
    messy_xlsx,
    not_a_workbook_zip,
    png,
    random_bytes,
    save,
    xlsx,
    zip_bomb,
)

SMALL = ("Họ và tên", "Cơ quan", "Điện thoại", "Email")
AN = ("Nguyễn Văn An", "Lào Cai", "0912 345 678", "an@laocai.gov.vn")


def refused(data: bytes, code: str, limits: Limits | None = None) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        read_list(data, limits)
    assert caught.value.code == code, caught.value
    return caught.value


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Họ và tên", "full_name"),
        ("Họ tên", "full_name"),
        ("Ho ten", "full_name"),
        ("HỌ VÀ TÊN", "full_name"),
        ("Họ và tên người phát ngôn (*)", "full_name"),
        ("Điện thoại", "mobile"),
        ("SĐT", "mobile"),
        ("Số điện thoại", "mobile"),
        ("ĐT di động", "mobile"),
        ("DĐ", "mobile"),
        ("Điện thoại cố định", "office_phone"),
        ("Số điện thoại cố định", "office_phone"),
        ("Email", "email"),
        ("Thư điện tử", "email"),
        ("E-mail", "email"),
        ("Chức vụ", "position"),
        ("Chức danh", "position"),
        ("Cơ quan, đơn vị", "agency"),
        ("Tên cơ quan", "agency"),
        ("STT", "stt"),
        ("Vai trò", "role"),
        ("Ghi chú", "note"),
        ("Ngày sinh", None),
        ("", None),
    ],
)
def test_headers_are_matched_without_accents_or_case(header: str, column: str | None) -> None:
    assert match_header(header) == column


@pytest.mark.parametrize("name", ["Họ và tên", "Họ tên", "Ho ten"])
@pytest.mark.parametrize("phone", ["Điện thoại", "SĐT", "Số điện thoại", "ĐT di động", "DĐ"])
@pytest.mark.parametrize("email", ["Email", "Thư điện tử", "E-mail"])
@pytest.mark.parametrize("position", ["Chức vụ", "Chức danh"])
def test_header_variants_in_any_order_without_stt(
    name: str, phone: str, email: str, position: str
) -> None:
    table = read_list(
        xlsx(
            [
                (email, phone, position, name),
                ("an@laocai.gov.vn", "0912 345 678", "Chánh Văn phòng", "Nguyễn Văn An"),
            ]
        )
    )
    assert table.columns == {"email": 0, "mobile": 1, "position": 2, "full_name": 3}
    assert table.rows[0].get("full_name") == "Nguyễn Văn An"
    assert table.rows[0].get("mobile") == "0912 345 678"


def test_every_exported_header_is_read_back() -> None:
    """The export writes the catalog's ``roster.column.*`` headers; the import reads them."""
    for language in LANGUAGES:
        headers = {
            key: catalog(language).get(f"roster.column.{key}")
            for key in COLUMNS
            if f"roster.column.{key}" in catalog(language)
        }
        if not headers:
            pytest.skip("the export's headers are not in the catalog yet")
        assert {key: match_header(text) for key, text in headers.items()} == {
            key: key for key in headers
        }


def test_header_on_row_seven_under_merged_title_rows() -> None:
    table = read_list(messy_xlsx())
    assert table.format == "xlsx"
    assert table.sheet == "DS NPN"
    assert table.header_row == 7
    assert table.headers == MESSY_HEADER
    assert table.columns == {
        "stt": 0,
        "full_name": 1,
        "position": 2,
        "agency": 3,
        "mobile": 4,
        "office_phone": 5,
        "email": 6,
    }
    # The two empty rows (10 and 14) are dropped; the others keep their sheet row numbers.
    assert [row.number for row in table.rows] == [8, 9, 11, 12, 13, 15, 16, 17]
    assert table.rows[1].get("mobile") == "ĐT: 0214.3840.888; DĐ: 0169.123.4567"


def test_a_header_of_two_rows_and_a_row_of_column_numbers() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "DANH SÁCH"
    sheet.merge_cells("A1:F1")
    for column, text in zip(
        "ABCDF", ("STT", "Họ và tên", "Chức vụ", "Điện thoại", "Email"), strict=True
    ):
        sheet[f"{column}3"] = text
        if column != "D":
            sheet.merge_cells(f"{column}3:{column}4")
    sheet.merge_cells("D3:E3")
    sheet["D4"], sheet["E4"] = "Cơ quan", "Di động"
    sheet.append(["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"])
    sheet.append([1, "Nguyễn Văn An", "Chánh Văn phòng", "0214 3840 888", "0912345678", "a@b.vn"])
    table = read_list(save(workbook))
    assert table.header_row == 4
    assert table.columns == {
        "stt": 0,
        "full_name": 1,
        "position": 2,
        "office_phone": 3,
        "mobile": 4,
        "email": 5,
    }
    assert table.headers[3] == "Điện thoại – Cơ quan"
    assert [row.number for row in table.rows] == [6]


def test_phone_columns_named_dt_and_dd_are_the_office_and_the_mobile() -> None:
    table = read_list(
        xlsx([("Họ tên", "ĐT", "DĐ"), ("Nguyễn Văn An", "024 3822 1234", "0912 345 678")])
    )
    assert table.columns == {"full_name": 0, "office_phone": 1, "mobile": 2}


def test_an_agency_cell_merged_over_its_people_gives_each_row_its_agency() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["STT", "Cơ quan, đơn vị", "Họ và tên", "Điện thoại di động"])
    sheet.append([1, "Bộ Tài chính", "Nguyễn Văn An", "0912 345 678"])
    sheet.append([2, None, "Trần Thị Bình", "0912 345 679"])
    sheet.append([3, "Tỉnh Lào Cai", "Lê Văn Cường", "0912 345 670"])
    sheet.merge_cells("B2:B3")
    table = read_list(save(workbook))
    assert [row.get("agency") for row in table.rows] == ["Bộ Tài chính"] * 2 + ["Tỉnh Lào Cai"]


def test_cells_come_back_as_text_and_formulas_are_not_evaluated() -> None:
    table = read_list(
        xlsx(
            [
                ("Họ và tên", "Di động", "Email", "Cập nhật"),
                ('=HYPERLINK("http://evil.example","An")', 912345678, "=1+1", date(2025, 7, 1)),
                ("Trần Thị Bình", 84912345679.0, "binh@x.gov.vn", None),
            ]
        )
    )
    first, second = table.rows
    assert first.get("full_name") == '=HYPERLINK("http://evil.example","An")'
    assert first.get("email") == "=1+1"
    assert first.get("mobile") == "912345678"
    assert first.get("updated_at") == "01/07/2025"
    assert second.get("mobile") == "84912345679"


def test_the_sheet_with_the_list_is_found_after_an_instructions_sheet() -> None:
    workbook = Workbook()
    instructions = workbook.active
    assert instructions is not None
    instructions.title = "Hướng dẫn"
    instructions.append(["Điền mỗi người một dòng, không để trống họ và tên."])
    data = workbook.create_sheet("Danh sách")
    data.append(SMALL)
    data.append(AN)
    table = read_list(save(workbook))
    assert table.sheet == "Danh sách"
    assert len(table.rows) == 1


def test_a_wrong_dimension_written_by_another_program_is_ignored() -> None:
    """Read-only openpyxl trusts <dimension>; some writers leave it at A1."""
    data = xlsx([SMALL, AN])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', content)
            target.writestr(info, content)
    table = read_list(buffer.getvalue())
    assert table.rows[0].values == dict(
        zip(("full_name", "agency", "mobile", "email"), AN, strict=True)
    )


# --- csv -------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "utf-16", "utf-16-le", "cp1258"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_in_the_encodings_and_delimiters_excel_writes(encoding: str, delimiter: str) -> None:
    rows = [
        ("DANH SÁCH ĐẦU MỐI",),
        (),
        ("STT", *SMALL),
        (1, *AN),
        (),
        (2, "Đặng Thị Bình", "Hà Nội"),
    ]
    table = read_list(csv_bytes(rows, encoding=encoding, delimiter=delimiter))
    assert table.format == "csv"
    assert table.delimiter == delimiter
    assert table.header_row == 3
    assert table.rows[0].get("full_name") == "Nguyễn Văn An"
    assert table.rows[1].get("full_name") == "Đặng Thị Bình"
    assert table.rows[1].number == 6


def test_decoding_prefers_utf8_then_the_vietnamese_code_page() -> None:
    assert decode_text("Đặng".encode("utf-8-sig")) == ("Đặng", "utf-8-sig")
    assert decode_text("Đặng".encode()) == ("Đặng", "utf-8")
    text, encoding = decode_text(cp1258("Bình, Hà Nội, Đặng Thị Hồng"))
    assert encoding == "cp1258"
    assert text == "Bình, Hà Nội, Đặng Thị Hồng"


def test_a_csv_field_with_a_line_break_stays_one_cell() -> None:
    data = csv_bytes(
        [SMALL, ("Nguyễn Văn An", "Lào Cai", "ĐT: 0214 3840 888\nDĐ: 0912 345 678", "")]
    )
    assert read_list(data).rows[0].get("mobile") == "ĐT: 0214 3840 888\nDĐ: 0912 345 678"


# --- refusals --------------------------------------------------------------------------------


def test_an_empty_file_is_refused() -> None:
    refused(b"", "import.empty_file")
    refused(b"\xef\xbb\xbf  \r\n", "import.empty_file")


def test_a_file_over_the_size_limit_is_refused_before_anything_is_read() -> None:
    error = refused(b"x" * 2049, "import.too_large", Limits(max_bytes=2048))
    assert error.params == {"size": "0.002", "max": "0.002"}
    big = refused(b"\0" * (11 * 1024 * 1024), "import.too_large")
    assert big.params == {"size": "11", "max": "10"}


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_more_rows_than_the_limit_are_refused(kind: str) -> None:
    rows = [SMALL, *[(f"Người Thứ {chr(65 + i % 26)}", "Lào Cai", "", "") for i in range(11)]]
    data = xlsx(rows) if kind == "xlsx" else csv_bytes(rows)
    assert len(read_list(data, Limits(max_rows=11)).rows) == 11
    error = refused(data, "import.too_many_rows", Limits(max_rows=10))
    assert error.params == {"max": 10}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (png(), "import.not_a_table"),
        (b"\x00\x01\x02\x03" * 1000, "import.not_a_table"),
        (not_a_workbook_zip(), "import.not_a_table"),
        (
            b"<html><body><table><tr><td>H\xe1\xbb\x8d t\xc3\xaan</td></tr></table>",
            "import.not_a_table",
        ),
        (encrypted_workbook(), "import.encrypted"),
        (legacy_xls(), "import.corrupt"),  # a compound file named Workbook, but garbage
        (corrupt_xlsx(), "import.corrupt"),
        (b"PK\x03\x04" + b"\0" * 100, "import.corrupt"),
    ],
    ids=[
        "png",
        "binary",
        "zip-not-workbook",
        "html",
        "encrypted",
        "broken-xls",
        "truncated",
        "bad-zip",
    ],
)
def test_what_is_not_really_a_table_is_refused_by_its_content(data: bytes, code: str) -> None:
    refused(data, code)


def test_random_bytes_are_refused() -> None:
    for _ in range(20):
        with pytest.raises(ValidationError) as caught:
            read_list(random_bytes())
        assert caught.value.code in {"import.not_a_table", "import.corrupt"}


def test_a_zip_bomb_is_refused_from_its_declared_sizes() -> None:
    small = zip_bomb(declared_mb=6)
    assert len(small) < 100_000
    error = refused(small, "import.zip_bomb", Limits(max_uncompressed=5 * 1024 * 1024))
    assert error.params["max"] == "5"
    # The default limit, with a file far below the size limit.
    big = zip_bomb(declared_mb=120)
    assert len(big) < 1024 * 1024
    refused(big, "import.zip_bomb")


def test_a_file_without_a_header_or_without_rows_is_refused() -> None:
    error = refused(xlsx([("Tên", "Tuổi"), ("An", 40)]), "import.no_header")
    assert error.params == {"rows": 20}
    refused(csv_bytes([("a", "b"), ("c", "d")]), "import.no_header")
    refused("Kính gửi Cục Báo chí,\nxin gửi danh sách.".encode(), "import.no_header")
    refused(xlsx([("Họ và tên", "Email"), (), ()]), "import.no_rows")
    # A header below row 20 is not looked for.
    refused(xlsx([*([("Ghi chú",)] * 20), SMALL, AN]), "import.no_header")
