"""Engine creation for SQLite and PostgreSQL, and schema migrations with Alembic.

SQLite gets WAL, foreign keys, ``synchronous=NORMAL`` and a busy timeout. Every SQLite
transaction that may write starts with ``BEGIN IMMEDIATE``: the Python driver would otherwise
begin only at the first write, so a read-then-write use case could act on a snapshot that
another process has already changed. With IMMEDIATE, writers queue on the lock (bounded by the
busy timeout) and read the latest committed data. Read-only units of work (``uow.reading()``)
start a plain ``BEGIN`` and never wait for writers (WAL); so does the schema check every
command runs first, so a listing answers while an import writes.

Both engines are made with ``hide_parameters=True``: a database error that reaches a log shows
the SQL, never the values bound to it (a person's name, phone or email).

Alembic takes a noticeable time to import, and every command checks the schema first: the check
compares the revision stored in ``alembic_version`` with the newest revision id written in the
migration files (read as text), and only a database that is behind (or a chain of migrations
the text does not make plain) brings Alembic in.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from alembic.config import Config

# Execution option marking a transaction that only reads (a deferred BEGIN on SQLite).
READ_ONLY = "spokes_read_only"


def create_engine(url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_timeout_ms, echo)
    # The models' PostgreSQL-only options are named here, where that dialect is loaded anyway.
    from registry.models import name_postgresql_predicates

    name_postgresql_predicates()
    return create_async_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True)


def _sqlite_engine(url: str, busy_timeout_ms: int, echo: bool) -> AsyncEngine:
    engine = create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        connect_args={"timeout": busy_timeout_ms / 1000},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (the "begin" hook below) decide when transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # 16 MB of page cache instead of 2 MB: the search indexes of a large directory fit.
        cursor.execute("PRAGMA cache_size=-16000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration pointing at the installed ``migrations`` package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("migrations")))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


# ``revision = "0008"`` and ``down_revision = "0007"`` (or None, or a tuple for a merge) as
# Alembic writes them at the top of a revision file.
_REVISION = re.compile(r"^revision\b[^=\n]*=\s*([^\n]+)$", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=\n]*=\s*([^\n]+)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


@functools.cache
def code_head() -> str | None:
    """The newest revision of the migration files, read from their text without Alembic; None
    when the text does not name exactly one head (Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for entry in files("migrations").joinpath("versions").iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("__"):
            continue
        source = entry.read_text(encoding="utf-8")
        revision = _REVISION.search(source)
        down = _DOWN_REVISION.search(source)
        names = _QUOTED.findall(revision.group(1)) if revision else []
        if len(names) != 1 or down is None:
            return None
        revisions.add(names[0])
        parents.update(_QUOTED.findall(down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stored_revision(connection: Connection) -> str | None:
    """The revision in ``alembic_version``; None for a database never migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def _quick_state(connection: Connection) -> SchemaState:
    """The state without Alembic when the database is at the files' head (the usual case)."""
    head = code_head()
    if head is not None:
        current = stored_revision(connection)
        if current == head:
            return SchemaState(current=current, head=head)
    return _schema_state(connection)


def _schema_state(connection: Connection) -> SchemaState:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    current = MigrationContext.configure(connection).get_current_revision()
    head = script.get_current_head()
    assert head is not None, "the migrations package has no revision"
    return SchemaState(current=current, head=head)


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    # env.py uses this connection instead of opening its own (we are inside an event loop).
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _downgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def schema_state(engine: AsyncEngine) -> SchemaState:
    """The schema's revision and the code's, read without taking SQLite's write lock."""
    async with engine.connect() as connection:
        await connection.execution_options(**{READ_ONLY: True})
        return await connection.run_sync(_quick_state)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> SchemaState:
    """Bring the schema to ``revision``; returns the state before the upgrade."""
    async with engine.begin() as connection:
        before = await connection.run_sync(_quick_state)
        if revision != "head" or not before.up_to_date:
            await connection.run_sync(_upgrade, revision)
    return before


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, revision)
