"""Databases for the tests: SQLite always, PostgreSQL when SPOKES_TEST_POSTGRES_URL is set.

The schema is created by the real Alembic migrations. SQLite gets a fresh file per test (copied
from a migrated template); PostgreSQL gets one scratch database per test session, emptied
between tests, and dropped at the end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import bot.state.models  # noqa: F401  (the chat tables, on the registry's metadata)
from registry.db import upgrade
from registry.models import Base
from registry.uow import Database

POSTGRES_URL = os.environ.get("SPOKES_TEST_POSTGRES_URL")
if os.environ.get("SPOKES_TEST_REQUIRE_POSTGRES") and not POSTGRES_URL:
    raise RuntimeError("SPOKES_TEST_REQUIRE_POSTGRES is set but SPOKES_TEST_POSTGRES_URL is not")

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(not POSTGRES_URL, reason="SPOKES_TEST_POSTGRES_URL is not set"),
    ),
]


async def _create_database(server_url: str, name: str) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


async def _drop_database(server_url: str, name: str) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


def scratch_postgres_url() -> str:
    """A URL for a new, empty PostgreSQL database on the test server (created by the caller)."""
    assert POSTGRES_URL
    return (
        make_url(POSTGRES_URL)
        .set(database=f"spokes_test_{uuid.uuid4().hex[:10]}")
        .render_as_string(hide_password=False)
    )


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await upgrade(database.engine)
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    url = scratch_postgres_url()
    name = make_url(url).database
    assert name
    asyncio.run(_create_database(POSTGRES_URL or "", name))
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_drop_database(POSTGRES_URL or "", name))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        path = tmp_path / "spokes.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    return request.getfixturevalue("postgres_session_url")


@pytest.fixture
async def db(database_url: str, backend: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    if backend == "postgres":
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        async with database.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    try:
        yield database
    finally:
        await database.dispose()
