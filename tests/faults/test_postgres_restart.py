"""PostgreSQL restarted while updates arrive: every update that got its 200 is answered once,
and so is every update that was refused meanwhile and sent again, as a platform does.

A ``spokes serve`` process works on a PostgreSQL cluster of the test's own (see
``cluster.py``). Several chats send messages steadily; meanwhile PostgreSQL is stopped (a fast
shutdown cuts every session, rolling back what was in progress), stays down for a moment, and
starts again. While it is down the webhook cannot store an update and must not answer 200;
the sender then tries again later, like Telegram, until it gets a 200. In the end every chat
has exactly one answer per message, in the order sent, and nothing is left in the inbox.

An update whose handling was cut off by the shutdown is not apologised for: the pipeline waits
for the database and handles it again, so the second test wants no apology at all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.texts import t
from registry.uow import Database
from tests.e2e.cli_runner import needs_script
from tests.e2e.fake_telegram import WEBHOOK_SECRET, FakeTelegram, FakeUser
from tests.e2e.servers import Server, serving
from tests.faults.cluster import cluster
from tests.faults.conftest import waiting_updates

pytestmark = needs_script
CHATS = 5
MESSAGES = 16  # per chat
PAUSE = 0.05  # seconds between two messages of a chat
DOWN = 2.0  # seconds PostgreSQL stays stopped


class Sender:
    """Posts each chat's messages in order, each until it gets a 200, and keeps count."""

    def __init__(self, fake: FakeTelegram, server: Server) -> None:
        self.fake = fake
        self.server = server
        self.statuses: list[int | str] = []  # every answer to a POST, or the transport error
        self.accepted = 0
        self.under_way = asyncio.Event()  # every chat has had a few messages accepted
        self.sent: dict[int, list[str]] = {}

    async def post(self, client: httpx.AsyncClient, update: dict[str, object]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        while True:
            try:
                response = await client.post(self.server.webhook, json=update, headers=headers)
                self.statuses.append(response.status_code)
                if response.status_code == 200:
                    self.accepted += 1
                    if self.accepted >= CHATS * 3:
                        self.under_way.set()
                    return
                # Anything but 200 means "not taken": a platform retries 5xx and 429.
                assert response.status_code >= 500 or response.status_code == 429, response
            except httpx.TransportError as error:
                self.statuses.append(type(error).__name__)
            await asyncio.sleep(0.2)

    async def chat(self, user: FakeUser) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            for number in range(MESSAGES):
                command = f"c{user.id}n{number}"
                update = user.text_update(f"/{command}")
                self.sent.setdefault(user.chat_id, []).append(command)
                await self.post(client, update)
                await asyncio.sleep(PAUSE)


@dataclass
class Run:
    answers: dict[int, list[str]]  # per chat, every message the bot sent, in order
    expected: dict[int, list[str]]  # per chat, the answer to each message, in order
    refused: list[int | str]  # the POSTs that got no 200
    waiting: int  # updates left in the inbox at the end


async def restart_while_chatting(fake: FakeTelegram, tmp_path: Path) -> Run:
    with cluster() as postgres:
        users = [fake.user(8000 + n) for n in range(CHATS)]
        async with serving(fake, postgres.url, tmp_path / "server.log") as server:
            sender = Sender(fake, server)
            chats = asyncio.gather(*(sender.chat(user) for user in users))
            await sender.under_way.wait()
            await asyncio.to_thread(postgres.stop)
            await asyncio.sleep(DOWN)
            await asyncio.to_thread(postgres.start)
            await chats
            total = CHATS * MESSAGES
            await fake.wait_for(
                lambda: sum(len(fake.messages(u.chat_id)) for u in users) >= total, 60
            )
        # Stopped: it finished all it had stored, so a second answer would be here by now.
        database = Database(postgres.url)
        try:
            waiting = await waiting_updates(database)
        finally:
            await database.dispose()
    return Run(
        answers={u.id: [m.text for m in fake.messages(u.chat_id)] for u in users},
        expected={
            u.id: [t("vi", "bot.unknown_command", command=c) for c in sender.sent[u.id]]
            for u in users
        },
        refused=[status for status in sender.statuses if status != 200],
        waiting=waiting,
    )


async def test_a_postgres_restart_loses_no_update_and_answers_each_once(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    run = await restart_while_chatting(fake, tmp_path)
    assert run.refused, "PostgreSQL was down while nothing was posted: nothing was shown"
    assert run.waiting == 0
    apology = t("vi", "bot.internal_error")
    for chat, expected in run.expected.items():
        assert [text for text in run.answers[chat] if text != apology] == expected, chat


async def test_a_postgres_restart_costs_nobody_an_apology(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    run = await restart_while_chatting(fake, tmp_path)
    assert run.refused, "PostgreSQL was down while nothing was posted: nothing was shown"
    assert run.answers == run.expected
