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


def _partial_indexes(connection: Connection) -> dict[str, str]:
    """The person table's partial indexes as the database has them: name -> predicate."""
    found = {}
    for index in inspect(connection).get_indexes("person"):
        options = index.get("dialect_options", {})
        predicate = options.get("postgresql_where") or options.get("sqlite_where")
        if predicate is not None:
            found[str(index["name"])] = _plain(str(predicate))
    return found


def _plain(predicate: str) -> str:
    """A predicate as written, whatever the way the database writes it back (PostgreSQL adds
    parentheses and casts, and writes ``<>``)."""
    for noise in ("(", ")", "::text"):
        predicate = predicate.replace(noise, "")
    return " ".join(predicate.replace("<>", "!=").lower().split())


async def test_the_active_people_indexes_are_partial_as_the_models_say(empty: Database) -> None:
    # Only active people hold a mobile or a name in an agency: a retired person's mobile may be
    # given to their successor. The migrations and the models must say the same on each backend.
    await upgrade(empty.engine)
    dialect = empty.engine.dialect
    modelled = {}
    for index in Base.metadata.tables["person"].indexes:
        predicate = index.dialect_options[dialect.name]["where"]
        if predicate is not None:
            modelled[str(index.name)] = _plain(str(predicate.compile(dialect=dialect)))
    async with empty.engine.connect() as connection:
        stored = await connection.run_sync(_partial_indexes)
    assert set(stored) == {"uq_person_active_mobile", "uq_person_active_name"}
    for name, predicate in modelled.items():
        assert stored[name] == predicate, name
    assert set(modelled) == set(stored)
