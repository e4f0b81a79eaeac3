"""A long writer does not stop the others: reads never take SQLite's write lock, a database
error never shows a person's values, and a command kept waiting gets one line saying who
writes (on PostgreSQL: that a lock is held)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.cli import runtime
from registry import directory, people
from registry.db import schema_state
from registry.settings import get_settings
from registry.uow import Database
from registry.writers import current_writers, writing
from tests.integration.conftest import SYSTEM


@pytest.fixture
def sqlite_file(backend: str, database_url: str) -> Path:
    if backend != "sqlite":
        pytest.skip("the write lock of one file is SQLite's")
    database = make_url(database_url).database
    assert database is not None
    return Path(database)


@pytest.fixture
def held(sqlite_file: Path) -> Iterator[sqlite3.Connection]:
    """Another process's writer: the write lock taken and a write not yet committed."""
    connection = sqlite3.connect(sqlite_file, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("UPDATE agency SET short_name = short_name")
    try:
        yield connection
    finally:
        connection.rollback()
        connection.close()


@pytest.fixture
def settings_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def use(url: str, busy_timeout_ms: int = 200) -> None:
        monkeypatch.setenv("SPOKES_DATABASE_URL", url)
        monkeypatch.setenv("SPOKES_SQLITE_BUSY_TIMEOUT_MS", str(busy_timeout_ms))
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


async def test_the_schema_check_and_listings_read_while_another_process_writes(
    loaded: Database, database_url: str, held: sqlite3.Connection
) -> None:
    # A short busy timeout: a reader that took the write lock would fail at once.
    impatient = Database(database_url, busy_timeout_ms=100)
    try:
        assert (await schema_state(impatient.engine)).up_to_date
        assert await directory.list_people(impatient.uow(), SYSTEM) == []
        assert (await directory.find_people(impatient.uow(), SYSTEM, "an")).items == []
        assert (await directory.statistics(impatient.uow(), SYSTEM)).to_dict()
        with pytest.raises(DBAPIError, match="database is locked"):
            await people.register_person(
                impatient.uow(), SYSTEM, agency="lao cai", full_name="Nguyễn Văn An",
                role="spokesperson", mobile="0912 345 678", source="cli",
            )  # fmt: skip
    finally:
        await impatient.dispose()


def test_a_writer_kept_waiting_is_told_who_writes_in_one_line(
    loaded: Database, database_url: str, held: sqlite3.Connection, settings_for: object
) -> None:
    settings_for(database_url)  # type: ignore[operator]
    runtime.set_language("vi")

    async def add(database: Database) -> object:
        return await people.register_person(
            database.uow(), SYSTEM, agency="lao cai", full_name="Nguyễn Văn An",
            role="spokesperson", mobile="0912 345 678", source="cli",
        )  # fmt: skip

    with pytest.raises(DBAPIError) as caught:
        runtime.run(add)
    line = runtime.busy_text(caught.value)
    assert line == runtime.say("cli.busy.sqlite", seconds="0.2")
    assert "\n" not in line
    # A long writer leaves its note: the message names it.
    with writing(database_url, "spokes import danh-sach.xlsx"), pytest.raises(DBAPIError) as caught:
        runtime.run(add)
    # (the note is this very process's: a process never names itself)
    assert runtime.busy_text(caught.value) == runtime.say("cli.busy.sqlite", seconds="0.2")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _note_for(database_url, other.pid, "spokes import danh-sach.xlsx")
        line = runtime.busy_text(caught.value)
        assert line is not None
        assert "(spokes import danh-sach.xlsx, tiến trình" in line and str(other.pid) in line
        runtime.set_language("en")
        line = runtime.busy_text(caught.value)
        assert line is not None and line.startswith("The database is busy: another process")
    finally:
        other.kill()
        other.wait()
    # Its process gone (kill -9), the note is ignored and removed.
    assert current_writers(database_url) == []
    assert runtime.busy_text(caught.value) == runtime.say("cli.busy.sqlite", seconds="0.2")
    assert runtime.busy_text(ValueError("database is locked")) is None


def _note_for(url: str, pid: int, command: str) -> None:
    """The note ``pid`` would leave with ``writing``."""
    database = Path(make_url(url).database or "").resolve()
    note = database.with_name(f"{database.name}.writer-{pid}.json")
    since = datetime(2026, 11, 29, 3, 15, tzinfo=UTC).isoformat()
    note.write_text(f'{{"pid": {pid}, "command": "{command}", "since": "{since}"}}')


def test_a_long_command_leaves_its_note_while_it_runs_and_removes_it(
    tmp_path: Path, settings_for: object
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'spokes.db'}"
    settings_for(url)  # type: ignore[operator]

    async def work(database: Database) -> list[tuple[int, str]]:
        return [(w.pid, w.command) for w in current_writers(database.url)]

    assert runtime.run(work, writer="spokes serve") == [(os.getpid(), "spokes serve")]
    assert runtime.run(work) == []
    assert list(tmp_path.glob("*.writer-*")) == []
    assert current_writers("postgresql+asyncpg://x@h/db") == []


async def test_a_database_error_shows_the_sql_never_a_persons_values(loaded: Database) -> None:
    await people.register_person(
        loaded.uow(), SYSTEM, agency="lao cai", full_name="Nguyễn Văn Bình",
        role="spokesperson", mobile="0912 345 678", source="cli",
    )  # fmt: skip
    with pytest.raises(DBAPIError) as caught:
        async with loaded.engine.begin() as connection:
            await connection.execute(
                text("UPDATE person SET mobile = :mobile WHERE full_name = :name"),
                {"mobile": "+84912345678", "name": "Nguyễn Văn Bình"},
            )
            await connection.execute(
                text("INSERT INTO person (id, full_name) VALUES (:id, :name)"),
                {"id": 1, "name": "Nguyễn Văn Bình"},
            )
    message = str(caught.value)
    assert "INSERT INTO person" in message
    assert "Bình" not in message and "hide_parameters=True" in message


async def test_a_lock_timeout_on_postgresql_is_one_line(
    loaded: Database, backend: str, database_url: str
) -> None:
    if backend != "postgres":
        pytest.skip("lock_timeout is PostgreSQL's")
    await people.register_person(
        loaded.uow(), SYSTEM, agency="lao cai", full_name="Nguyễn Văn Bình",
        role="spokesperson", mobile="0912 345 678", source="cli",
    )  # fmt: skip
    second = Database(database_url)
    try:
        async with loaded.engine.begin() as holder:
            await holder.execute(text("UPDATE person SET note = 'a'"))
            with pytest.raises(DBAPIError) as caught:
                async with second.engine.begin() as waiter:
                    await waiter.execute(text("SET LOCAL lock_timeout = '100ms'"))
                    await waiter.execute(text("UPDATE person SET note = 'b'"))
    finally:
        await second.dispose()
    runtime.set_language("en")
    assert runtime.busy_text(caught.value) == runtime.say("cli.busy.postgres")
