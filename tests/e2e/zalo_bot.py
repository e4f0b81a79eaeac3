"""The bot of this project on the fake Zalo Bot API server, and people chatting with it.

``zalo_running(mode, fake, database)`` runs the bot as ``spokes run --channel zalo`` (long
polling, plus the web server for file links) or ``spokes serve`` (the Zalo webhook) run it.
``ZaloPerson.say(text)`` types a message and returns the bot's answer to that one message:
every text it sent in the chat while handling it, as an :class:`Answer`.

How a person knows the bot is done: the bot's pipeline reports each update it has finished
with (answers sent, or dropped as a repeat) to its completion hook, :meth:`FakeZalo.on_done`,
in polling and webhook mode alike (the webhook answers once the update is stored, before it is
handled); :class:`ZaloProcessed` reads those reports.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest

from bot.settings import BotSettings
from registry.uow import Database
from tests.e2e.fake_zalo import DEFAULT_TIMEOUT, TOKEN, WEBHOOK_SECRET, FakeZalo, FakeZaloUser

ZaloMode = Literal["polling", "webhook"]
LINK_SECRET = "link-secret-of-the-spokes-tests-0123456789"


class ZaloProcessed:
    """The (event, message id) pairs the bot has finished handling, as its pipeline reported
    them to the fake (a bot started with ``on_done=[fake.on_done]``, as :func:`zalo_running`
    starts it)."""

    def __init__(self, fake: FakeZalo) -> None:
        self.fake = fake

    def install(self, monkeypatch: pytest.MonkeyPatch | None = None) -> ZaloProcessed:
        """Nothing left to install (the completion hook reports); kept for older callers."""
        return self

    @property
    def done(self) -> list[tuple[str, str]]:
        return list(self.fake.handled_messages)

    def count(self, message_id: str) -> int:
        return sum(1 for _, done in self.done if done == message_id)

    async def wait(self, message_id: str, times: int = 1) -> None:
        try:
            await self.fake.wait_for(lambda: self.count(message_id) >= times, DEFAULT_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"Zalo message {message_id} was not handled") from None


class Answer(str):
    """The bot's answer to one message: its texts joined by new lines, and each of them."""

    texts: list[str]

    def __new__(cls, texts: list[str]) -> Answer:
        answer = super().__new__(cls, "\n".join(texts))
        answer.texts = texts
        return answer


@dataclass
class ZaloPerson:
    user: FakeZaloUser
    processed: ZaloProcessed

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def identity(self) -> str:
        return f"zalo:{self.user.id}"

    async def _answer(self, message_id: str) -> Answer:
        await self.processed.wait(message_id)
        return Answer([m.text for m in self.user.fake.take_unread(self.user.chat_id)])

    async def say(self, text: str) -> Answer:
        return await self._answer(await self.user.send(text))

    async def send_image(self) -> Answer:
        return await self._answer(await self.user.send_image(caption="ảnh"))

    async def send_sticker(self) -> Answer:
        return await self._answer(await self.user.send_sticker())

    async def send_unsupported(self) -> Answer:
        return await self._answer(await self.user.send_unsupported())


@dataclass
class RunningZalo:
    mode: ZaloMode
    settings: BotSettings
    base_url: str  # the web server: file links, and the webhook in webhook mode

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/zalo/webhook"

    async def post(self, body: bytes | str, *, secret: str | None = WEBHOOK_SECRET) -> int:
        """POST a raw body to the Zalo webhook, as anyone on the Internet could."""
        headers: dict[str, str | bytes] = {"Content-Type": "application/json"}
        if secret is not None:
            # Raw bytes, as anyone could send them (httpx takes str headers as ASCII only).
            headers["X-Bot-Api-Secret-Token"] = secret.encode("latin-1")
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(self.webhook_url, content=body, headers=headers)
        return response.status_code


def zalo_settings(fake: FakeZalo, database_url: str, **changes: Any) -> BotSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "zalo_token": TOKEN,
        "zalo_base_url": fake.base_url,
        "zalo_webhook_secret": WEBHOOK_SECRET,
        "link_secret": LINK_SECRET,
        **changes,
    }
    return BotSettings(_env_file=None, **values)  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def zalo_running(
    mode: ZaloMode, fake: FakeZalo, database: Database, **changes: Any
) -> AsyncIterator[RunningZalo]:
    """The Zalo bot as ``spokes run --channel zalo`` / ``spokes serve`` run it, until exit."""
    from bot import web
    from bot.cli import serve

    stop = asyncio.Event()
    seen = len(fake.calls)
    sock = web.listen("127.0.0.1", 0)
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = zalo_settings(fake, database.url, public_url=base_url, **changes)
    if mode == "polling":
        task = asyncio.create_task(
            serve.poll_zalo(settings, database, sock, stop, on_done=[fake.on_done])
        )
        ready_method = "getUpdates"
    else:
        settings = settings.model_copy(update={"zalo_webhook_url": f"{base_url}/zalo/webhook"})
        task = asyncio.create_task(
            serve.serve_webhook(settings, database, sock, stop, on_done=[fake.on_done])
        )
        ready_method = "setWebhook"

    def ready() -> bool:
        return any(c.method == ready_method for c in fake.calls[seen:])

    task.add_done_callback(lambda _: asyncio.ensure_future(fake.notify()))
    try:
        await fake.wait_for(lambda: ready() or task.done())
        if task.done():
            task.result()
            raise AssertionError("the bot stopped at once")
        yield RunningZalo(mode, settings, base_url)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
