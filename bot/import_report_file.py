"""The import's report file: the rows with "Kết quả" and "Lý do", and a summary sheet.

Apart from :mod:`bot.import_report` (the words) because openpyxl takes a noticeable time to
import: a command or a chat that never writes a report does not pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.clock import shown
from bot.import_report import (
    context_lines,
    first_problem,
    outcome_label,
    problem_rows,
    problem_text,
    row_list,
    row_reason,
)
from bot.texts import t
from registry.roster.cells import is_risky, xml_safe
from registry.roster.intake.importer import ImportResult, Outcome, RowResult

_FILLS = {
    Outcome.created: "C6EFCE",
    Outcome.updated: "DDEBF7",
    Outcome.unchanged: "EDEDED",
    Outcome.error: "FFC7CE",
    Outcome.skipped: "FFEB9C",
}
_BAD_CELL = PatternFill("solid", fgColor="FFC7CE")
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_MAX_WIDTH = 60


def report_xlsx(
    language: str,
    result: ImportResult,
    *,
    file_name: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """The report workbook: the rows with "Kết quả" and "Lý do", and a summary sheet."""
    workbook = Workbook(write_only=True)
    _rows_sheet(workbook, language, result)
    _summary_sheet(workbook, language, result, file_name, now or datetime.now(UTC))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet: WriteOnlyWorksheet, value: str, **style: Any) -> WriteOnlyCell:
    text = xml_safe(value)
    cell = WriteOnlyCell(sheet, value=text)
    if text and is_risky(text):
        # Text, never a formula: an explicit string marked as Excel marks typed text.
        cell.data_type = "s"
        cell.quotePrefix = True
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _rows_sheet(workbook: Workbook, language: str, result: ImportResult) -> None:
    table = result.table
    width = table.width
    sheet: WriteOnlyWorksheet = workbook.create_sheet(t(language, "import.report.sheet_rows"))
    headers = [
        t(language, "import.lines.column_row"),
        *table.headers,
        *[""] * (width - len(table.headers)),
    ]
    headers += [
        t(language, "import.report.column_result"),
        t(language, "import.report.column_reason"),
    ]
    widths = [min(_MAX_WIDTH, max(10, len(text) + 2)) for text in headers]
    for row in result.rows[:200]:
        for index, cell in enumerate(row.row.cells, start=1):
            widths[index] = min(_MAX_WIDTH, max(widths[index], len(cell) + 2))
    widths[-1] = _MAX_WIDTH
    for index, size in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = size
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(result.rows) + 1}"
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.append(
        [_text_cell(sheet, text, font=bold, fill=_HEADER_FILL, alignment=wrap) for text in headers]
    )
    for row in result.rows:
        sheet.append(_report_row(sheet, language, result, row, width, wrap))


def _report_row(
    sheet: WriteOnlyWorksheet,
    language: str,
    result: ImportResult,
    row: RowResult,
    width: int,
    wrap: Alignment,
) -> list[WriteOnlyCell]:
    bad = {
        result.table.columns[problem.column]
        for problem in row.problems
        if row.outcome is Outcome.error
        and problem.column is not None
        and problem.column in result.table.columns
    }
    cells = [*row.row.cells, *[""] * (width - len(row.row.cells))]
    # The row's number in the agency's file, as Excel shows it: where to find it to fix it.
    out = [WriteOnlyCell(sheet, value=row.row.number)]
    out += [
        _text_cell(sheet, value, fill=_BAD_CELL) if index in bad else _text_cell(sheet, value)
        for index, value in enumerate(cells)
    ]
    fill = PatternFill("solid", fgColor=_FILLS[row.outcome])
    out.append(_text_cell(sheet, outcome_label(language, row.outcome), fill=fill))
    out.append(_text_cell(sheet, row_reason(language, result, row), alignment=wrap))
    return out


def _summary_sheet(
    workbook: Workbook,
    language: str,
    result: ImportResult,
    file_name: str | None,
    now: datetime,
) -> None:
    sheet: WriteOnlyWorksheet = workbook.create_sheet(t(language, "import.report.sheet_summary"))
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 70
    bold = Font(bold=True)
    table = result.table

    def pairs(items: Iterable[tuple[str, str]]) -> None:
        for label, value in items:
            sheet.append([_text_cell(sheet, label, font=bold), _text_cell(sheet, value)])

    sheet.append(
        [_text_cell(sheet, t(language, "import.report.title"), font=Font(bold=True, size=13))]
    )
    sheet.append([])
    mode = "import.report.mode_dry" if result.dry_run else "import.report.mode_real"
    details: list[tuple[str, str]] = [
        (t(language, "import.report.file"), file_name or "-"),
        (t(language, "import.report.when"), shown(now, "%d/%m/%Y %H:%M")),
        (t(language, "import.report.actor"), result.actor),
        (t(language, "import.report.mode"), t(language, mode)),
        (t(language, "import.report.agency"), result.agency.name if result.agency else "-"),
        (t(language, "import.report.sheet"), table.sheet or table.format.upper()),
        (t(language, "import.report.header_row"), str(table.header_row)),
        (t(language, "import.report.rows"), str(len(result.rows))),
    ]
    if table.ignored_headers:
        details.append(
            (t(language, "import.report.ignored_columns"), ", ".join(table.ignored_headers))
        )
    pairs(details)
    sheet.append([])
    sheet.append(
        [
            _text_cell(sheet, t(language, "import.report.outcome"), font=bold, fill=_HEADER_FILL),
            _text_cell(sheet, t(language, "import.report.count"), font=bold, fill=_HEADER_FILL),
        ]
    )
    for outcome, count in result.counts.items():
        fill = PatternFill("solid", fgColor=_FILLS[outcome])
        sheet.append(
            [
                _text_cell(sheet, outcome_label(language, outcome), fill=fill),
                _text_cell(sheet, t(language, "import.lines.count_rows", count=count)),
            ]
        )
    context = context_lines(language, result)
    if context:
        sheet.append([])
        for line in context:
            sheet.append([_text_cell(sheet, line)])
    problems = problem_rows(result)
    if problems:
        sheet.append([])
        sheet.append([_text_cell(sheet, t(language, "import.report.problems"), font=bold)])
        for code, rows in problems.items():
            example = first_problem(result.rows, code)
            counted = t(language, "import.lines.count_rows", count=len(rows))
            sheet.append(
                [
                    _text_cell(sheet, problem_text(language, table, example)),
                    _text_cell(sheet, f"{counted}: {row_list(language, rows, limit=200)}"),
                ]
            )
