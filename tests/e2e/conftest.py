"""Fixtures of the end-to-end tests: the fake Telegram and Zalo Bot API servers, a database of
its own per test, the real bot running against them (polling or webhook), and people to talk
to it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry import catalog
from registry.actors import Actor
from registry.models import Person as PersonRecord
from registry.uow import Database
from tests.e2e.browser import browser  # noqa: F401 (a fixture of the browser tests)
from tests.e2e.fake_telegram import FakeTelegram, Mode, RunningBot, bot_running
from tests.e2e.fake_zalo import FakeZalo
from tests.e2e.telegram_person import Person, Processed, person
from tests.e2e.zalo_bot import RunningZalo, ZaloMode, ZaloPerson, ZaloProcessed, zalo_running

SYSTEM = Actor.system("test")
MODES = ["polling", "webhook"]

Meet = Callable[..., Person]
MeetOnZalo = Callable[..., ZaloPerson]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as server:
        yield server


@pytest.fixture
async def database(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    """A database of its own for every test (migrated), with the 2025 catalog of agencies."""
    path = tmp_path / "bot.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    await catalog.load_edition(db.uow(), Actor.system("test"), "2025")
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def processed(fake: FakeTelegram) -> Processed:
    return Processed(fake)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> Mode:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def bot(
    mode: Mode, fake: FakeTelegram, database: Database, processed: Processed
) -> AsyncIterator[RunningBot]:
    async with bot_running(mode, fake, database) as running:
        yield running


@pytest.fixture
def meet(fake: FakeTelegram, processed: Processed) -> Meet:
    """``meet(7)``: the person with Telegram id 7, in a private chat with the bot."""

    def make(user_id: int, first_name: str = "An") -> Person:
        return person(fake, processed, user_id, first_name)

    return make


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo.running() as server:
        yield server


@pytest.fixture
def zalo_processed(zalo: FakeZalo) -> ZaloProcessed:
    return ZaloProcessed(zalo)


@pytest.fixture(params=MODES)
def zalo_mode(request: pytest.FixtureRequest) -> ZaloMode:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def zalo_bot(
    zalo_mode: ZaloMode, zalo: FakeZalo, database: Database, zalo_processed: ZaloProcessed
) -> AsyncIterator[RunningZalo]:
    async with zalo_running(zalo_mode, zalo, database) as running:
        yield running


@pytest.fixture
def meet_on_zalo(zalo: FakeZalo, zalo_processed: ZaloProcessed) -> MeetOnZalo:
    """``meet_on_zalo("u-7")``: the person with Zalo id u-7, in a private chat with the bot."""

    def make(user_id: str, display_name: str = "Nguyễn An") -> ZaloPerson:
        return ZaloPerson(zalo.user(user_id, display_name), zalo_processed)

    return make


async def count_people(db: Database) -> int:
    async with db.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(PersonRecord)) or 0
