"""The pieces of the roster files that need no database: cell safety, phone text, vCard lines,
row heights, the xlsx row writer, and headers the import recognises."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from bot.texts import LANGUAGES, t
from registry.roster.cells import is_risky, neutralised, roman, xml_safe
from registry.roster.export.columns import COLUMNS
from registry.roster.export.sheets import Sheet, Styles, _RowWriter, wrapped_lines
from registry.roster.export.vcard import LINE_OCTETS, escape, fold, name_parts
from registry.roster.intake.headers import column_for

RISKY = ['=HYPERLINK("http://x")', "+44 20 7946 0958", "-1+2", "@SUM(A1)", "\tx", "\rx", "  =1+1"]
SAFE = ["Nguyễn Văn An", "0912 345 678", "an@mof.gov.vn", "Bộ Tài chính", "", "x=1", "Ví dụ"]


@pytest.mark.parametrize("text", RISKY)
def test_a_value_a_spreadsheet_could_run_is_risky_and_gets_an_apostrophe_in_csv(text: str) -> None:
    assert is_risky(text)
    assert neutralised(text) == "'" + text


@pytest.mark.parametrize("text", SAFE)
def test_ordinary_values_are_left_alone(text: str) -> None:
    assert not is_risky(text)
    assert neutralised(text) == text


def test_control_characters_an_xlsx_cannot_hold_are_dropped() -> None:
    assert xml_safe("An\x00 Bình\x1f") == "An Bình"
    assert xml_safe("tab\tand newline\n stay") == "tab\tand newline\n stay"


def test_sections_are_numbered_in_roman_numerals() -> None:
    assert [roman(n) for n in (1, 2, 3, 4, 5, 6, 9, 14, 40)] == [
        "I", "II", "III", "IV", "V", "VI", "IX", "XIV", "XL",
    ]  # fmt: skip
    with pytest.raises(ValueError):
        roman(0)


def test_vcard_text_escapes_backslash_comma_semicolon_and_newlines() -> None:
    assert escape("Bộ Văn hóa, Thể thao; và\\Du lịch\nHà Nội") == (
        "Bộ Văn hóa\\, Thể thao\\; và\\\\Du lịch\\nHà Nội"
    )


def test_vcard_lines_fold_at_75_octets_without_cutting_a_character() -> None:
    line = "ORG:" + "Ủy ban nhân dân Thành phố Hồ Chí Minh " * 5
    folded = fold(line)
    physical = folded.split("\r\n")
    assert physical[-1] == ""
    assert all(len(part.encode("utf-8")) <= LINE_OCTETS for part in physical)
    assert all(part.startswith(" ") for part in physical[1:-1])
    assert "".join([physical[0], *(part[1:] for part in physical[1:-1])]) == line
    assert fold("FN:An") == "FN:An\r\n"


def test_vietnamese_names_split_family_given_and_middle() -> None:
    assert name_parts("Nguyễn Thị Thu Hà") == ("Nguyễn", "Hà", "Thị Thu")
    assert name_parts("Lê Y") == ("Lê", "Y", "")
    assert name_parts("Madonna") == ("", "Madonna", "")


def test_row_heights_count_wrapped_lines() -> None:
    assert wrapped_lines("Bộ trưởng", 22) == 1
    assert wrapped_lines("Phó Chủ nhiệm Văn phòng Chính phủ", 22) == 2
    assert wrapped_lines("x" * 50, 20) == 3  # a word longer than the cell is cut
    assert wrapped_lines("một\nhai", 20) == 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_import_recognises_every_header_the_export_writes(language: str) -> None:
    for column in COLUMNS:
        assert column_for(t(language, f"roster.column.{column}")) == column


def _sheet_bytes(raw_rows: bool, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setattr(_RowWriter, "raw_rows", raw_rows)
    workbook = Workbook(write_only=True)
    sheet = Sheet(workbook, "Thử", [10, 30, 12])
    styles = Styles.build(sheet.ws)
    sheet.put([("Tiêu đề", styles.title), (None, styles.text), None], height=30)
    sheet.put(
        [
            (1, styles.center),
            ('=HYPERLINK("http://x")', styles.text),
            (date(2025, 7, 1), styles.date),
        ]
    )
    sheet.put([(2.5, styles.center), ("  lề <&> ", None), ("+44 20 7946 0958", styles.text)])
    sheet.merge(1, 1, 3, 1)
    sheet.close()
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_fast_row_writer_writes_what_openpyxl_cells_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    books = [load_workbook(io.BytesIO(_sheet_bytes(raw, monkeypatch))) for raw in (True, False)]
    fast, plain = (book["Thử"] for book in books)
    assert fast.row_dimensions[1].height == plain.row_dimensions[1].height == 30
    assert [str(r) for r in fast.merged_cells.ranges] == ["A1:C1"]
    for row in range(1, 4):
        for column in range(1, 4):
            a, b = fast.cell(row, column), plain.cell(row, column)
            assert (a.value, a.data_type, a.quotePrefix) == (b.value, b.data_type, b.quotePrefix)
            styles = [
                (c.number_format, repr(c.font), repr(c.border), repr(c.alignment)) for c in (a, b)
            ]
            assert styles[0] == styles[1]
    formula = fast["B2"]
    assert (formula.value, formula.data_type, formula.quotePrefix) == (
        '=HYPERLINK("http://x")',
        "s",
        True,
    )
    assert fast["B3"].value == "  lề <&> "
    assert fast["C2"].value.date() == date(2025, 7, 1)
    assert fast["C2"].number_format == "DD/MM/YYYY"
