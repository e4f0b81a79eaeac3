"""What an import says to people: each row's result and reason, a summary, and the report file.

The registry hands over codes and parameters (:mod:`registry.roster.intake.importer`); every
word comes from the text catalogs here, in the reader's language. A problem names the column it
concerns by the header the agency itself wrote ("SĐT: ..."), so the person fixing the file finds
it.

The report is the file's own rows, as read, each with its row number in the file first (where
Excel shows it, to find the row and fix it) and two columns added ("Kết quả", "Lý do"), the
cells at fault in red, then a summary sheet. Every view (chat, web page, report, terminal) names
the rows a problem concerns by those numbers, and labels a count as a count ("3 dòng lỗi: dòng
12, 15, 19"), so neither can be taken for the other. It is written in openpyxl's write-only mode (a
50,000-row report stays small in memory; see :mod:`bot.import_report_file`) and no cell is ever a formula: values an agency typed
as "=..." come back as text, marked the way Excel marks text (quotePrefix).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.texts import error_text, has, t
from registry.errors import RegistryError
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
    language: str, result: ImportResult, *, file_name: str | None = None, names: int = 10
) -> list[str]:
    """A few lines for a chat message or a terminal: the counts, where the list's agency came
    from and where its table ended, who is added or changed (``names`` of each at most), then
    the most frequent problems, each with the rows that have it."""
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
    lines.extend(context_lines(language, result))
    if names:
        lines.extend(change_lines(language, result, limit=names))
    for code, rows in list(problem_rows(result).items())[:5]:
        example = first_problem(result.rows, code)
        lines.append(
            t(
                language,
                "import.summary.problem",
                count=len(rows),
                reason=problem_text(language, result.table, example),
                rows=row_list(language, rows),
            )
        )
    lines.append(t(language, "import.summary.dry_run" if result.dry_run else "import.summary.done"))
    return lines


def context_lines(language: str, result: ImportResult) -> list[str]:
    """Whose list it was taken to be, and where its table ended, when either needs saying."""
    lines: list[str] = []
    if result.agency is not None and result.agency_from is not None:
        lines.append(
            t(language, f"import.lines.agency_{result.agency_from}", agency=result.agency.name)
        )
    if result.table.ended_at is not None:
        lines.append(t(language, "import.lines.ended", row=result.table.ended_at))
    lines.extend(_merged_lines(language, result))
    return lines


def _merged_lines(language: str, result: ImportResult) -> list[str]:
    """Each agency name of before the 2025 mergers, once, with the rows that used it: they
    were put in the agency it merged into."""
    rows: dict[tuple[str, str], list[int]] = {}
    for row in result.rows:
        for notice in row.notices:
            if notice.code == "agency.merged_into":
                key = (str(notice.params.get("former")), str(notice.params.get("successor")))
                rows.setdefault(key, []).append(row.row.number)
    return [
        t(
            language,
            "import.lines.merged",
            former=former,
            successor=successor,
            rows=row_list(language, numbers),
        )
        for (former, successor), numbers in rows.items()
    ]


def problem_rows(result: ImportResult) -> dict[str, list[int]]:
    """The rows (their numbers in the file) each problem code concerns, most frequent first."""
    rows: dict[str, list[int]] = {}
    for row in result.rows:
        if row.outcome is Outcome.error:
            for problem in row.problems:
                numbers = rows.setdefault(problem.code, [])
                if not numbers or numbers[-1] != row.row.number:
                    numbers.append(row.row.number)
    order = summary_codes(result)
    return {code: rows[code] for code in order if code in rows}


def row_list(language: str, numbers: Sequence[int], limit: int = 10) -> str:
    """ "dòng 12, 15, 19" (the first ``limit``, then how many more)."""
    shown = t(language, "import.lines.rows", rows=", ".join(str(n) for n in numbers[:limit]))
    if len(numbers) > limit:
        return t(language, "import.lines.more_rows", rows=shown, count=len(numbers) - limit)
    return shown


def changes(result: ImportResult, outcome: Outcome) -> list[RowResult]:
    return [row for row in result.rows if row.outcome is outcome]


def name_of(language: str, result: ImportResult, row: RowResult) -> str:
    """ "Nguyễn Văn An (dòng 9)", with the fields an update changes."""
    name = row.row.get("full_name") or "-"
    if row.outcome is Outcome.updated and row.changed:
        fields = ", ".join(_field_name(language, result.table, f) for f in row.changed)
        return t(language, "import.lines.name_fields", name=name, row=row.row.number, fields=fields)
    return t(language, "import.lines.name_row", name=name, row=row.row.number)


def change_lines(language: str, result: ImportResult, *, limit: int = 10) -> list[str]:
    """Who is (or would be) added, and who changed: names with their rows."""
    lines: list[str] = []
    keys = {
        Outcome.created: "to_add" if result.dry_run else "added",
        Outcome.updated: "to_change" if result.dry_run else "changed",
    }
    for outcome, key in keys.items():
        rows = changes(result, outcome)
        if not rows:
            continue
        names = "; ".join(name_of(language, result, row) for row in rows[:limit])
        if len(rows) > limit:
            names = t(language, "import.lines.more_names", names=names, count=len(rows) - limit)
        lines.append(t(language, f"import.lines.{key}", count=len(rows), names=names))
    return lines


def first_problem(rows: Sequence[RowResult], code: str) -> Problem:
    """The first problem of this code, the one a summary shows."""
    return next(p for row in rows for p in row.problems if p.code == code)


# --- the report file ------------------------------------------------------------------------


def report_xlsx(
    language: str,
    result: ImportResult,
    *,
    file_name: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """The report workbook (:mod:`bot.import_report_file`, imported when a report is written)."""
    from bot.import_report_file import report_xlsx as write

    return write(language, result, file_name=file_name, now=now)
