"""``spokes import FILE``: the list an agency sent, in .xlsx, .xls, .ods or .csv, row by row.

The file is read here (bounded by the size limit, so a huge file is never loaded), the import
itself is :func:`registry.roster.intake.importer.import_roster` in a unit of work of its own
(it commits as it goes, and journals the run: its id is printed at the end, and
``spokes imports show ID`` gives its report later, even if it was interrupted), and what is printed comes from :mod:`bot.import_report`. A file refused as a whole, a missing file or an unknown agency is one
line on stderr and exit code 1; rows with errors are part of a successful run (exit 0), listed
in the table and in the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.cli.runtime import count, err, out, print_json, run, say, state, tell
from bot.import_report import (
    context_lines,
    outcome_label,
    problem_text,
    report_xlsx,
    row_reason,
)
from registry.actors import Actor
from registry.errors import ValidationError
from registry.roster.intake.importer import ImportResult, Journaled, Outcome, import_roster
from registry.roster.intake.reader import Limits, megabytes
from registry.settings import get_settings
from registry.uow import Database

CLI = Actor.system("cli")
# Rows with errors printed in the terminal; the report has them all.
SHOWN_PROBLEMS = 20


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)


def import_command(
    file: Annotated[
        str,
        typer.Argument(
            help="The .xlsx, .xls, .ods or .csv file; its content decides, not its name."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")
    ] = False,
    agency: Annotated[
        str | None,
        typer.Option(help="The agency of the whole file, for rows without an agency cell."),
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write the row-by-row report (.xlsx) to this file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of tables.")] = False,
) -> None:
    """Import an agency's list of spokespeople and press contacts (.xlsx, .xls, .ods, .csv)."""
    limits = Limits.from_settings(get_settings())
    path = Path(file)
    data = read_file(path, limits)
    if report is not None:
        _check_writable(report)

    with _progress(enabled=not as_json) as on_progress:

        async def work(database: Database) -> ImportResult:
            try:
                return await import_roster(
                    database.uow(),
                    CLI,
                    data,
                    dry_run=dry_run,
                    agency=agency,
                    limits=limits,
                    progress=on_progress,
                    journal=Journaled(file_name=path.name),
                )
            except ValidationError as error:
                if error.code != "import.agency_needed":
                    raise
                # The chat asks which agency; here the answer is an option of the command.
                raise ValidationError("import_cli.agency_needed") from error

        result = run(work, writer=f"spokes import {path.name}")
    if report is not None:
        _write(report, report_xlsx(state.language, result, file_name=path.name))
    if as_json:
        print_json(_as_json(result))
    else:
        _print(result, path.name)
        if result.run_id is not None:
            tell(say("cli.imports.run", run=result.run_id))
    if report is not None:
        tell(say("cli.import.report_written", path=str(report)))


def read_file(path: Path, limits: Limits) -> bytes:
    """The file's bytes; never more than the size limit plus one byte is read."""
    try:
        if not path.exists():
            raise ValidationError("import.file_missing", path=str(path))
        if not path.is_file():
            raise ValidationError("import.not_a_file", path=str(path))
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise ValidationError(
                "import.too_large", size=megabytes(size), max=megabytes(limits.max_bytes)
            )
        with path.open("rb") as stream:
            return stream.read(limits.max_bytes + 1)
    except OSError as error:
        raise ValidationError(
            "import.unreadable", path=str(path), detail=error.strerror or str(error)
        ) from error


def _check_writable(path: Path) -> None:
    """Refuse a report path that cannot be written before importing, not after."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir() or not parent.is_dir():
        raise ValidationError("import.report_unwritable", path=str(path))


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as error:
        raise ValidationError("import.report_unwritable", path=str(path)) from error


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing in a pipe or a log."""
    if not enabled or not err.is_terminal:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task(say("cli.import.progress"), total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


def print_result(result: ImportResult, file_name: str) -> None:
    """The outcome counts, the rows with errors, and what was written."""
    _print(result, file_name)


def _print(result: ImportResult, file_name: str) -> None:
    language = state.language
    # A line of its own: a table title would be wrapped to the width of the narrow table.
    tell(say("cli.import.title", file=file_name, rows=len(result.rows)))
    for line in context_lines(language, result):
        tell(line)
    table = Table()
    table.add_column(say("cli.import.column_outcome"))
    table.add_column(say("cli.import.column_count"), justify="right")
    for outcome, rows in result.counts.items():
        table.add_row(outcome_label(language, outcome), count(rows))
    out.print(table)
    errors = [row for row in result.rows if row.outcome is Outcome.error]
    if errors:
        problems = Table(title=say("cli.import.problems_title", count=len(errors)))
        problems.add_column(say("cli.import.column_row"), justify="right")
        problems.add_column(say("cli.import.column_name"))
        problems.add_column(say("cli.import.column_reason"))
        for row in errors[:SHOWN_PROBLEMS]:
            reason = " ".join(problem_text(language, result.table, p) for p in row.problems)
            problems.add_row(str(row.row.number), row.row.get("full_name"), reason)
        out.print(problems)
        if len(errors) > SHOWN_PROBLEMS:
            tell(say("cli.import.more_problems", count=len(errors) - SHOWN_PROBLEMS))
    if result.dry_run:
        tell(
            say(
                "cli.import.dry_run",
                created=result.count(Outcome.created),
                updated=result.count(Outcome.updated),
            )
        )
    else:
        tell(
            say(
                "cli.import.done",
                created=result.count(Outcome.created),
                updated=result.count(Outcome.updated),
            )
        )


def as_json(result: ImportResult) -> dict[str, object]:
    return _as_json(result)


def _as_json(result: ImportResult) -> dict[str, object]:
    language = state.language
    return {
        "run_id": result.run_id,
        "dry_run": result.dry_run,
        "format": result.table.format,
        "sheet": result.table.sheet,
        "header_row": result.table.header_row,
        "ended_at": result.table.ended_at,
        "agency": result.agency.code if result.agency else None,
        "agency_from": result.agency_from,
        "counts": {outcome.value: count for outcome, count in result.counts.items()},
        "rows": [
            {
                "row": row.row.number,
                "outcome": row.outcome.value,
                "person_id": row.person_id,
                "changed": list(row.changed),
                "problems": [
                    {"code": p.code, "column": p.column, "params": p.params} for p in row.problems
                ],
                "reason": row_reason(language, result, row),
            }
            for row in result.rows
        ],
    }
