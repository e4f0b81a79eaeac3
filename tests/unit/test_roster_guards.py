"""Hostile workbooks: small files built to cost minutes and hundreds of MB are refused before
they are parsed, each with its own message, and a real list of 50,000 rows still passes.

The same limits hold whatever reads the file: a CSV is counted row by row as it is read.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.texts import LANGUAGES, error_text, t
from registry.errors import ValidationError
from registry.roster.intake.guards import Budget, Limits
from registry.roster.intake.reader import read_list
from registry.roster.intake.xlsx_scan import scan_workbook
from tests.roster_files import (
    csv_bytes,
    deep_sheet,
    large_list_sheet,
    long_shared_strings,
    many_cells,
    many_shared_strings,
    wide_sheet,
    xlsx,
)

HEADER = ("Họ và tên", "Cơ quan", "Điện thoại", "Email")


def refused(data: bytes, code: str, limits: Limits | None = None) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        read_list(data, limits)
    assert caught.value.code == code, caught.value
    return caught.value


def people(count: int, width: int = 4) -> list[tuple[str, ...]]:
    extra = tuple(f"Cột {n}" for n in range(width - len(HEADER)))
    rows = [HEADER + extra]
    for n in range(count):
        rows.append(
            (f"Người Thứ {n}", "Lào Cai", "", f"nguoi{n}@laocai.gov.vn", *["x"] * len(extra))
        )
    return rows


def test_millions_of_shared_strings_in_a_small_file_are_refused_before_parsing() -> None:
    data = many_shared_strings(3_000_000)
    assert len(data) < 300 * 1024
    error = refused(data, "import.limits.shared_strings")
    # Four cells cannot use more than a thousand shared strings, whatever the limit says.
    assert error.params == {"max": 1_004}
    refused(many_shared_strings(5_000), "import.limits.shared_strings")
    raised = Limits(max_shared_strings=10_000_000)
    refused(data, "import.limits.shared_strings", raised)


def test_shared_strings_are_limited_in_characters_not_bytes() -> None:
    data = long_shared_strings(texts=10, length=1_000, letter="ễ")  # 10,000 letters, 30 KB
    assert read_list(data, Limits(max_shared_chars=10_100)).rows
    error = refused(data, "import.limits.shared_chars", Limits(max_shared_chars=9_000))
    assert error.params == {"max": 9_000}
    refused(long_shared_strings(texts=800, length=50_000), "import.limits.shared_chars")


def test_a_sheet_16384_columns_wide_is_refused_at_its_first_row() -> None:
    error = refused(wide_sheet(16_384, 200), "import.limits.columns")
    assert error.params == {"max": 1_000}


def test_too_many_cells_in_all_are_refused() -> None:
    error = refused(many_cells(110_000, 20), "import.limits.cells")
    assert error.params == {"max": 2_000_000}


def test_a_sheet_hundreds_of_thousands_of_rows_deep_is_refused() -> None:
    error = refused(deep_sheet(300_000), "import.limits.sheet_rows")
    assert error.params == {"max": 200_000}


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_every_reader_counts_columns_and_cells(kind: str) -> None:
    build = xlsx if kind == "xlsx" else csv_bytes
    wide = build(people(3, width=30))
    assert len(read_list(wide, Limits(max_columns=30)).rows) == 3
    refused(wide, "import.limits.columns", Limits(max_columns=29))
    many = build(people(40))
    assert len(read_list(many, Limits(max_cells=200)).rows) == 40
    refused(many, "import.limits.cells", Limits(max_cells=100))


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_read_that_takes_too_long_is_stopped(kind: str) -> None:
    data = (xlsx if kind == "xlsx" else csv_bytes)(people(5))
    error = refused(data, "import.limits.time", Limits(max_seconds=1e-9))
    assert error.params == {"seconds": "1e-09"}
    assert refused(data, "import.limits.time", Limits(max_seconds=0.0)).params == {"seconds": "0"}


def test_a_stray_cell_far_to_the_right_is_not_a_wide_row() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in people(3):
        sheet.append(row)
    sheet.cell(row=2, column=16_384, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert len(read_list(buffer.getvalue()).rows) == 3


def test_a_real_list_of_50000_rows_and_15_columns_passes_the_checks() -> None:
    data = large_list_sheet(50_000, 15)
    scan_workbook(zipfile.ZipFile(io.BytesIO(data)), Budget(Limits()))
    assert len(read_list(xlsx(people(2_000, width=15))).rows) == 2_000


@pytest.mark.parametrize(
    "code", ["shared_strings", "shared_chars", "columns", "cells", "sheet_rows", "time"]
)
def test_each_refusal_says_what_is_wrong_in_the_persons_language(code: str) -> None:
    error = ValidationError(f"import.limits.{code}", max=1_000, seconds="60")
    texts = {language: error_text(language, error) for language in LANGUAGES}
    unknown = t("en", "error.unknown", code=error.code)
    assert unknown not in texts.values()
    assert texts["vi"] != texts["en"]
    # The limit as each language writes a large number.
    if code == "time":
        assert "60" in texts["en"] and "60" in texts["vi"]
    else:
        assert "1,000" in texts["en"] and "1.000" in texts["vi"]
