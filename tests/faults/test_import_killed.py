"""``kill -9`` of ``spokes import`` in the middle of a long list, on SQLite and PostgreSQL.

The import commits as it goes (short batches, so the bot keeps answering meanwhile), so a kill
leaves part of the list written. What is written must be whole: every person in the database
is one row of the list with all its fields, their search words and the trace of their creation
in the change log; none is half written. Importing the list again completes it without
touching what was there, and a third import changes nothing at all.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry import catalog
from registry.actors import Actor
from registry.models import Agency, ChangeLog, NameWord, Person
from registry.uow import Database
from tests.e2e.cli_runner import SCRIPT, Spokes, needs_script
from tests.faults.lists import list_csv, people

pytestmark = needs_script
ROWS = 1500  # batches of 500 rows or a second: it is killed after its first commit


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {outcome: number for outcome, number in counts.items() if number}


async def count(db: Database, model: type) -> int:
    async with db.uow().reading() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def stored(db: Database) -> dict[str, tuple[object, ...]]:
    """Every person as (agency, position, mobile, email, name words, change log rows of the
    creation)."""
    async with db.uow().reading() as uow:
        words = dict(
            (await uow.session.execute(
                select(NameWord.person_id, func.count()).group_by(NameWord.person_id)
            )).all()
        )  # fmt: skip
        traces = dict(
            (await uow.session.execute(
                select(ChangeLog.entity_id, func.count())
                .where(ChangeLog.entity == "person", ChangeLog.action == "create")
                .group_by(ChangeLog.entity_id)
            )).all()
        )  # fmt: skip
        rows = await uow.session.execute(
            select(Person.id, Person.full_name, Agency.name, Person.position, Person.mobile,
                   Person.email).join(Agency, Person.agency_id == Agency.id)
        )  # fmt: skip
        return {
            name: (agency, position, mobile, email, words.get(id_, 0), traces.get(id_, 0))
            for id_, name, agency, position, mobile, email in rows
        }


async def killed_in_the_middle(spokes: Spokes, db: Database) -> None:
    """Start the import, and kill it once some of it is written and before it ends."""
    assert SCRIPT is not None
    command = [SCRIPT, "import", "danh-sach.csv"]
    env = {"SPOKES_DATABASE_URL": spokes.url, "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(  # noqa: ASYNC220 (killed from this loop, not awaited)
        command, cwd=spokes.directory, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        async with asyncio.timeout(60):
            while await count(db, Person) == 0:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                await asyncio.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL


@pytest.fixture
async def listed(db: Database) -> Database:
    await catalog.load_edition(db.uow(), Actor.system("test"), "2025")
    return db


async def test_an_import_killed_in_the_middle_leaves_whole_rows_and_a_clean_reimport(
    listed: Database, tmp_path: Path
) -> None:
    db = listed
    rows = people(ROWS)
    (tmp_path / "danh-sach.csv").write_bytes(list_csv(rows))
    spokes = Spokes(tmp_path, db.url)
    expected = {r.full_name: (r.agency, r.position, r.mobile, r.email) for r in rows}

    await killed_in_the_middle(spokes, db)
    written = await stored(db)
    assert 0 < len(written) < ROWS, "the import was not killed in the middle"
    for name, (agency, position, mobile, email, *_) in written.items():
        assert (agency, position, mobile, email) == expected[name], name

    again = spokes.json("import", "danh-sach.csv", "--json")
    assert nonzero(again["counts"]) == {"created": ROWS - len(written), "unchanged": len(written)}
    complete = await stored(db)
    assert {name: fields[:4] for name, fields in complete.items()} == expected
    # Every person has the same search words and creation trace, whichever import wrote them.
    [(words, traces)] = {fields[4:] for fields in complete.values()}
    assert words > 0 and traces > 0
    assert {name: complete[name] for name in written} == written

    log_before = await count(db, ChangeLog)
    third = spokes.json("import", "danh-sach.csv", "--json")
    assert nonzero(third["counts"]) == {"unchanged": ROWS}
    assert await stored(db) == complete
    assert await count(db, ChangeLog) == log_before


async def test_an_import_killed_in_the_middle_leaves_a_report_of_what_it_wrote(
    listed: Database, tmp_path: Path
) -> None:
    db = listed
    rows = people(ROWS)
    (tmp_path / "danh-sach.csv").write_bytes(list_csv(rows))
    spokes = Spokes(tmp_path, db.url)
    await killed_in_the_middle(spokes, db)
    written = await stored(db)
    assert 0 < len(written) < ROWS
    # The journal tells what the killed import wrote: as many people created as are there,
    # the import marked as interrupted, not as finished.
    [journal] = spokes.json("imports", "list", "--json")
    report = spokes.json("imports", "show", str(journal["id"]), "--json")
    assert report["status"] == "interrupted" and report["finished_at"] is None
    assert report["counts"].get("created") == len(written)
    created = {row["person_id"] for row in report["report"]["rows"] if row["outcome"] == "created"}
    async with db.uow().reading() as uow:
        names = set(
            (
                await uow.session.scalars(select(Person.full_name).where(Person.id.in_(created)))
            ).all()
        )
    assert names == set(written)
