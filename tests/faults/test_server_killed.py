"""``kill -9`` of a ``spokes serve`` process holding updates it stored but did not handle: the
next process answers every one of them, once, in each chat's order.

Telegram and Zalo post a burst of messages from several chats to one server, on SQLite and on
PostgreSQL. A fault planted in the server stops it from handling anything after the first few
updates; storing goes on, so every webhook call still gets its 200 (the platform will not send
those updates again). The server is then killed with SIGKILL: no shutdown, no draining. A new
server must answer every update that got a 200, exactly once, and none of the first few again.
Each message is an unknown command naming its own update, so every answer says which update it
answers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.texts import t
from registry.uow import Database
from tests.e2e import fake_zalo
from tests.e2e.cli_runner import needs_script
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.fake_zalo import FakeZalo
from tests.e2e.servers import Server, serving
from tests.faults.conftest import HANG_AFTER, plant, waiting_updates

pytestmark = needs_script
CHATS = 6  # per channel
MESSAGES = 5  # per chat
HANDLED_BEFORE = 8  # updates answered before handling stops
TOTAL = 2 * CHATS * MESSAGES


def answer(command: str) -> str:
    return t("vi", "bot.unknown_command", command=command)


def zalo_update(zalo: FakeZalo, user_id: str, text: str) -> dict[str, object]:
    message_id = zalo.new_message_id()
    return {
        "event_name": "message.text.received",
        "message": {
            "from": {"id": user_id, "display_name": "Nguyễn An", "is_bot": False},
            "chat": {"id": user_id, "chat_type": "PRIVATE"},
            "message_id": message_id,
            "date": 1767225600000,
            "text": text,
        },
    }


class Traffic:
    """The chats of both channels and the commands each sent, in order."""

    def __init__(self, fake: FakeTelegram, zalo: FakeZalo) -> None:
        self.fake = fake
        self.zalo = zalo
        self.telegram_users = [fake.user(7000 + n) for n in range(CHATS)]
        self.zalo_users = [f"z-{n}" for n in range(CHATS)]
        self.sent: dict[str, list[str]] = {}  # chat -> commands, in order

    async def _telegram_chat(self, server: Server, index: int) -> None:
        user = self.telegram_users[index]
        for _ in range(MESSAGES):
            update = user.text_update("/t")
            command = f"t{update['update_id']}"
            update["message"]["text"] = f"/{command}"
            update["message"]["entities"][0]["length"] = len(command) + 1
            self.sent.setdefault(f"telegram:{user.id}", []).append(command)
            assert await self.fake.post(server.webhook, update) == 200

    async def _zalo_chat(self, server: Server, index: int) -> None:
        user_id = self.zalo_users[index]
        for number in range(MESSAGES):
            command = f"z{index}x{number}"
            self.sent.setdefault(f"zalo:{user_id}", []).append(command)
            update = zalo_update(self.zalo, user_id, f"/{command}")
            assert await fake_zalo.post_update(server.zalo_webhook, update) == 200

    async def burst(self, server: Server) -> None:
        """Every chat posts its messages one after the other; the chats all at once."""
        await asyncio.gather(
            *(self._telegram_chat(server, n) for n in range(CHATS)),
            *(self._zalo_chat(server, n) for n in range(CHATS)),
        )

    def answers(self) -> dict[str, list[str]]:
        """Every message the bot sent, per chat, in the order sent."""
        got = {
            f"telegram:{user.id}": [m.text for m in self.fake.messages(user.chat_id)]
            for user in self.telegram_users
        }
        got |= {
            f"zalo:{user_id}": [m.text for m in self.zalo.messages(user_id)]
            for user_id in self.zalo_users
        }
        return got

    def count(self) -> int:
        return sum(len(texts) for texts in self.answers().values())

    async def until_answered(self, count: int, seconds: float = 30) -> None:
        async def enough() -> None:
            # The answers are spread over two fakes, each with its own condition: polled.
            while self.count() < count:  # noqa: ASYNC110
                await asyncio.sleep(0.05)

        try:
            await asyncio.wait_for(enough(), seconds)
        except TimeoutError:
            raise AssertionError(f"{self.count()} answers of {count}") from None


async def test_updates_stored_by_a_killed_server_are_each_answered_once_by_the_next(
    db: Database, fake: FakeTelegram, zalo: FakeZalo, tmp_path: Path
) -> None:
    traffic = Traffic(fake, zalo)
    fault = plant(tmp_path / "fault", HANG_AFTER)
    hanging = {**fault, "SPOKES_TEST_HANG_AFTER": str(HANDLED_BEFORE)}
    async with serving(fake, db.url, tmp_path / "killed.log", zalo=zalo, **hanging) as server:
        await traffic.burst(server)  # every update got its 200
        await traffic.until_answered(HANDLED_BEFORE)
        await server.kill()
    assert server.process.returncode == -9
    assert traffic.count() == HANDLED_BEFORE
    assert await waiting_updates(db) == TOTAL - HANDLED_BEFORE

    async with serving(fake, db.url, tmp_path / "next.log", zalo=zalo):
        await traffic.until_answered(TOTAL)
    # Stopped: it finished all it had, so any second answer would be here by now.
    expected = {chat: [answer(c) for c in commands] for chat, commands in traffic.sent.items()}
    assert traffic.answers() == expected
    assert await waiting_updates(db) == 0
    log = (tmp_path / "next.log").read_text()
    assert "Traceback" not in log and " ERROR " not in log, log
