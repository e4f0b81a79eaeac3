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
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# Execution option marking a transaction that only reads (a deferred BEGIN on SQLite).
READ_ONLY = "spokes_read_only"


def create_engine(url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_timeout_ms, echo)
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


def _schema_state(connection: Connection) -> SchemaState:
    script = ScriptDirectory.from_config(alembic_config())
    current = MigrationContext.configure(connection).get_current_revision()
    head = script.get_current_head()
    assert head is not None, "the migrations package has no revision"
    return SchemaState(current=current, head=head)


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    # env.py uses this connection instead of opening its own (we are inside an event loop).
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def schema_state(engine: AsyncEngine) -> SchemaState:
    """The schema's revision and the code's, read without taking SQLite's write lock."""
    async with engine.connect() as connection:
        await connection.execution_options(**{READ_ONLY: True})
        return await connection.run_sync(_schema_state)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> SchemaState:
    """Bring the schema to ``revision``; returns the state before the upgrade."""
    async with engine.begin() as connection:
        before = await connection.run_sync(_schema_state)
        await connection.run_sync(_upgrade, revision)
    return before


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, revision)
