"""A long import runs while people use the bot: the bot answers every message, none with the
apology, on SQLite and PostgreSQL.

``spokes import`` writes a list of several hundred people from its own process (in short
batches) while a ``spokes serve`` process answers chats. Several people send messages one after
the other during the whole import; each must get its own answer.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from bot.texts import t
from registry import catalog
from registry.actors import Actor
from registry.uow import Database
from tests.e2e.cli_runner import SCRIPT, needs_script
from tests.e2e.fake_telegram import FakeTelegram, FakeUser
from tests.e2e.servers import Server, serving
from tests.faults.lists import list_csv, people

pytestmark = needs_script
ROWS = 150  # enough for an import of several commits
CHATS = 4


async def chat_until(
    fake: FakeTelegram, server: Server, user: FakeUser, importing: asyncio.Task[int]
) -> list[tuple[str, str]]:
    """Messages one after the other, each answered before the next, until the import ends;
    (what the bot said, what it should have said) for each."""
    said: list[tuple[str, str]] = []
    number = 0
    while not importing.done() or number < 3:
        command = f"q{user.id}n{number}"
        assert await fake.post(server.webhook, user.text_update(f"/{command}")) == 200
        [answer] = await user.replies(1, seconds=60)
        said.append((answer.text, t("vi", "bot.unknown_command", command=command)))
        number += 1
    return said


async def test_the_bot_answers_every_message_while_a_long_import_runs(
    db: Database, fake: FakeTelegram, tmp_path: Path
) -> None:
    assert SCRIPT is not None
    await catalog.load_edition(db.uow(), Actor.system("test"), "2025")
    (tmp_path / "danh-sach.csv").write_bytes(list_csv(people(ROWS)))
    users = [fake.user(9100 + n) for n in range(CHATS)]
    async with serving(fake, db.url, tmp_path / "server.log") as server:
        env = {"SPOKES_DATABASE_URL": db.url, "PATH": "/usr/bin:/bin"}
        importing = asyncio.create_task(
            asyncio.to_thread(
                lambda: (
                    subprocess.run(
                        [SCRIPT, "import", "danh-sach.csv"],
                        cwd=tmp_path,
                        env=env,
                        capture_output=True,
                        timeout=300,
                    ).returncode
                )
            )
        )
        talks = await asyncio.gather(*(chat_until(fake, server, u, importing) for u in users))
        assert await importing == 0
    for said in talks:
        assert [answer for answer, _ in said] == [expected for _, expected in said]
    log = (tmp_path / "server.log").read_text()
    assert " ERROR " not in log and "Traceback" not in log, log
