"""Notes beside a SQLite database naming the processes that write to it for long.

SQLite has one writer at a time. When a command waited the whole busy timeout for the lock, the
person needs to know who holds it: an import, or ``spokes serve``. SQLite cannot tell, so every
long writer leaves a small JSON note beside the database file while it runs,
``<db file>.writer-<pid>.json`` with its pid, command and start time, and removes it at exit.
One file per process: two long writers never overwrite each other's note. A note whose process
is gone (killed with ``kill -9``) is ignored and removed by the next reader.

PostgreSQL has no such file and needs none (``pg_stat_activity`` says who waits on what); the
functions do nothing for a URL that is not a SQLite file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

_SUFFIX = ".writer-"


@dataclass(frozen=True)
class Writer:
    """A process writing to the database for long."""

    pid: int
    command: str
    since: datetime


def database_file(url: str) -> Path | None:
    """The SQLite file of ``url``; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def _note(database: Path, pid: int) -> Path:
    return database.with_name(f"{database.name}{_SUFFIX}{pid}.json")


@contextlib.contextmanager
def writing(url: str, command: str) -> Iterator[None]:
    """Leave a note saying this process writes to ``url`` with ``command``, while in the block."""
    database = database_file(url)
    if database is None:
        yield
        return
    note: Path | None = _note(database, os.getpid())
    content = {"pid": os.getpid(), "command": command, "since": datetime.now(UTC).isoformat()}
    try:
        temporary = database.with_name(f"{database.name}{_SUFFIX}{os.getpid()}.tmp")
        temporary.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
        temporary.replace(_note(database, os.getpid()))
    except OSError:
        note = None  # a read-only folder: the work goes on without a note
    try:
        yield
    finally:
        if note is not None:
            with contextlib.suppress(OSError):
                note.unlink()


def current_writers(url: str) -> list[Writer]:
    """The long writers of ``url`` still running, oldest first; stale notes are removed."""
    database = database_file(url)
    if database is None:
        return []
    found: list[Writer] = []
    for note in database.parent.glob(f"{database.name}{_SUFFIX}*.json"):
        try:
            data = json.loads(note.read_text(encoding="utf-8"))
            writer = Writer(int(data["pid"]), str(data["command"]), _moment(data["since"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _alive(writer.pid):
            found.append(writer)
        else:
            with contextlib.suppress(OSError):
                note.unlink()
    return sorted(found, key=lambda writer: writer.since)


def _moment(text: object) -> datetime:
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True
