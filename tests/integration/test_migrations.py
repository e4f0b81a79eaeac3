"""The Alembic migrations on every backend: up, no drift from the models, down, up again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.engine import make_url

from registry.db import downgrade, schema_state, upgrade
from registry.models import Base
from registry.uow import Database
from tests.conftest import POSTGRES_URL, _create_database, _drop_database, scratch_postgres_url


@pytest.fixture
async def empty(backend: str, tmp_path) -> AsyncIterator[Database]:
    """A database with no schema at all."""
    if backend == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
        yield database
        await database.dispose()
        return
    url = scratch_postgres_url()
    name = make_url(url).database or ""
    await _create_database(POSTGRES_URL or "", name)
    database = Database(url)
    try:
        yield database
    finally:
        await database.dispose()
        await _drop_database(POSTGRES_URL or "", name)


def _drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_upgrade_matches_models_and_round_trips(empty: Database) -> None:
    before = await schema_state(empty.engine)
    assert before.current is None and not before.up_to_date
    await upgrade(empty.engine)
    assert (await schema_state(empty.engine)).up_to_date
    async with empty.engine.connect() as connection:
        assert await connection.run_sync(_drift) == []
        assert await connection.run_sync(_tables) == set(Base.metadata.tables)
    await downgrade(empty.engine, "base")
    async with empty.engine.connect() as connection:
        assert await connection.run_sync(_tables) == set()
    assert (await schema_state(empty.engine)).current is None
    await upgrade(empty.engine)
    async with empty.engine.connect() as connection:
        assert await connection.run_sync(_drift) == []


async def test_upgrade_twice_is_harmless(empty: Database) -> None:
    await upgrade(empty.engine)
    again = await upgrade(empty.engine)
    assert again.up_to_date
