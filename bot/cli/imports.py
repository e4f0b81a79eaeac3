"""``spokes imports list`` and ``spokes imports show ID``: the journal of real imports.

Every real import (the CLI, a chat, the upload page) is a run in the journal
(:mod:`registry.roster.intake.journal`), with each row's outcome written together with the row's
change. So the report of any run can be given again later, and the report of an interrupted run
says exactly what it wrote; these commands print it like ``spokes import`` does, as tables or
JSON, and ``--report`` writes the row-by-row workbook (without the file's cells, which the
journal does not keep).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.import_ import _check_writable, _write, print_result
from bot.cli.import_ import as_json as result_json
from bot.cli.runtime import count, out, print_json, run, say, state, tell
from bot.clock import shown
from bot.import_report import report_xlsx
from bot.texts import error_text, t
from registry.errors import NotFound, RegistryError
from registry.models import RunStatus
from registry.roster.intake import journal
from registry.roster.intake.importer import AgencyRef, ImportResult, from_journal
from registry.uow import Database

app = typer.Typer(help="The journal of list imports: every real import and its report.")


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="imports")


def status_text(status: RunStatus) -> str:
    return t(state.language, f"import.run_status.{status.value}")


@app.command("list")
def list_command(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """The latest imports, newest first, with how each stands."""

    async def work(database: Database) -> list[journal.RunInfo]:
        return await journal.runs(database.uow(), limit)

    runs = run(work)
    if as_json:
        print_json([_info_json(info) for info in runs])
        return
    if not runs:
        tell(say("cli.imports.none"))
        return
    table = Table(title=say("cli.imports.title"))
    for key in ("run", "status", "file", "actor", "started", "rows"):
        table.add_column(say(f"cli.imports.column_{key}"))
    for info in runs:
        table.add_row(
            str(info.id),
            status_text(info.status),
            info.file_name,
            info.actor,
            shown(info.started_at or info.created_at, "%d/%m/%Y %H:%M"),
            f"{count(info.rows_done)}/"
            + (count(info.rows_total) if info.rows_total is not None else "-"),
        )
    out.print(table)


@app.command("show")
def show_command(
    run_id: Annotated[int, typer.Argument(help="The run's number (spokes imports list).")],
    report: Annotated[
        Path | None, typer.Option(help="Write the row-by-row report (.xlsx) to this file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of tables.")] = False,
) -> None:
    """The report of one import, as far as it went."""
    if report is not None:
        _check_writable(report)

    async def work(database: Database) -> tuple[journal.RunInfo, ImportResult]:
        found = await journal.show(database.uow(), run_id)
        if found is None:
            raise NotFound("import_run.not_found", run=run_id)
        info, table, rows = found
        agency = (
            AgencyRef(0, info.agency_code, info.agency_name or "") if info.agency_code else None
        )
        results = tuple(from_journal(journal.blank_row(row.number), row) for row in rows)
        return info, ImportResult(table, results, False, info.actor, agency, info.id)

    info, result = run(work)
    if report is not None:
        _write(report, report_xlsx(state.language, result, file_name=info.file_name))
    if as_json:
        print_json({**_info_json(info), "report": result_json(result)})
        return
    tell(
        say(
            "cli.imports.detail",
            run=info.id,
            file=info.file_name,
            size=info.file_size,
            sha=info.file_sha256[:16],
            actor=info.actor,
            status=status_text(info.status),
            done=info.rows_done,
            total=info.rows_total if info.rows_total is not None else "-",
        )
    )
    print_result(result, info.file_name)
    if info.error_code:
        reason = error_text(state.language, RegistryError(info.error_code))
        tell(say("cli.imports.error", reason=reason))
    if info.status is RunStatus.interrupted:
        tell(say("cli.imports.interrupted_hint"))
    if report is not None:
        tell(say("cli.import.report_written", path=str(report)))


def _info_json(info: journal.RunInfo) -> dict[str, object]:
    return {
        "id": info.id,
        "status": info.status.value,
        "actor": info.actor,
        "agency": info.agency_code,
        "file_name": info.file_name,
        "file_size": info.file_size,
        "file_sha256": info.file_sha256,
        "created_at": info.created_at.isoformat(),
        "started_at": info.started_at.isoformat() if info.started_at else None,
        "finished_at": info.finished_at.isoformat() if info.finished_at else None,
        "error": info.error_code,
        "rows_total": info.rows_total,
        "rows_done": info.rows_done,
        "counts": info.counts,
    }
