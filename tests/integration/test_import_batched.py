"""The batched import gives exactly what importing row by row through the use cases gave: the
same result for every row (outcome, person, fields changed, problems, notices, duplicates)
and the same stored people, search words and change log, on both backends, for real runs and
dry runs, staff and focal points, new lists and lists changing what is stored.

The row-by-row pipeline is still the importer's own (``_Run._slow``, which the batch falls
back to for what memory cannot decide); turning the in-memory decisions off gives it back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from registry.actors import Actor
from registry.models import ChangeLog, ImportRowResult, ImportRun, NameWord, Person, utcnow
from registry.people import register_person
from registry.roster.intake import importer
from registry.roster.intake.checks import Problem
from registry.roster.intake.importer import Batching, ImportResult, Journaled, import_roster
from registry.uow import Database, UnitOfWork
from tests.integration.conftest import Cast
from tests.roster_files import fixture, messy_xlsx, province_xlsx, xlsx

HEADER = ("STT", "Cơ quan, đơn vị", "Họ và tên", "Chức vụ", "Vai trò", "Điện thoại", "Email")


def _first() -> bytes:
    rows: list[tuple[object, ...]] = [HEADER]
    for index in range(60):
        agency = ("Lào Cai", "Hà Nội", "Bộ Tài chính")[index % 3]
        rows.append(
            (
                index + 1,
                agency,
                f"Nguyễn Văn {_word(index)}",
                "Chuyên viên",
                "",
                f"0912 {index:06d}",
                "",
            )
        )
    rows.append((61, "Lào Cai", "Nguyễn Văn " + _word(0), "Chuyên viên", "", "0912 000000", ""))
    rows.append((62, "Lào Cai", "Không Liên Lạc", "Chuyên viên", "", "", ""))
    rows.append((63, "Lào Cai", "Không Chức Vụ", "", "", "0912 555 555", ""))
    rows.append((64, "Lào Cai", "Ở Nước Ngoài", "", "", "+44 7700 900123", "ngoai@x.gov.vn"))
    rows.append((65, "Lào Cai", "Chỉ Có Email", "Văn thư", "", "", "chi@x.gov.vn"))
    return xlsx(rows)


def _second() -> bytes:
    """The list again, changed: positions, emails, office phones, a name with its accents, a
    mobile, an agency, people added, a duplicate saying something else, a mobile of another."""
    rows: list[tuple[object, ...]] = [HEADER]
    for index in range(70):
        agency = ("Lào Cai", "Hà Nội", "Bộ Tài chính")[index % 3]
        position = "Phó Chánh Văn phòng" if index % 4 == 0 else "Chuyên viên"
        email = f"n{index}@x.gov.vn" if index % 5 == 0 else ""
        phone = f"0912 {index:06d}"
        if index % 7 == 0:
            phone += "; (024) 3822 1234 máy lẻ 1" + str(index)
        name = f"Nguyễn Văn {_word(index)}"
        if index == 9:
            phone = "0913 999 999"  # a new mobile for the same person
        if index == 10:
            agency = "Hà Nội"  # moved (named again in the other agency)
        rows.append((index + 1, agency, name, position, "", phone, email))
    rows.append((71, "Lào Cai", "Nguyễn Văn " + _word(0), "Giám đốc", "", "0912 000000", ""))
    rows.append((72, "Hà Nội", "Trần Thị Mới", "Chuyên viên", "", "0912 000003", ""))
    return xlsx(rows)


def _word(index: int) -> str:
    letters = "abcdeghiklmnopqrstuvxy"
    return (letters[index // len(letters)] + letters[index % len(letters)]).capitalize()


AGENCIES = ("Lào Cai", "Hà Nội", "Bộ Tài chính")


def _listed(index: int) -> tuple[str, str, str]:
    """Person ``index`` of the lists below: agency, name (without accents, to be corrected),
    mobile."""
    return AGENCIES[index % 3], f"Tran Van {_word(index)}", f"0915 {index:06d}"


def _movers_first() -> bytes:
    """Eighty people, their names typed without accents."""
    rows: list[tuple[object, ...]] = [HEADER]
    for index in range(80):
        agency, name, mobile = _listed(index)
        rows.append((index + 1, agency, name, "Chuyên viên", "", mobile, ""))
    return xlsx(rows)


def _movers_second() -> bytes:
    """The list after a reorganisation: nearly every row moves someone, renames them or gives
    them a new mobile, and rows collide with each other, within a batch of 25 and across."""
    rows: list[tuple[object, ...]] = [HEADER]

    def add(agency: str, name: str, mobile: str, position: str = "Chuyên viên") -> None:
        rows.append((len(rows), agency, name, position, "", mobile, ""))

    person = _listed
    for index in range(0, 12):  # moved (found by mobile) or given a new mobile
        agency, name, mobile = person(index)
        if index % 3 == 1:
            agency = AGENCIES[(index + 1) % 3]
        else:
            mobile = f"0916 {index:06d}"
        if index % 4 == 2:
            name = f"Trần Văn {_word(index)}"  # the accents corrected (same folded name)
        add(agency, name, mobile)
    agency, name, _ = person(12)
    add(agency, name, "0916 000000")  # the mobile row 1 just took: a duplicate
    agency, name, mobile = person(13)
    add(agency, "Lê Thị Mới", mobile)  # renamed (found by mobile)
    add(agency, name, "0917 000013")  # the name it left: someone new
    add(agency, "Lê Thị Mới", mobile)  # the renamed person again: unchanged, a duplicate
    agency, name, mobile = person(16)
    add(agency, "Lê Thị Khác", mobile)  # renamed
    add(agency, name, mobile)  # the old name and the same mobile: says something else
    agency, _, mobile = person(17)
    add(agency, person(20)[1], mobile)  # renamed to the name of someone of the agency
    _, _, mobile = person(18)  # (Lào Cai)
    add("Hà Nội", "Phạm Văn Chuyển", mobile)  # moved, renamed: its name is new in Hà Nội
    _, name, mobile = person(21)  # (Lào Cai)
    add("Hà Nội", name, mobile)  # moved, the same name
    # Moved into an agency where the name exists: the row names Hà Nội's 25 with Lào Cai's
    # 24's mobile (a duplicate mobile); someone new takes 24's name in Hà Nội, and then 24 is
    # moved there under another name (its stored name is taken there: a duplicate name).
    _, name24, mobile24 = person(24)
    add("Hà Nội", person(25)[1], mobile24)
    add("Hà Nội", name24, "0917 000024")
    add("Hà Nội", "Phạm Văn Khác", mobile24)
    agency, name, _ = person(26)
    add(agency, name, person(27)[2])  # takes a mobile another holds: a duplicate
    agency, name, _ = person(27)
    add(agency, name, "0917 000027")  # frees it
    agency, name, _ = person(28)
    add(agency, name, person(27)[2])  # and takes it: in the same batch
    agency, name, _ = person(29)
    add(agency, name, "0917 000029")  # frees a mobile (in the second batch)
    add(AGENCIES[0], "Võ Thị Mới", "0918 000030")  # someone new
    agency, name, mobile = person(31)
    add(agency, "Đỗ Văn Đổi", mobile)  # renamed: frees the name
    add(agency, name, "0917 000031")  # someone new takes the name
    agency, name, _ = person(32)
    add(agency, name, "0917 000032")  # a new mobile...
    add(agency, name, "0917 000033")  # ... and another one for the same person: a duplicate
    agency, name, mobile = person(34)
    add(agency, name, person(35)[2])  # swap: takes 35's mobile (a duplicate)
    agency, name, _ = person(35)
    add(agency, name, mobile)  # and 35 takes 34's (a duplicate too)
    agency, name, mobile = person(36)
    add(AGENCIES[(36 + 1) % 3], name, mobile, "Giám đốc")  # moved, a new position
    add(AGENCIES[(36 + 2) % 3], name, mobile)  # moved again: says something else
    for index in range(37, 60):  # new mobiles, nearly a batch of them
        agency, name, _ = person(index)
        add(agency, name, f"0916 {index:06d}")
    for index in range(60, 66):  # later batches take mobiles freed by earlier ones
        agency, name, _ = person(index)
        add(agency, name, person(index - 23)[2])
    agency, name, _ = person(66)
    add(agency, name.replace("Tran", "Trần"), person(29)[2])  # freed two batches back
    add(AGENCIES[1], "Hồ Văn Mới", person(32)[2])  # freed by a new mobile: someone new
    return xlsx(rows)


FILES = {
    "messy": [messy_xlsx],
    "province": [lambda: province_xlsx()],
    "province.xls": [lambda: fixture("province.xls")],
    "changes": [_first, _second],
    "movers": [_movers_first, _movers_second],
}


def _row_view(result: ImportResult, ids: dict[int, int]) -> list[tuple[Any, ...]]:
    return [
        (
            row.row.number,
            row.outcome,
            ids.get(row.person_id, row.person_id) if row.person_id is not None else None,
            row.changed,
            tuple(_problem_view(problem, ids) for problem in row.problems),
            row.notices,
            row.duplicate_of,
        )
        for row in result.rows
    ]


def _problem_view(problem: Problem, ids: dict[int, int]) -> Problem:
    """A problem naming a person (a duplicate's holder) names them by their position, as rows
    do: PostgreSQL does not give ids again after the people are deleted. Someone not among
    ``ids`` was created by the list itself (by a dry run, under an id that is not kept: PostgreSQL
    does not give it again either)."""
    held = problem.params.get("person_id")
    if not isinstance(held, int):
        return problem
    shown = ("#", ids[held]) if held in ids else ("#", "new")
    return dataclasses.replace(problem, params={**problem.params, "person_id": shown})


async def _stored(db: Database, since: datetime) -> tuple[list[tuple[Any, ...]], dict[int, int]]:
    """The people as stored (ids aside: ordered by their first row), with their search words
    and change log, and whether the last list confirmed them (created or changed them); and
    their ids -> position, to compare the rows' person ids."""
    async with db.uow().reading() as uow:
        session = uow.session
        people = (await session.scalars(select(Person).order_by(Person.id))).all()
        words = (await session.execute(select(NameWord.person_id, NameWord.key))).all()
        log = (
            await session.execute(
                select(
                    ChangeLog.entity_id,
                    ChangeLog.actor,
                    ChangeLog.action,
                    ChangeLog.field,
                    ChangeLog.old_value,
                    ChangeLog.new_value,
                )
                .where(ChangeLog.entity == "person")
                .order_by(ChangeLog.id)
            )
        ).all()
        ids = {person.id: index for index, person in enumerate(people)}
        view = [
            (
                person.agency_id,
                person.full_name,
                person.name_key,
                person.position,
                person.role,
                person.mobile,
                person.office_phone,
                person.office_ext,
                person.email,
                person.note,
                person.status,
                person.source,
                person.version,
                person.confirmed_at >= since,
                sorted(key for owner, key in words if owner == person.id),
                [entry[1:] for entry in log if entry[0] == person.id],
            )
            for person in people
        ]
    return view, ids


async def _wipe(db: Database) -> None:
    async with db.uow() as uow:
        for model in (ImportRowResult, ImportRun, NameWord, ChangeLog, Person):
            await uow.session.execute(delete(model))
        await uow.commit()


async def _run(
    db: Database, actor: Actor, files: Sequence[bytes], *, dry_run: bool, agency: str | None
) -> tuple[list[list[tuple[Any, ...]]], list[tuple[Any, ...]]]:
    results = []
    since = utcnow()
    for data in files:
        since = utcnow()
        result = await import_roster(
            db.uow(),
            actor,
            data,
            dry_run=dry_run,
            agency=agency,
            journal=Journaled(file_name="ds.xlsx"),
            batching=Batching(rows=25),
        )
        results.append(result)
    stored, ids = await _stored(db, since)
    return [_row_view(result, ids) for result in results], stored


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("who", ["staff", "focal"])
@pytest.mark.parametrize("dry_run", [False, True], ids=["real", "dry"])
async def test_batched_and_row_by_row_imports_give_the_same_rows_and_records(
    cast: Cast,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    who: str,
    dry_run: bool,
) -> None:
    actor = cast.staff if who == "staff" else cast.focal
    agency = "Lào Cai" if who == "focal" else None
    files = [build() for build in FILES[name]]
    # A dry run is compared on a directory that has the first list already.
    before = files[:-1] if dry_run else []
    files = files[-1:] if dry_run else files

    async def scenario() -> tuple[list[list[tuple[Any, ...]]], list[tuple[Any, ...]]]:
        if before:
            await _run(db, actor, before, dry_run=False, agency=agency)
        return await _run(db, actor, files, dry_run=dry_run, agency=agency)

    batched = await scenario()
    await _wipe(db)
    with monkeypatch.context() as patched:
        patched.setattr(importer._Run, "_fast", lambda *args: None)
        row_by_row = await scenario()
    assert batched[0] == row_by_row[0]
    assert batched[1] == row_by_row[1]
    assert any(batched[0])  # the files did give rows


async def test_a_dry_run_leaves_sqlites_write_lock_to_others(cast: Cast, db: Database) -> None:
    """While a dry run works, another process can write at once (the lock is never held)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write lock of one file is SQLite's")
    import sqlite3

    path = db.engine.url.database
    assert path is not None
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    tried: list[bool] = []

    def write_meanwhile(done: int, total: int) -> None:
        other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the import held it
        other.execute("ROLLBACK")
        tried.append(True)

    try:
        result = await import_roster(
            db.uow(), cast.staff, _first(), dry_run=True, progress=write_meanwhile
        )
    finally:
        other.close()
    assert len(tried) == len(result.rows) and result.count(importer.Outcome.created) > 60


async def test_a_dry_run_of_moves_leaves_sqlites_write_lock_to_others(
    cast: Cast, db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A list of moves, renames and new mobiles, which memory cannot decide, is run in a
    sandbox: meanwhile another process writes to the database at once, every time the dry run
    shows its progress, and the progress never goes back. The sandbox's copy is deleted."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write lock of one file is SQLite's")
    import sqlite3
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    await import_roster(db.uow(), cast.staff, _movers_first())
    entered: list[bool] = []
    sandbox = importer.sandbox

    def spied(engine: Any) -> Any:
        entered.append(True)
        return sandbox(engine)

    monkeypatch.setattr(importer, "sandbox", spied)
    path = db.engine.url.database
    assert path is not None
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    shown: list[int] = []
    copies: set[str] = set()

    def write_meanwhile(done: int, total: int) -> None:
        other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the import held it
        other.execute("UPDATE agency SET name = name WHERE id = (SELECT min(id) FROM agency)")
        other.execute("COMMIT")
        shown.append(done)
        copies.update(path.name for path in scratch.iterdir())

    try:
        result = await import_roster(
            db.uow(),
            cast.staff,
            _movers_second(),
            dry_run=True,
            progress=write_meanwhile,
            batching=Batching(rows=25),
        )
    finally:
        other.close()
    assert entered == [True]
    assert [name for name in copies if name.startswith("spokes-dry-run-")]
    assert list(scratch.iterdir()) == []
    assert shown == list(range(1, len(result.rows) + 1))
    assert result.dry_run and result.count(importer.Outcome.updated) > 40


@pytest.mark.parametrize("name", ["movers", "changes"])
async def test_a_dry_run_of_moves_leaves_nothing_written(
    cast: Cast, db: Database, name: str
) -> None:
    """Whether memory decides the list or the sandbox does, a dry run writes nothing: no one
    created or changed, no search words, no change log, no journal; and it shows no id for the
    people it would create."""
    first, second = (build() for build in FILES[name])
    await import_roster(db.uow(), cast.staff, first)
    since = utcnow()
    before = await _stored(db, since)
    result = await import_roster(
        db.uow(), cast.staff, second, dry_run=True, batching=Batching(rows=25)
    )
    assert await _stored(db, since) == before
    async with db.uow().reading() as uow:
        runs = list(await uow.session.scalars(select(ImportRun.id)))
    assert len(runs) == 1  # the first list's
    created = [row for row in result.rows if row.outcome is importer.Outcome.created]
    assert created and all(row.person_id is None for row in created)
    assert result.count(importer.Outcome.updated) > 10


Imported = tuple[list[list[tuple[Any, ...]]], list[tuple[Any, ...]]]


async def _with_and_without_a_race(
    db: Database,
    cast: Cast,
    monkeypatch: pytest.MonkeyPatch,
    data: bytes,
    other_writer: Callable[[UnitOfWork], Awaitable[None]],
    *,
    when: Callable[[importer._Run], bool],
    first: bytes | None = None,
) -> tuple[Imported, Imported]:
    """``data`` imported (after ``first``, if given) twice on the same directory: in batches,
    ``other_writer`` writing in the batch's own transaction just before the first write of a
    batch ``when`` says (a race the batch loses); then, on a wiped directory, row by row with
    the other writer first. The rows and records of each."""
    flush = importer._Run.flush
    raced: list[bool] = []

    async def racing_flush(self: importer._Run) -> None:
        if when(self) and not raced:
            raced.append(True)
            await other_writer(self.uow)
        await flush(self)

    async def scenario(race: bool) -> Imported:
        if first is not None:
            await import_roster(db.uow(), cast.staff, first)
        if not race:
            await other_writer(db.uow())
        return await _run(db, cast.staff, [data], dry_run=False, agency=None)

    with monkeypatch.context() as patched:
        patched.setattr(importer._Run, "flush", racing_flush)
        batched = await scenario(race=True)
    assert raced
    await _wipe(db)
    with monkeypatch.context() as patched:
        patched.setattr(importer._Run, "_fast", lambda *args: None)
        row_by_row = await scenario(race=False)
    return batched, row_by_row


async def test_rows_of_a_batch_that_lost_a_race_point_at_the_winners_record(
    cast: Cast, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer registers one of a batch's new people just before the batch writes them:
    the batch's INSERT fails and its rows are redone. The rows that named that person again (the
    same, and saying something else) come out as if the other writer had been first, exactly
    as row by row, pointing at the other's record, never at the batch's own id for it."""
    data = xlsx(
        [
            HEADER,
            (1, "Lào Cai", "Nguyễn Văn Đua", "Chuyên viên", "", "0912 777 001", ""),
            (2, "Lào Cai", "Trần Thị Khác", "Chuyên viên", "", "0912 777 002", ""),
            (3, "Lào Cai", "Nguyễn Văn Đua", "Chuyên viên", "", "0912 777 001", ""),
            (4, "Lào Cai", "Nguyễn Văn Đua", "Giám đốc", "", "0912 777 001", ""),
        ]
    )

    async def other_writer(uow: UnitOfWork) -> None:
        await register_person(
            uow,
            cast.staff,
            agency="Lào Cai",
            full_name="Nguyễn Văn Đua",
            role="press_contact",
            position="Chuyên viên",
            mobile="0912777001",
            source="import",
        )

    batched, row_by_row = await _with_and_without_a_race(
        db, cast, monkeypatch, data, other_writer, when=lambda run: bool(run._new)
    )
    assert batched[0] == row_by_row[0]
    # (Whether the last list confirmed them aside: the other writer wrote during it, or before.)
    assert [p[:13] + p[14:] for p in batched[1]] == [p[:13] + p[14:] for p in row_by_row[1]]
    outcomes = [(row[1].value, row[2], row[6]) for row in batched[0][0]]
    assert outcomes == [
        ("unchanged", 0, None),
        ("created", 1, None),
        ("unchanged", 0, 2),
        ("error", None, None),
    ]


def _moves() -> bytes:
    """Rows that move, rename and renumber people created or changed by earlier rows (in
    earlier batches of two rows), and name them again."""
    return xlsx(
        [
            HEADER,
            (1, "Lào Cai", "Nguyễn Văn Một", "Chuyên viên", "", "0912 888 001", ""),
            (2, "Lào Cai", "Trần Thị Hai", "Chuyên viên", "", "0912 888 002", "hai@x.gov.vn"),
            (3, "Lào Cai", "Nguyễn Văn Mốt", "Chuyên viên", "", "0912 888 001", ""),  # renamed
            (4, "Hà Nội", "Trần Thị Hai", "Chuyên viên", "", "0912 888 002", ""),  # moved
            (5, "Hà Nội", "Trần Thị Hai", "Giám đốc", "", "0912 888 003", ""),  # new mobile
            (6, "Lào Cai", "Nguyễn Văn Mốt", "Chuyên viên", "", "0912 888 001", ""),  # again
            (7, "Lào Cai", "Nguyễn Văn Một", "Chuyên viên", "", "0912 888 009", ""),
            (8, "Hà Nội", "Trần Thị Hai", "Giám đốc", "", "0912 888 003", ""),  # again
            (9, "Lào Cai", "Lê Văn Ba", "Chuyên viên", "", "0912 888 002", ""),  # freed mobile
        ]
    )


@pytest.mark.parametrize("rows", [2, 25])
@pytest.mark.parametrize("name", ["moves", "changes", "movers"])
async def test_a_dry_run_reports_what_the_real_run_does(
    cast: Cast, db: Database, rows: int, name: str
) -> None:
    """The dry run's rows are the real run's, row by row (but for the ids of people created,
    who will not exist), whatever earlier batches of the dry run created, moved or renamed."""
    files = [_moves] if name == "moves" else FILES[name]
    datas = [build() for build in files]
    before, data = datas[:-1], datas[-1]

    async def run(dry_run: bool) -> list[tuple[Any, ...]]:
        for earlier in before:
            await import_roster(db.uow(), cast.staff, earlier)
        async with db.uow().reading() as uow:
            earlier_ids = list(await uow.session.scalars(select(Person.id)))
        result = await import_roster(
            db.uow(), cast.staff, data, dry_run=dry_run, batching=Batching(rows=rows)
        )
        created = {r.person_id for r in result.rows if r.outcome is importer.Outcome.created}
        # The people of the earlier lists by their order (ids differ from one run to the other).
        order = {person_id: index for index, person_id in enumerate(sorted(earlier_ids))}
        return [
            (
                row.row.number,
                row.outcome,
                None if row.person_id in created else order.get(row.person_id, row.person_id),
                row.changed,
                tuple(_problem_view(problem, order) for problem in row.problems),
                row.notices,
                row.duplicate_of,
            )
            for row in result.rows
        ]

    dry = await run(dry_run=True)
    await _wipe(db)
    real = await run(dry_run=False)
    assert dry == real


async def test_moves_are_decided_in_memory(
    cast: Cast, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list of moves, renames and new mobiles goes through the use cases only for the rows
    the batch cannot tell: someone new taking a name a move left (two rows), a move into an
    agency where someone the batch has not written yet holds the name, a move and a rename at
    once (the name between the two was not fetched)."""
    await import_roster(db.uow(), cast.staff, _movers_first())
    slow = importer._Run._slow
    through: list[int] = []

    async def counted(self: importer._Run, row: Any, *args: Any) -> Any:
        through.append(row.number)
        return await slow(self, row, *args)

    monkeypatch.setattr(importer._Run, "_slow", counted)
    result = await import_roster(db.uow(), cast.staff, _movers_second(), batching=Batching(rows=25))
    assert result.count(importer.Outcome.updated) > 40
    assert len(through) == 4, through


async def test_updates_of_a_batch_that_lost_a_race_are_redone_row_by_row(
    cast: Cast, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer takes a mobile a batch gives someone, just before the batch writes its
    updates: the UPDATE fails on the unique index, and each of the batch's updates (and each
    row decided on them) goes through the use cases, as if the other writer had been first."""
    first = xlsx(
        [
            HEADER,
            (1, "Lào Cai", "Nguyễn Văn Một", "Chuyên viên", "", "0912 666 001", ""),
            (2, "Lào Cai", "Trần Thị Hai", "Chuyên viên", "", "0912 666 002", ""),
        ]
    )
    data = xlsx(
        [
            HEADER,
            (1, "Lào Cai", "Nguyễn Văn Một", "Giám đốc", "", "0912 666 101", ""),  # new mobile
            (2, "Hà Nội", "Trần Thị Hai", "Chuyên viên", "", "0912 666 002", ""),  # moved
            (3, "Lào Cai", "Nguyễn Văn Một", "Giám đốc", "", "0912 666 101", ""),  # again
            (4, "Lào Cai", "Lê Văn Ba", "Chuyên viên", "", "0912 666 001", ""),  # freed mobile
        ]
    )

    async def other_writer(uow: UnitOfWork) -> None:
        await register_person(
            uow,
            cast.staff,
            agency="Bộ Tài chính",
            full_name="Phạm Văn Khác",
            role="press_contact",
            mobile="0912666101",
            source="import",
        )

    batched, row_by_row = await _with_and_without_a_race(
        db, cast, monkeypatch, data, other_writer, when=lambda run: bool(run._updates), first=first
    )
    assert batched[0] == row_by_row[0]
    assert [p[:13] + p[14:] for p in batched[1]] == [p[:13] + p[14:] for p in row_by_row[1]]
    outcomes = [(row[1].value, row[3]) for row in batched[0][0]]
    assert outcomes[0][0] == "error" and outcomes[1] == ("updated", ("agency",))
