"""The import journal, races between imports, batched dry runs and a focal point's view, on
every backend: what a report says is what was written."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from sqlalchemy import func, select, update

from bot.import_report import row_reason, summary_lines
from registry import people
from registry.errors import ValidationError
from registry.models import ImportRun, Person, RunStatus
from registry.roster.intake import journal
from registry.roster.intake.importer import (
    Batching,
    ImportResult,
    Journaled,
    Outcome,
    import_roster,
)
from registry.uow import Database
from tests.integration.conftest import SYSTEM, Cast
from tests.integration.test_import import HEADER, MESSY_OUTCOMES, _outcomes
from tests.roster_files import messy_xlsx, png, xlsx


def _list(count: int, *, agency: str = "Lào Cai", start: int = 0) -> bytes:
    rows = [HEADER]
    for index in range(start, start + count):
        rows.append(
            (index + 1, agency, f"Nguyễn Văn Thử {_word(index)}", "", "", f"0912 {index:06d}", "")
        )
    return xlsx(rows)


def _word(index: int) -> str:
    """A distinct name word per index (names take letters only)."""
    letters = "abcdeghiklmnopqrstuvxy"
    word = ""
    index += len(letters)
    while index:
        index, digit = divmod(index, len(letters))
        word = letters[digit] + word
    return word.capitalize()


async def _people(db: Database) -> int:
    async with db.uow().reading() as uow:
        return await uow.session.scalar(select(func.count()).select_from(Person)) or 0


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --- the journal -------------------------------------------------------------------------------


async def test_a_real_run_is_journaled_row_by_row_and_a_dry_run_is_not(
    cast: Cast, db: Database
) -> None:
    heard: list[int] = []
    data = (
        messy_xlsx()
    )  # built once: the zip's times may change its size from one build to the next
    dry = await import_roster(db.uow(), cast.staff, data, dry_run=True)
    assert dry.run_id is None and await journal.runs(db.uow()) == []
    result = await import_roster(
        db.uow(),
        cast.staff,
        data,
        journal=Journaled(file_name="danh-sach.xlsx"),
        on_run=heard.append,
    )
    assert result.run_id is not None and heard == [result.run_id]
    [listed] = await journal.runs(db.uow())
    assert listed.id == result.run_id and listed.status is RunStatus.finished
    assert listed.file_name == "danh-sach.xlsx" and listed.file_size == len(data)
    assert listed.rows_done == listed.rows_total == len(result.rows)
    assert listed.counts == {o.value: c for o, c in result.counts.items() if c}
    shown = await journal.show(db.uow(), result.run_id)
    assert shown is not None
    info, table, rows = shown
    assert {
        row.number: (Outcome(row.outcome), tuple(p.code for p in row.problems)) for row in rows
    } == MESSY_OUTCOMES
    # The journal's rows give the same reasons as the run itself (the columns' own headers).
    by_number = {row.row.number: row for row in result.rows}
    rebuilt = ImportResult(table, (), False, info.actor, None, info.id)
    for row in rows:
        from registry.roster.intake.importer import from_journal

        again = from_journal(journal.blank_row(row.number), row)
        assert row_reason("vi", rebuilt, again) == row_reason("vi", result, by_number[row.number])


async def test_a_file_refused_as_a_whole_is_a_failed_run(cast: Cast, db: Database) -> None:
    with pytest.raises(ValidationError) as refused:
        await import_roster(db.uow(), cast.staff, png(), journal=Journaled(file_name="anh.xlsx"))
    [run] = await journal.runs(db.uow())
    assert run.status is RunStatus.failed and run.error_code == refused.value.code
    assert run.rows_done == 0


async def test_a_run_whose_process_died_is_interrupted_and_is_finished_by_its_job(
    cast: Cast, db: Database
) -> None:
    data = _list(12)
    entry = journal.new_run(
        cast.staff.label, None, "danh-sach.xlsx", data, origin={"chat": "x"}, queued=True
    )
    run_id = await journal.enqueue(db.uow(), entry)
    assert await journal.runnable(db.uow()) == [run_id]
    claimed = await journal.claim(db.uow(), run_id)
    assert claimed is not None and claimed.content == data
    assert await journal.claim(db.uow(), run_id) is None  # taken: nobody else runs it

    # The first attempt writes five rows (one batch each), then its process is killed.
    stop_after = 5

    def crash(done: int, total: int) -> None:
        if done > stop_after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await import_roster(
            db.uow(),
            cast.staff,
            data,
            journal=Journaled(run_id),
            batching=Batching(rows=1),
            progress=crash,
        )
    # As kill -9 leaves it: still "running", in a process that no longer exists.
    [run] = await journal.runs(db.uow())
    assert run.status is RunStatus.running
    async with db.uow() as uow:
        await uow.session.execute(
            update(ImportRun).where(ImportRun.id == run_id).values(pid=_dead_pid())
        )
        await uow.commit()
    [run] = await journal.runs(db.uow())
    assert run.status is RunStatus.interrupted
    # Exactly the rows written are in the journal.
    assert run.rows_done == stop_after == await _people(db)
    assert await journal.runnable(db.uow()) == [run_id]
    assert await journal.claim(db.uow(), run_id) is not None
    result = await import_roster(db.uow(), cast.staff, data, journal=Journaled(run_id))
    assert result.count(Outcome.created) == 12 and result.count(Outcome.error) == 0
    [run] = await journal.runs(db.uow())
    assert run.status is RunStatus.finished and run.rows_done == 12 == await _people(db)


# --- races -------------------------------------------------------------------------------------


async def test_two_imports_of_one_list_at_once_report_what_they_wrote(
    cast: Cast, db: Database
) -> None:
    data = _list(60)
    first, second = await asyncio.gather(
        *(import_roster(db.uow(), cast.staff, data, batching=Batching(rows=7)) for _ in range(2))
    )
    for result in (first, second):
        assert result.count(Outcome.error) == 0, [r.problems for r in result.rows if r.problems]
    assert first.count(Outcome.created) + second.count(Outcome.created) == 60
    assert first.count(Outcome.unchanged) + second.count(Outcome.unchanged) == 60
    assert await _people(db) == 60
    runs = await journal.runs(db.uow())
    assert sorted(sum(run.counts.values()) for run in runs) == [60, 60]


# --- a dry run in batches ----------------------------------------------------------------------


async def test_a_dry_run_in_batches_says_what_one_transaction_says(
    cast: Cast, db: Database
) -> None:
    batched = await import_roster(
        db.uow(), cast.staff, messy_xlsx(), dry_run=True, batching=Batching(rows=1)
    )
    assert _outcomes(batched) == MESSY_OUTCOMES
    assert {r.row.number: r.duplicate_of for r in batched.rows}[15] == 9
    assert await _people(db) == 0
    # A row that changes someone a row before it (rolled back in its batch) would create.
    twice = xlsx(
        [
            HEADER,
            (1, "Lào Cai", "Nguyễn Văn An", "", "", "0912 345 678", ""),
            (2, "Lào Cai", "Nguyễn Văn An", "Giám đốc", "", "0912 345 678", ""),
        ]
    )
    one = await import_roster(db.uow(), cast.staff, twice, dry_run=True)
    many = await import_roster(db.uow(), cast.staff, twice, dry_run=True, batching=Batching(rows=1))
    assert _outcomes(one) == _outcomes(many)


# --- a focal point learns nothing of other agencies -------------------------------------------


async def test_a_focal_points_dry_run_cannot_tell_a_number_held_elsewhere(
    cast: Cast, db: Database
) -> None:
    await people.register_person(
        db.uow(),
        SYSTEM,
        agency="Hà Nội",
        full_name="Trần Thị Bình",
        role="spokesperson",
        mobile="0912 345 679",
    )
    await people.register_person(
        db.uow(),
        SYSTEM,
        agency="Lào Cai",
        full_name="Lê Văn Cường",
        role="spokesperson",
        email="cuong@laocai.gov.vn",
    )

    def listing(mobile: str) -> bytes:
        return xlsx(
            [
                HEADER,
                (1, "Lào Cai", "Nguyễn Văn An", "", "", mobile, ""),
                (2, "Lào Cai", "Lê Văn Cường", "", "", mobile.replace("0912", "0913"), ""),
            ]
        )

    def seen(result: ImportResult) -> list[object]:
        return [
            (r.outcome, r.person_id, r.changed, r.problems, row_reason("vi", result, r))
            for r in result.rows
        ]

    held, free = "0912 345 679", "0912 345 600"
    await people.register_person(
        db.uow(),
        SYSTEM,
        agency="Hà Nội",
        full_name="Phạm Văn Dũng",
        role="spokesperson",
        mobile="0913 345 679",
    )
    used = await import_roster(db.uow(), cast.focal, listing(held), dry_run=True)
    unused = await import_roster(db.uow(), cast.focal, listing(free), dry_run=True)
    assert summary_lines("vi", used, file_name="a") == summary_lines("vi", unused, file_name="a")
    strip = [list(map(str, row))[:4] for row in seen(used)]
    assert strip == [list(map(str, row))[:4] for row in seen(unused)]
    assert [r.outcome for r in used.rows] == [Outcome.created, Outcome.updated]

    # A real run cannot write the held number: one neutral reason, nothing about the holder.
    real = await import_roster(db.uow(), cast.focal, listing(held))
    assert [r.outcome for r in real.rows] == [Outcome.error, Outcome.error]
    for row in real.rows:
        assert [p.code for p in row.problems] == ["import_review.mobile"]
        reason = row_reason("vi", real, row)
        assert "Hà Nội" not in reason and "Bình" not in reason and "Dũng" not in reason
    # Staff see the holder, as before.
    staff = await import_roster(db.uow(), cast.staff, listing(held), dry_run=True)
    assert staff.rows[0].outcome is not Outcome.created
