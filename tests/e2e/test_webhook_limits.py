"""Both webhooks against what anyone on the Internet may send: bodies too large, too deep,
mistyped or trickling in, a burst past the inbox's bound; and what the server shows of itself
meanwhile (``/healthz`` while another process writes, an access log without link tokens)."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.dialogs.engine import Dialogs
from bot.links import Links
from bot.state.models import ChatUpdate
from bot.state.shared_files import Owner
from registry.uow import Database
from tests.e2e import fake_telegram, fake_zalo
from tests.e2e.fake_telegram import FakeTelegram, bot_running
from tests.e2e.fake_zalo import FakeZalo
from tests.e2e.zalo_bot import LINK_SECRET, zalo_running

TELEGRAM_UPDATE: dict[str, Any] = {
    "update_id": 41,
    "message": {
        "message_id": 1,
        "date": 1750316131,
        "chat": {"id": 7, "type": "private"},
        "from": {"id": 7, "is_bot": False, "first_name": "An"},
        "text": "/help",
    },
}
ZALO_UPDATE: dict[str, Any] = {
    "event_name": "message.text.received",
    "message": {
        "from": {"id": "u-7", "display_name": "An", "is_bot": False},
        "chat": {"id": "u-7", "chat_type": "PRIVATE"},
        "message_id": "m-41",
        "date": 1750316131602,
        "text": "/help",
    },
}


def with_message(update: dict[str, Any], **changes: Any) -> str:
    return json.dumps({**update, "message": {**update["message"], **changes}})


TELEGRAM_MISTYPED = [
    "{}",
    '{"update_id": true}',
    '{"update_id": "41"}',
    '{"update_id": 41.5}',
    '{"update_id": -1}',
    '{"update_id": 99999999999999999999999}',
    '{"update_id": null}',
    '{"update_id": 41, "message": "hi"}',
    '{"update_id": 41, "message": [1]}',
    '{"update_id": 41, "callback_query": 1}',
    '{"update_id": 41, "callback_query": {"id": "1", "from": "me"}}',
    with_message(TELEGRAM_UPDATE, chat="7"),
    with_message(TELEGRAM_UPDATE, chat={"id": "7", "type": "private"}),
    with_message(TELEGRAM_UPDATE, text=5),
    with_message(TELEGRAM_UPDATE, **{"from": {"id": True}}),
]
ZALO_MISTYPED = [
    "{}",
    json.dumps({**ZALO_UPDATE, "event_name": True}),
    json.dumps({**ZALO_UPDATE, "message": "hi"}),
    with_message(ZALO_UPDATE, message_id=True),
    with_message(ZALO_UPDATE, message_id=4.5),
    with_message(ZALO_UPDATE, chat={"id": None}),
    with_message(ZALO_UPDATE, text=5),
]
# The same for both: too deep, not JSON that a database stores, not even JSON.
GARBAGE = [
    "[" * 2000 + "]" * 2000,
    '{"a":' * 2000 + "1" + "}" * 2000,
    "[" * 65 + "]" * 65,
    '{"update_id": NaN}',
    '{"update_id": 1e400}',
    '{"update_id": 41, "x": "\\ud800"}',
    "{" * 50_000,
]


@dataclass
class Hook:
    """One platform's webhook on a running server."""

    name: str
    base_url: str
    path: str
    secret_header: str
    secret: str
    good: dict[str, Any]

    @property
    def url(self) -> str:
        return self.base_url + self.path

    async def post(self, body: bytes | str) -> httpx.Response:
        headers = {"Content-Type": "application/json", self.secret_header: self.secret}
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(self.url, content=body, headers=headers)

    def update(self, number: int) -> str:
        """The good update under another delivery key (another chat too)."""
        if self.name == "telegram":
            message = {**self.good["message"], "chat": {"id": 100 + number, "type": "private"}}
            return json.dumps({**self.good, "update_id": 1000 + number, "message": message})
        message = {**self.good["message"], "message_id": f"m-{number}"}
        message["chat"] = {"id": f"u-{number}", "chat_type": "PRIVATE"}
        return json.dumps({**self.good, "message": message})


Start = Callable[..., AbstractAsyncContextManager[Hook]]


@pytest.fixture(params=["telegram", "zalo"])
def start(request: pytest.FixtureRequest, database: Database) -> Start:
    """``async with start(**settings) as hook``: the server with one platform's webhook."""

    def running(**changes: Any) -> AbstractAsyncContextManager[Hook]:
        return _running(request.param, request, database, **changes)

    return running


@asynccontextmanager
async def _running(
    name: str, request: pytest.FixtureRequest, database: Database, **changes: Any
) -> AsyncIterator[Hook]:
    if name == "telegram":
        changes.setdefault("link_secret", LINK_SECRET)
        async with (
            FakeTelegram.running() as fake,
            bot_running("webhook", fake, database, **changes) as bot,
        ):
            assert bot.webhook_url is not None
            base = bot.webhook_url.removesuffix("/telegram/webhook")
            yield Hook(
                name,
                base,
                "/telegram/webhook",
                "X-Telegram-Bot-Api-Secret-Token",
                fake_telegram.WEBHOOK_SECRET,
                TELEGRAM_UPDATE,
            )
    else:
        async with (
            FakeZalo.running() as fake,
            zalo_running("webhook", fake, database, **changes) as bot,
        ):
            yield Hook(
                name,
                bot.base_url,
                "/zalo/webhook",
                "X-Bot-Api-Secret-Token",
                fake_zalo.WEBHOOK_SECRET,
                ZALO_UPDATE,
            )


async def stored(db: Database) -> int:
    async with db.uow().reading() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(ChatUpdate)) or 0)


async def health(hook: Hook) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(f"{hook.base_url}/healthz")


async def settled(hook: Hook) -> dict[str, Any]:
    """/healthz once this process holds nothing waiting."""
    for _ in range(600):
        body: dict[str, Any] = (await health(hook)).json()
        if body["inbox"]["waiting"] == 0 and body["inbox"]["this_process"] == 0:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError("the updates were never handled")


async def test_bad_bodies_get_4xx_and_nothing_is_stored(start: Start, database: Database) -> None:
    async with start(webhook_max_bytes=64 * 1024) as hook:
        mistyped = TELEGRAM_MISTYPED if hook.name == "telegram" else ZALO_MISTYPED
        for body in [*GARBAGE, *mistyped]:
            response = await hook.post(body)
            assert response.status_code == 400, (body[:80], response.status_code)
        too_large = json.dumps({**hook.good, "padding": "x" * 70 * 1024})
        assert (await hook.post(too_large)).status_code == 413
        assert await stored(database) == 0
        # The server goes on: a good update afterwards is stored and handled.
        assert (await hook.post(hook.update(1))).status_code == 200
        await settled(hook)
    assert await stored(database) == 1


async def test_a_body_larger_than_announced_is_cut_at_the_limit(
    start: Start, database: Database
) -> None:
    async def endless() -> AsyncIterator[bytes]:
        yield b'{"padding": "'
        for _ in range(10_000):
            yield b"x" * 1024  # 10 MB in all, never announced: sent chunked

    async with start(webhook_max_bytes=64 * 1024) as hook:
        headers = {"Content-Type": "application/json", hook.secret_header: hook.secret}
        async with httpx.AsyncClient(timeout=30) as client:
            try:
                response = await client.post(hook.url, content=endless(), headers=headers)
                assert response.status_code == 413
            except httpx.TransportError:
                pass  # the server answered 413 and closed the connection mid-body
        assert (await hook.post(hook.update(2))).status_code == 200
        await settled(hook)
    assert await stored(database) == 1


async def trickle(base_url: str, path: str, headers: dict[str, str], start: bytes = b"") -> int:
    """POST a body announced as 1000 bytes: ``start``, then one byte every 0.1 s; the
    answer's status."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Length: 1000"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + start)
    answer = asyncio.ensure_future(reader.readline())
    try:
        for _ in range(1000):
            if answer.done():
                break
            writer.write(b"x")
            await writer.drain()
            await asyncio.wait({answer}, timeout=0.1)
        status_line = await asyncio.wait_for(answer, 30)
    finally:
        writer.close()
    return int(status_line.split()[1])


async def test_a_body_that_trickles_in_is_cut_off(start: Start, database: Database) -> None:
    async with start(body_seconds=1) as hook:
        headers = {"Content-Type": "application/json", hook.secret_header: hook.secret}
        assert await trickle(hook.base_url, hook.path, headers) == 408
        owner = Owner(hook.name, "7", "7", "vi")
        settings = await _settings_of(hook, database)
        upload = await Links(database, settings).upload(owner)
        path = upload.url.removeprefix(hook.base_url)
        form = {"Content-Type": "multipart/form-data; boundary=xyz"}
        part = (
            b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n"
        )
        assert await trickle(hook.base_url, path, form, part) == 408
        assert (await hook.post(hook.update(3))).status_code == 200
        await settled(hook)
    assert await stored(database) == 1


async def _settings_of(hook: Hook, database: Database) -> Any:
    from bot.settings import BotSettings

    return BotSettings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database.url,
        public_url=hook.base_url,
        link_secret=LINK_SECRET,
    )


async def test_past_the_inbox_bound_the_webhook_asks_to_retry_and_stores_nothing(
    start: Start, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = asyncio.Event()
    entered = asyncio.Event()
    handle = Dialogs.handle

    async def slow(self: Dialogs, *args: Any, **kwargs: Any) -> Any:
        entered.set()
        await release.wait()
        return await handle(self, *args, **kwargs)

    monkeypatch.setattr(Dialogs, "handle", slow)
    async with start(inbox_limit=1) as hook:
        assert (await hook.post(hook.update(1))).status_code == 200
        await asyncio.wait_for(entered.wait(), 30)
        busy = await hook.post(hook.update(2))
        assert busy.status_code == 503
        assert int(busy.headers["Retry-After"]) > 0
        assert await stored(database) == 1
        status = (await health(hook)).json()
        assert status["inbox"] == {"waiting": 1, "this_process": 1}
        release.set()
        await settled(hook)
        # Delivered again later, as the platform does: now taken.
        assert (await hook.post(hook.update(2))).status_code == 200
        await settled(hook)
    assert await stored(database) == 2


async def test_healthz_reads_while_another_process_holds_the_write_lock(
    start: Start, database: Database
) -> None:
    path = database.url.removeprefix("sqlite+aiosqlite:///")
    async with start() as hook:
        writer = sqlite3.connect(path, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("DELETE FROM chat_update")
            response = await health(hook)
        finally:
            writer.execute("ROLLBACK")
            writer.close()
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "inbox": {"waiting": 0, "this_process": 0},
    }


async def test_the_access_log_holds_no_link_token(
    start: Start,
    database: Database,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO)
    async with start() as hook:
        # The fake Bot API servers turn uvicorn's access log off; the bot's server logs it.
        monkeypatch.setattr(logging.getLogger("uvicorn.access"), "propagate", True)
        links = Links(database, await _settings_of(hook, database))
        owner = Owner(hook.name, "7", "7", "vi")
        download = await links.download(owner, "a.txt", "text/plain", b"hello")
        upload = await links.upload(owner)
        async with httpx.AsyncClient(timeout=30) as client:
            assert (await client.get(download.url)).content == b"hello"
            assert (await client.get(download.url)).status_code == 410
            assert (await client.get(upload.url)).status_code == 200
    tokens = [link.url.rsplit("/", 1)[1] for link in (download, upload)]
    access = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/files/…" in line for line in access), access
    assert any("/upload/…" in line for line in access), access
    for token in tokens:
        assert token not in caplog.text
        assert token.split(".")[0] not in caplog.text
