"""Two ``spokes serve`` processes on one PostgreSQL database, behind one Telegram bot.

The fake Bot API posts a burst of updates for several chats to both webhooks over HTTP: each
chat's messages alternate between the two servers, the next posted as soon as the previous got
its 200, and some are delivered twice, to both. Every chat must get its answers in the order of
its messages, each once. The messages switch the language back and forth, so an answer given
out of turn, on a state the previous message had not yet left, shows in its language; and
every other answer of a chat takes the fake a while to send, so that a server answering the
next message while the other is still delivering would overtake it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.texts import t
from registry.uow import Database
from tests.conftest import BACKENDS
from tests.e2e.cli_runner import needs_script
from tests.e2e.fake_telegram import FakeTelegram, FakeUser
from tests.e2e.servers import Server, serving

pytestmark = needs_script
POSTGRES = [b for b in BACKENDS if getattr(b, "values", None) == ("postgres",)]
CHATS = 5
SCRIPT = ["/m1", "/lang en", "/m3", "/m4", "/lang vi", "/m6", "/lang en", "/m8", "/m9", "/m10"]


def expected(script: list[str]) -> list[str]:
    answers, language = [], "vi"
    for text in script:
        if text.startswith("/lang "):
            language = text.split()[1]
            answers.append(t(language, "bot.lang.done"))
        else:
            answers.append(t(language, "bot.unknown_command", command=text[1:]))
    return answers


async def talk(fake: FakeTelegram, user: FakeUser, servers: tuple[Server, Server]) -> None:
    """The chat's messages, in turn to one server and the other; every third one twice."""
    for number, text in enumerate(SCRIPT):
        update = user.text_update(text)
        first, second = servers if (number + user.id) % 2 else servers[::-1]
        assert await fake.post(first.webhook, update) == 200
        if number % 3 == 2:
            assert await fake.post(second.webhook, update) == 200  # a repeat, to the other


@pytest.mark.parametrize("backend", POSTGRES)
async def test_two_servers_answer_every_chat_in_order_each_message_once(
    db: Database, fake: FakeTelegram, tmp_path: Path
) -> None:
    users = [fake.user(900 + n) for n in range(CHATS)]
    # Every other answer takes a while to send: one sent out of turn would overtake it.
    fake.uneven_latency = 0.1
    async with (
        serving(fake, db.url, tmp_path / "a.log") as a,
        serving(fake, db.url, tmp_path / "b.log") as b,
    ):
        await asyncio.gather(*(talk(fake, user, (a, b)) for user in users))
        for user in users:
            await user.replies(len(SCRIPT), seconds=60)
    # Both stopped (each finished what it had stored): nothing more can come.
    for user in users:
        assert [m.text for m in fake.messages(user.chat_id)] == expected(SCRIPT), user.id
    for server in (a, b):
        log = server.log.read_text()
        assert "Traceback" not in log and " ERROR " not in log, log
    repeats = sum(1 for number in range(len(SCRIPT)) if number % 3 == 2)
    assert len(fake.deliveries) == CHATS * (len(SCRIPT) + repeats)
