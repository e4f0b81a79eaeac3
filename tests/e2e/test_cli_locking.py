"""The installed ``spokes`` on one SQLite file from many processes: listings answer while
another process writes, parallel writers all get their turn, and one kept waiting past the
busy timeout says in one line who is writing."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.texts import t
from tests.e2e.cli_runner import Spokes, needs_script, ok, refused, sqlite_url

pytestmark = needs_script
BUSY = 75
ADD = ("people", "add", "--agency", "lao cai", "--role", "press_contact")
NAMES = ["An", "Bình", "Cường", "Dung", "Giang", "Hải", "Khánh", "Lan", "Minh", "Nga", "Phúc"]


@pytest.fixture(scope="module")
def catalog_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("catalog")
    ok(Spokes(directory, sqlite_url(directory))("agencies", "load", "--edition", "2025"))
    return directory


@pytest.fixture
def spokes(catalog_db: Path, tmp_path: Path) -> Spokes:
    for path in catalog_db.glob("spokes.db*"):
        shutil.copy2(path, tmp_path / path.name)
    return Spokes(tmp_path, sqlite_url(tmp_path), env={"SPOKES_SQLITE_BUSY_TIMEOUT_MS": "300"})


@pytest.fixture
def writer(spokes: Spokes) -> Iterator[sqlite3.Connection]:
    """Another process holding the write lock with a write not yet committed."""
    connection = sqlite3.connect(spokes.directory / "spokes.db", isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("UPDATE agency SET short_name = short_name")
    yield connection
    connection.rollback()
    connection.close()


def add(spokes: Spokes, name: str, mobile: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return spokes(
        *extra, "people", "add", "--agency", "lao cai", "--name", f"Nguyễn Văn {name}",
        "--role", "spokesperson", "--mobile", mobile,
    )  # fmt: skip


def test_listings_answer_while_another_process_writes(
    spokes: Spokes, writer: sqlite3.Connection
) -> None:
    assert spokes.json("people", "list", "--json") == []
    ok(spokes("people", "find", "nguyen"))
    ok(spokes("stats"))
    ok(spokes("missing"))
    ok(spokes("agencies", "list"))


def test_a_writer_kept_waiting_says_in_one_line_who_writes(
    spokes: Spokes, writer: sqlite3.Connection
) -> None:
    line = refused(add(spokes, "An", "0912 345 678"), code=BUSY)
    assert line == t("vi", "cli.busy.sqlite", seconds="0.3")
    # A long writer (an import, the server) leaves a note beside the database.
    importer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    note = spokes.directory / f"spokes.db.writer-{importer.pid}.json"
    note.write_text(
        json.dumps(
            {"pid": importer.pid, "command": "spokes import ds.xlsx", "since": "2026-11-29T03:15"}
        )
    )
    try:
        line = refused(add(spokes, "An", "0912 345 678"), code=BUSY)
        assert line == t(
            "vi", "cli.busy.sqlite_writer", command="spokes import ds.xlsx",
            pid=importer.pid, since="10:15 29/11/2026", seconds="0.3",
        )  # fmt: skip
        english = refused(add(spokes, "An", "0912 345 678", "--lang", "en"), code=BUSY)
        assert english.startswith("The database is busy: another process is writing to it")
    finally:
        importer.kill()
        importer.wait()
    # Killed, its note is stale: ignored and removed.
    line = refused(add(spokes, "An", "0912 345 678"), code=BUSY)
    assert line == t("vi", "cli.busy.sqlite", seconds="0.3")
    assert not note.exists()
    writer.rollback()
    ok(add(spokes, "An", "0912 345 678"))


def test_parallel_writers_all_get_their_turn(spokes: Spokes) -> None:
    patient = Spokes(spokes.directory, spokes.url)  # the default busy timeout
    running = [
        patient.start(*ADD, "--name", f"Trần Thị {name}", "--mobile", f"0912 345 6{number:02d}")
        for number, name in enumerate(NAMES)
    ]
    results = [(process.wait(timeout=300), process.communicate()[1]) for process in running]
    assert [code for code, _ in results] == [0] * len(NAMES), results
    assert len(patient.json("people", "list", "--json")) == len(NAMES)
