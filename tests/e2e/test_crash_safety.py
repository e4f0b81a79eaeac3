"""A ``spokes serve`` process killed in the middle of an update: nothing of that update stays,
and the next process finishes it.

A person has answered every question of /register and confirms on Telegram. The server stores
the update, registers the person in the update's transaction, and is killed (``os._exit``,
like a SIGKILL) just before it would mark the update handled and commit. Afterwards there is no
person and the dialog is still at its summary: the record and the dialog state agree. The next
server resumes the stored update at start and registers the person, once.

The kill is planted by a ``sitecustomize`` module on the server's PYTHONPATH, so the process is
the real installed ``spokes`` command with nothing of the test in the code it runs.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bot.dialogs.engine import Dialogs
from bot.settings import BotSettings
from bot.state.conversations import load_state
from bot.state.models import ChatUpdate
from bot.texts import t
from registry import catalog
from registry.actors import Actor
from registry.models import Person
from registry.uow import Database
from tests.e2e.cli_runner import needs_script
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.servers import serving
from tests.integration.chat import Chat

pytestmark = needs_script
KILLED = 70
FAULT = f'''
"""Kills this process where an update is handled but not yet marked handled nor committed."""
import os

if os.environ.get("SPOKES_TEST_DIE_BEFORE_COMMIT"):
    from bot.state import inbox

    async def _die(uow, update_id):
        os._exit({KILLED})

    inbox.mark_handled = _die
'''


async def people(db: Database) -> int:
    async with db.uow().reading() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Person)) or 0)


async def waiting(db: Database) -> int:
    async with db.uow().reading() as uow:
        query = select(func.count()).select_from(ChatUpdate).where(ChatUpdate.handled_at.is_(None))
        return int(await uow.session.scalar(query) or 0)


async def at_the_summary(db: Database, user_id: int) -> None:
    """The person has answered every question of /register on Telegram (the dialog engine
    driven directly: only the confirmation goes through the servers)."""
    chat = Chat(Dialogs(db, BotSettings(_env_file=None)), str(user_id), channel="telegram")  # type: ignore[call-arg]
    await chat.consent()
    await chat.say("/register")
    await chat.say("Lào Cai")
    await chat.pick("Tỉnh Lào Cai")
    await chat.say("Nguyễn Văn An")
    await chat.say("Chánh Văn phòng UBND tỉnh")
    await chat.pick("Người phát ngôn")
    await chat.say("0912 345 678")
    await chat.pick("Bỏ qua")
    summary = await chat.say("an.nv@laocai.gov.vn")
    assert summary.startswith("Kiểm tra lại thông tin:") and "✅ Xác nhận" in summary.options


async def test_a_server_killed_before_the_end_of_an_update_leaves_nothing_half_done(
    db: Database, fake: FakeTelegram, tmp_path: Path
) -> None:
    await catalog.load_edition(db.uow(), Actor.system("test"), "2025")
    user = fake.user(7)
    await at_the_summary(db, user.id)
    before = await load_state(db.uow(), "telegram", "7")
    faults = tmp_path / "faults"
    faults.mkdir()
    (faults / "sitecustomize.py").write_text(FAULT)

    confirm = user.text_update("1")  # the summary's first option: confirm
    doomed = {"PYTHONPATH": str(faults), "SPOKES_TEST_DIE_BEFORE_COMMIT": "1"}
    async with serving(fake, db.url, tmp_path / "killed.log", **doomed) as server:
        # Stored before the 200; the process may die before it has even sent the 200.
        with contextlib.suppress(httpx.TransportError):
            assert await fake.post(server.webhook, confirm) == 200
        assert await server.exited() == KILLED

    assert await people(db) == 0
    assert (await load_state(db.uow(), "telegram", "7")).snapshot() == before.snapshot()
    assert await waiting(db) == 1  # the confirmation, stored, not handled
    assert fake.messages(user.chat_id) == []

    async with serving(fake, db.url, tmp_path / "next.log") as restarted:
        [registered] = await user.replies(1, seconds=30)  # resumed at start
        # (#2 on PostgreSQL: the killed transaction had taken #1 from the sequence.)
        assert re.match(r"Đã đăng ký #\d Nguyễn Văn An \(Tỉnh Lào Cai\)", registered.text)
        # The same confirmation delivered again is a repeat, and a new "1" confirms nothing:
        # the dialog is over.
        assert await fake.post(restarted.webhook, confirm) == 200
        assert await fake.post(restarted.webhook, user.text_update("1")) == 200
        [not_understood] = await user.replies(1)
        assert not_understood.text == t("vi", "bot.not_understood")
    assert len(fake.messages(user.chat_id)) == 2
    assert await people(db) == 1
    assert await waiting(db) == 0
    assert (await load_state(db.uow(), "telegram", "7")).flow is None
