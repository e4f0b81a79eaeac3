"""What an import says to people: each row's result and reason, a summary, and the report file.

The registry hands over codes and parameters (:mod:`registry.roster.intake.importer`); every
word comes from the text catalogs here, in the reader's language. A problem names the column it
concerns by the header the agency itself wrote ("SĐT: ..."), so the person fixing the file finds
it.

The report is the file's own rows, as read, with two columns added ("Kết quả", "Lý do") and the
cells at fault in red, then a summary sheet. It is written in openpyxl's write-only mode (a
50,000-row report stays small in memory) and no cell is ever a formula: values an agency typed
as "=..." come back as text, marked the way Excel marks text (quotePrefix).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.clock import shown
from bot.texts import error_text, has, t
from registry.errors import RegistryError
from registry.roster.cells import is_risky, xml_safe
from registry.roster.intake.importer import (
    ImportResult,
    Outcome,
    Problem,
    RowResult,
    summary_codes,
)
from registry.roster.intake.table import ListTable
from registry.views import Notice

# Codes of a skipped row's reason, shown from "import.reason.*" rather than as an error.
_SKIP_REASONS = {"import.example_row": "example_row", "import.no_person": "no_person"}
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


def outcome_label(language: str, outcome: Outcome) -> str:
    return t(language, f"import.outcome.{outcome.value}")


def _field_name(language: str, table: ListTable, column: str) -> str:
    """The header the file used for ``column``, else the column's name in the catalog."""
    header = table.header_of(column)
    if header:
        return header
    return t(language, f"field.{column}") if has(f"field.{column}") else column


def problem_text(language: str, table: ListTable, problem: Problem) -> str:
    skip = _SKIP_REASONS.get(problem.code)
    if skip is not None:
        return t(language, f"import.reason.{skip}")
    params: dict[str, Any] = dict(problem.params)
    if problem.column is not None and "field" in params:
        params["field"] = _field_name(language, table, problem.column)
    return error_text(language, RegistryError(problem.code, **params))


def notice_text(language: str, table: ListTable, notice: Notice) -> str:
    params: dict[str, Any] = dict(notice.params)
    if isinstance(params.get("field"), str):
        params["field"] = _field_name(language, table, params["field"])
    role = params.get("role")
    if isinstance(role, str) and has(f"role.{role}"):
        params["role"] = t(language, f"role.{role}")
    return t(language, f"notice.{notice.code}", **params)


def row_reason(language: str, result: ImportResult, row: RowResult) -> str:
    """The "Lý do" of one row: what happened, then anything the person should know."""
    table = result.table
    parts: list[str] = []
    if row.outcome in (Outcome.error, Outcome.skipped):
        parts.extend(problem_text(language, table, problem) for problem in row.problems)
    elif row.outcome is Outcome.created:
        if result.dry_run:
            parts.append(t(language, "import.reason.created_dry"))
        else:
            parts.append(t(language, "import.reason.created", person_id=row.person_id))
    elif row.outcome is Outcome.updated:
        fields = ", ".join(_field_name(language, table, name) for name in row.changed)
        key = "import.reason.updated_dry" if result.dry_run else "import.reason.updated"
        parts.append(t(language, key, fields=fields, person_id=row.person_id))
    elif row.duplicate_of is not None:
        parts.append(t(language, "import.reason.duplicate", row=row.duplicate_of))
    else:
        parts.append(t(language, "import.reason.unchanged", person_id=row.person_id))
    parts.extend(notice_text(language, table, notice) for notice in row.notices)
    return " ".join(parts)


def summary_lines(
    language: str, result: ImportResult, *, file_name: str | None = None
) -> list[str]:
    """A few lines for a chat message or a terminal: counts, then the most frequent problems."""
    lines = [
        t(
            language,
            "import.summary.title",
            file=file_name or "-",
            rows=len(result.rows),
        )
    ]
    counts = result.counts
    lines.append(
        t(
            language,
            "import.summary.counts",
            **{outcome.value: counts[outcome] for outcome in Outcome},
        )
    )
    for code, count in list(summary_codes(result).items())[:5]:
        example = _first_problem(result.rows, code)
        lines.append(
            t(
                language,
                "import.summary.problem",
                count=count,
                reason=problem_text(language, result.table, example),
            )
        )
    lines.append(t(language, "import.summary.dry_run" if result.dry_run else "import.summary.done"))
    return lines


# --- the report file ------------------------------------------------------------------------


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
    headers = [*table.headers, *[""] * (width - len(table.headers))]
    headers += [
        t(language, "import.report.column_result"),
        t(language, "import.report.column_reason"),
    ]
    widths = [min(_MAX_WIDTH, max(10, len(text) + 2)) for text in headers]
    for row in result.rows[:200]:
        for index, cell in enumerate(row.row.cells):
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
    out = [
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
        sheet.append([_text_cell(sheet, outcome_label(language, outcome), fill=fill), count])
    problems = summary_codes(result)
    if problems:
        sheet.append([])
        sheet.append([_text_cell(sheet, t(language, "import.report.problems"), font=bold)])
        for code, count in problems.items():
            example = _first_problem(result.rows, code)
            sheet.append([count, _text_cell(sheet, problem_text(language, table, example))])


def _first_problem(rows: Sequence[RowResult], code: str) -> Problem:
    return next(p for row in rows for p in row.problems if p.code == code)
