"""The import journal: every real import is a run, and each row's outcome is kept with it.

Why: an import that was interrupted (``kill -9``, a power cut, a server stopped) must still say
what it wrote, and two people must be able to ask later "what did that list do?". So a run is
opened before the first row, and each batch of row outcomes is written in the SAME transaction
as the batch's changes (:func:`record`): after a crash the journal lists exactly the rows whose
changes were kept, no more, no less.

A run whose process died is never told so; it is found out. A run is shown as ``interrupted``
when it still says ``running`` but its process is gone from this host (its pid no longer
exists), or, for a run of another host, when its heartbeat (moved at every batch, a fraction of
a second apart) is older than :data:`STALE`. A run asked from a chat keeps its file until it
finishes, so a server starting again runs it again (:func:`claim`): the rows already recorded
are kept as they are, and the others are imported.

Dry runs are not journaled: they write nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry.models import ImportRowResult, ImportRun, RunStatus, utcnow
from registry.roster.intake.checks import Problem
from registry.roster.intake.table import ListRow, ListTable
from registry.uow import UnitOfWork
from registry.views import Notice

# A running run whose heartbeat is older than this, on another host, is taken as interrupted.
STALE = timedelta(minutes=2)
HOST = socket.gethostname()[:255]
# Runs queued by this process: a cheap way for its job runner to know there is work.
_queued_count = 0


# Called when this process queued a run (a job runner's wake-up), after its commit when it
# owned the transaction, before the caller's commit when it borrowed it.
_listeners: list[Callable[[], None]] = []


def queued_here() -> int:
    """How many runs this process has queued so far (a job runner compares it with its own)."""
    return _queued_count


def listen(callback: Callable[[], None]) -> Callable[[], None]:
    """Have ``callback`` called whenever this process queues a run; the function that stops it."""
    _listeners.append(callback)
    return lambda: _listeners.remove(callback)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class RunInfo:
    """A run as the journal shows it (``status`` as it is now, interruptions found out)."""

    id: int
    status: RunStatus
    actor: str
    agency_code: str | None
    agency_name: str | None
    file_name: str
    file_size: int
    file_sha256: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error_code: str | None
    rows_total: int | None
    rows_done: int
    counts: dict[str, int]
    origin: dict[str, Any] | None


@dataclass(frozen=True)
class Recorded:
    """A row outcome as the journal kept it (the report is rebuilt from these)."""

    number: int
    outcome: str
    person_id: int | None
    duplicate_of: int | None
    changed: tuple[str, ...]
    problems: tuple[Problem, ...]
    notices: tuple[Notice, ...]


# --- opening and closing a run ----------------------------------------------------------------


def new_run(
    actor: str,
    account_id: int | None,
    file_name: str,
    data: bytes,
    *,
    options: dict[str, Any] | None = None,
    origin: dict[str, Any] | None = None,
    queued: bool = False,
) -> ImportRun:
    """A run to add to a session: running now (the caller imports), or queued with its file."""
    now = utcnow()
    return ImportRun(
        actor=actor[:80],
        account_id=account_id,
        file_name=(file_name or "file")[:255],
        file_size=len(data),
        file_sha256=digest(data),
        status=RunStatus.queued if queued else RunStatus.running,
        created_at=now,
        started_at=None if queued else now,
        heartbeat_at=None if queued else now,
        host=None if queued else HOST,
        pid=None if queued else os.getpid(),
        options=options,
        origin=origin,
        content=data if queued else None,
    )


async def enqueue(uow: UnitOfWork, run: ImportRun) -> int:
    """Add a queued run in ``uow`` (a chat update's transaction: it commits with it)."""
    global _queued_count
    async with uow:
        uow.session.add(run)
        await uow.flush()
        await uow.commit()
    _queued_count += 1
    for listener in list(_listeners):
        listener()
    return run.id


async def open_run(uow: UnitOfWork, run: ImportRun) -> int:
    """Record a run starting now, committed at once (owned) so that it exists whatever follows."""
    async with uow:
        uow.session.add(run)
        await uow.flush()
        await uow.commit()
        return run.id


def table_of(table: ListTable) -> dict[str, Any]:
    return {
        "format": table.format,
        "sheet": table.sheet,
        "header_row": table.header_row,
        "headers": list(table.headers),
        "columns": dict(table.columns),
    }


def empty_table(saved: dict[str, Any] | None) -> ListTable:
    """The table of a run as saved (no rows): enough to name columns in reasons."""
    saved = saved or {}
    return ListTable(
        format=saved.get("format", "xlsx"),
        header_row=int(saved.get("header_row", 0)),
        headers=tuple(saved.get("headers", ())),
        columns={str(k): int(v) for k, v in dict(saved.get("columns", {})).items()},
        rows=(),
        sheet=saved.get("sheet"),
    )


async def started(
    session: AsyncSession,
    run_id: int,
    table: ListTable,
    total: int,
    agency: tuple[str, str] | None,
) -> None:
    """The file was read: what it holds (in the first batch's transaction)."""
    values: dict[str, Any] = {"table": table_of(table), "rows_total": total}
    if agency is not None:
        values["agency_code"], values["agency_name"] = agency
    await session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(params, default=str))
    return loaded


async def record(
    session: AsyncSession,
    run_id: int,
    rows: Sequence[Recorded],
    *,
    finished: bool = False,
) -> None:
    """Add a batch's row outcomes to the run and move its heartbeat, in the batch's own
    transaction; ``finished`` closes the run and forgets its file."""
    if rows:  # one INSERT for the batch's rows
        await session.execute(
            insert(ImportRowResult.__table__),
            [
                {
                    "run_id": run_id,
                    "number": row.number,
                    "outcome": row.outcome,
                    "person_id": row.person_id,
                    "duplicate_of": row.duplicate_of,
                    "detail": {
                        "changed": list(row.changed),
                        "problems": [
                            {"code": p.code, "params": _jsonable(p.params), "column": p.column}
                            for p in row.problems
                        ],
                        "notices": [
                            {"code": n.code, "params": _jsonable(n.params)} for n in row.notices
                        ],
                    },
                }
                for row in rows
            ],
        )
    now = utcnow()
    values: dict[str, Any] = {"heartbeat_at": now}
    if finished:
        values.update(status=RunStatus.finished, finished_at=now, content=None)
    await session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def fail(uow: UnitOfWork, run_id: int, code: str) -> None:
    """The run ended without finishing (refused as a whole, or broken): say why, keep its rows."""
    async with uow:
        await uow.session.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(
                status=RunStatus.failed, error_code=code[:64], finished_at=utcnow(), content=None
            )
            .execution_options(synchronize_session=False)
        )
        await uow.commit()


# --- what happened ----------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def effective_status(run: ImportRun, now: datetime | None = None) -> RunStatus:
    """The run's status, with a run whose process died shown as interrupted."""
    if run.status is not RunStatus.running:
        return run.status
    if run.host == HOST and run.pid is not None and run.pid != os.getpid():
        return RunStatus.running if _alive(run.pid) else RunStatus.interrupted
    beat = run.heartbeat_at or run.started_at
    if beat is not None and (now or utcnow()) - beat > STALE:
        return RunStatus.interrupted
    return RunStatus.running


async def _counts(session: AsyncSession, run_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {run_id: {} for run_id in run_ids}
    if not run_ids:
        return counts
    rows = await session.execute(
        select(ImportRowResult.run_id, ImportRowResult.outcome, func.count())
        .where(ImportRowResult.run_id.in_(run_ids))
        .group_by(ImportRowResult.run_id, ImportRowResult.outcome)
    )
    for run_id, outcome, count in rows:
        counts[run_id][outcome] = count
    return counts


def _info(run: ImportRun, counts: dict[str, int]) -> RunInfo:
    return RunInfo(
        id=run.id,
        status=effective_status(run),
        actor=run.actor,
        agency_code=run.agency_code,
        agency_name=run.agency_name,
        file_name=run.file_name,
        file_size=run.file_size,
        file_sha256=run.file_sha256,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error_code=run.error_code,
        rows_total=run.rows_total,
        rows_done=sum(counts.values()),
        counts=counts,
        origin=run.origin,
    )


_LISTED = tuple(c for c in ImportRun.__table__.columns if c.key != "content")


async def runs(uow: UnitOfWork, limit: int = 50) -> list[RunInfo]:
    """The latest runs, newest first."""
    async with uow.reading():
        found = list(
            (
                await uow.session.scalars(
                    select(ImportRun)
                    .options(_no_content())
                    .order_by(ImportRun.id.desc())
                    .limit(limit)
                )
            ).all()
        )
        counts = await _counts(uow.session, [run.id for run in found])
        return [_info(run, counts[run.id]) for run in found]


def _no_content() -> Any:
    from sqlalchemy.orm import defer

    return defer(ImportRun.content)


async def show(uow: UnitOfWork, run_id: int) -> tuple[RunInfo, ListTable, list[Recorded]] | None:
    """One run with its table and every row recorded, in row order; ``None`` if unknown."""
    async with uow.reading():
        run = await uow.session.get(ImportRun, run_id, options=[_no_content()])
        if run is None:
            return None
        rows = await recorded(uow.session, run_id)
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.outcome] = counts.get(row.outcome, 0) + 1
        return _info(run, counts), empty_table(run.table), rows


async def recorded(session: AsyncSession, run_id: int) -> list[Recorded]:
    found = await session.scalars(
        select(ImportRowResult)
        .where(ImportRowResult.run_id == run_id)
        .order_by(ImportRowResult.number)
    )
    out: list[Recorded] = []
    for row in found:
        detail = row.detail or {}
        out.append(
            Recorded(
                number=row.number,
                outcome=row.outcome,
                person_id=row.person_id,
                duplicate_of=row.duplicate_of,
                changed=tuple(detail.get("changed", ())),
                problems=tuple(
                    Problem(p["code"], dict(p.get("params") or {}), p.get("column"))
                    for p in detail.get("problems", ())
                ),
                notices=tuple(
                    Notice(n["code"], dict(n.get("params") or {}))
                    for n in detail.get("notices", ())
                ),
            )
        )
    return out


def blank_row(number: int) -> ListRow:
    return ListRow(number, (), {})


# --- runs to be run again -----------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    actor: str
    account_id: int | None
    file_name: str
    content: bytes
    options: dict[str, Any]
    origin: dict[str, Any]


async def runnable(uow: UnitOfWork) -> list[int]:
    """Runs that carry their file and are waiting or were interrupted, oldest first."""
    async with uow.reading():
        found = (
            await uow.session.scalars(
                select(ImportRun)
                .options(_no_content())
                .where(
                    ImportRun.status.in_((RunStatus.queued, RunStatus.running)),
                    ImportRun.origin.is_not(None),
                )
                .order_by(ImportRun.id)
            )
        ).all()
        return [
            run.id
            for run in found
            if run.status is RunStatus.queued or effective_status(run) is RunStatus.interrupted
        ]


async def claim(uow: UnitOfWork, run_id: int) -> Claimed | None:
    """Take a queued or interrupted run for this process; ``None`` if another took it first."""
    async with uow:
        run = await uow.session.get(ImportRun, run_id)
        if run is None or run.content is None or run.origin is None:
            return None
        state = effective_status(run)
        if state not in (RunStatus.queued, RunStatus.interrupted):
            return None
        now = utcnow()
        taken = await uow.session.execute(
            update(ImportRun)
            .where(
                ImportRun.id == run_id,
                ImportRun.status == run.status,
                (ImportRun.heartbeat_at == run.heartbeat_at)
                if run.heartbeat_at is not None
                else ImportRun.heartbeat_at.is_(None),
            )
            .values(
                status=RunStatus.running,
                started_at=run.started_at or now,
                heartbeat_at=now,
                host=HOST,
                pid=os.getpid(),
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        claimed = Claimed(
            run.id,
            run.actor,
            run.account_id,
            run.file_name,
            run.content,
            dict(run.options or {}),
            dict(run.origin),
        )
        await uow.commit()
        return claimed


@dataclass(frozen=True)
class Orphan:
    """A run that waited for its file and lost it: failed, with where it was asked from."""

    id: int
    file_name: str
    origin: dict[str, Any]


async def orphaned(uow: UnitOfWork, run_id: int) -> Orphan | None:
    """A queued or interrupted run whose file is gone, marked failed (``import.file_gone``);
    ``None`` when the run still has its file, or is no longer waiting."""
    async with uow:
        run = await uow.session.get(ImportRun, run_id)
        if run is None or run.content is not None or run.origin is None:
            return None
        if effective_status(run) not in (RunStatus.queued, RunStatus.interrupted):
            return None
        taken = await uow.session.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id, ImportRun.status == run.status)
            .values(status=RunStatus.failed, error_code="import.file_gone", finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        orphan = Orphan(run.id, run.file_name, dict(run.origin))
        await uow.commit()
        return orphan


async def release(uow: UnitOfWork, run_id: int) -> None:
    """Put a run this process stops (a server shutting down) back in the queue: the rows it
    recorded stay, and the next start goes on from there."""
    async with uow:
        await uow.session.execute(
            update(ImportRun)
            .where(
                ImportRun.id == run_id,
                ImportRun.status == RunStatus.running,
                ImportRun.pid == os.getpid(),
            )
            .values(status=RunStatus.queued, heartbeat_at=None, host=None, pid=None)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()


async def origin_of(uow: UnitOfWork, run_id: int) -> dict[str, Any] | None:
    """Where a run was asked from (``None`` for a run of the command line, or unknown)."""
    async with uow.reading():
        found = await uow.session.scalar(select(ImportRun.origin).where(ImportRun.id == run_id))
        return dict(found) if found else None
