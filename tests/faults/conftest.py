"""What the fault tests share: the fake Bot APIs, faults planted in a real ``spokes`` process,
and a look into the database the processes work on.

A fault is planted with a ``sitecustomize`` module on the process's PYTHONPATH: the process is
the installed ``spokes`` command, with nothing of the test in the code it runs until the
fault's environment variable switches the fault on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.state.models import ChatUpdate
from registry.uow import Database
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.fake_zalo import FakeZalo


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as server:
        yield server


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo.running() as server:
        yield server


def plant(directory: Path, source: str) -> dict[str, str]:
    """A ``sitecustomize`` module holding ``source`` in ``directory``; the environment that puts
    it on a process's path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sitecustomize.py").write_text(source)
    return {"PYTHONPATH": str(directory)}


# Handling stops for good after the first SPOKES_TEST_HANG_AFTER updates: the rest are stored
# (their webhook answered 200) and wait, never started, until the process is killed.
HANG_AFTER = '''
"""Stops handling updates after the first few; storing them goes on."""
import asyncio
import os

_after = os.environ.get("SPOKES_TEST_HANG_AFTER")
if _after is not None:
    from bot.pipeline.core import Pipeline

    _answer = Pipeline._answer
    _started = [0]

    async def _hang_after(self, *args, **kwargs):
        _started[0] += 1
        if _started[0] > int(_after):
            await asyncio.Event().wait()
        return await _answer(self, *args, **kwargs)

    Pipeline._answer = _hang_after
'''


async def waiting_updates(db: Database) -> int:
    """Updates stored in the inbox and not handled."""
    async with db.uow().reading() as uow:
        query = select(func.count()).select_from(ChatUpdate).where(ChatUpdate.handled_at.is_(None))
        return int(await uow.session.scalar(query) or 0)
