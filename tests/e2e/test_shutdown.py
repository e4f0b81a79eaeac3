"""SIGTERM to a ``spokes serve`` process with updates under way that will not finish (their
answers hang): it stops taking work, gives them ``SPOKES_SHUTDOWN_SECONDS``, exits 0, and
leaves the chats' next updates in the inbox; the next process answers them.

The hang is planted by a ``sitecustomize`` module on the server's PYTHONPATH: the process is
the real installed command, with nothing of the test in the code it runs.
"""

from __future__ import annotations

import signal
from pathlib import Path

from sqlalchemy import func, select

from bot.state.models import ChatUpdate
from bot.texts import t
from registry.uow import Database
from tests.e2e.cli_runner import needs_script
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.servers import serving

pytestmark = needs_script
HANG = '''
"""Makes every Telegram delivery of this process wait forever (after the commit)."""
import asyncio
import os

if os.environ.get("SPOKES_TEST_HANG_DELIVERY"):
    from bot.channels.telegram import TelegramTransport

    async def _hang(self, *args, **kwargs):
        await asyncio.Event().wait()

    TelegramTransport.deliver = _hang
'''


async def waiting(db: Database) -> int:
    async with db.uow().reading() as uow:
        query = select(func.count()).select_from(ChatUpdate).where(ChatUpdate.handled_at.is_(None))
        return int(await uow.session.scalar(query) or 0)


async def test_sigterm_stops_within_its_grace_and_the_next_start_answers_the_rest(
    db: Database, fake: FakeTelegram, tmp_path: Path
) -> None:
    faults = tmp_path / "faults"
    faults.mkdir()
    (faults / "sitecustomize.py").write_text(HANG)
    users = [fake.user(100 + number) for number in range(5)]
    stuck = {
        "PYTHONPATH": str(faults),
        "SPOKES_TEST_HANG_DELIVERY": "1",
        "SPOKES_SHUTDOWN_SECONDS": "1",
        "SPOKES_UPDATE_SECONDS": "3600",
    }
    async with serving(fake, db.url, tmp_path / "stuck.log", **stuck) as server:
        for user in users:
            assert await fake.post(server.webhook, user.text_update("/help")) == 200
            assert await fake.post(server.webhook, user.text_update("/cancel")) == 200
        server.process.send_signal(signal.SIGTERM)
        assert await server.exited() == 0, server.log.read_text()
    assert all(fake.messages(user.chat_id) == [] for user in users)
    # Each chat's first update is handled (committed) and its answer was cut short; the second
    # one of each chat waits in the inbox.
    assert await waiting(db) == len(users)

    async with serving(fake, db.url, tmp_path / "next.log"):
        for user in users:
            [answer] = await user.replies(1, seconds=30)
            assert answer.text == t("vi", "bot.nothing_to_cancel")
    assert await waiting(db) == 0
