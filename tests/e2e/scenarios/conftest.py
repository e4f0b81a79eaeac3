"""``stage``: the bot on every channel in turn, for the scenarios of this package.

Every scenario that takes ``stage`` runs on the engine (SQLite, and PostgreSQL when
``SPOKES_TEST_POSTGRES_URL`` is set), on Telegram, on Zalo and in the terminal. Each run has a
database of its own with the 2025 catalog, copied from a template made once per session.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from registry.models import Base
from registry.uow import Database
from tests.builders import with_catalog
from tests.conftest import POSTGRES_URL
from tests.e2e.scenarios.stage import Stage, skip_unless_applicable, stage_on

DRIVERS = [
    "engine",
    pytest.param(
        "engine-postgres",
        marks=pytest.mark.skipif(not POSTGRES_URL, reason="SPOKES_TEST_POSTGRES_URL is not set"),
    ),
    "telegram",
    "zalo",
    "terminal",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "only_where(ability, why): run a scenario only on channels with that ability"
    )


@pytest.fixture(scope="session")
def catalogued_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with the 2025 catalog, copied for each scenario."""
    path = tmp_path_factory.mktemp("catalogued") / "catalogued.db"
    shutil.copy(sqlite_template, path)

    async def load() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await with_catalog(database)
        finally:
            await database.dispose()

    asyncio.run(load())
    return path


@dataclass
class Backstage:
    """What a stage is built from, gathered before the test's event loop runs."""

    driver: str
    url: str
    parts: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(params=DRIVERS)
def backstage(
    request: pytest.FixtureRequest, tmp_path: Path, catalogued_template: Path
) -> Backstage:
    driver: str = request.param
    skip_unless_applicable(request.node, driver)
    if driver == "engine-postgres":
        url = request.getfixturevalue("postgres_session_url")
    else:
        path = tmp_path / "spokes.db"
        shutil.copy(catalogued_template, path)
        url = f"sqlite+aiosqlite:///{path}"
    parts: dict[str, Any] = {}
    if driver == "telegram":
        parts = {"fake": request.getfixturevalue("fake"), "meet": request.getfixturevalue("meet")}
    elif driver == "zalo":
        parts = {
            "zalo": request.getfixturevalue("zalo"),
            "meet_on_zalo": request.getfixturevalue("meet_on_zalo"),
        }
    elif driver == "terminal":
        folder = tmp_path / "terminal"
        folder.mkdir()
        # The terminal chat saves the bot's files in its working directory.
        request.getfixturevalue("monkeypatch").chdir(folder)
        parts = {"folder": folder}
    return Backstage(driver, url, parts)


@pytest.fixture
async def stage(backstage: Backstage) -> AsyncIterator[Stage]:
    db = Database(backstage.url)
    try:
        if backstage.driver == "engine-postgres":
            # One database for the session: emptied, then the catalog again.
            tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            async with db.engine.begin() as connection:
                await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            await with_catalog(db)
        async with stage_on(backstage.driver, db, backstage.parts) as running:
            yield running
    finally:
        await db.dispose()
