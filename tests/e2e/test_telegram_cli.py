"""``spokes run`` and ``spokes serve`` as an operator starts them: the installed console script.

The fake Bot API runs in the test; the script is a separate process. A wrong configuration is
one line on stderr and exit 1, never a traceback; a running bot answers, then stops cleanly on
SIGTERM or Ctrl-C (SIGINT) with exit 0, and the token never appears in what it prints.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.texts import t
from registry import catalog
from registry.actors import Actor
from registry.db import upgrade
from registry.uow import Database
from tests.e2e.fake_telegram import TOKEN, WEBHOOK_SECRET, FakeTelegram

SCRIPT = shutil.which("spokes", path=os.path.dirname(sys.executable))
pytestmark = pytest.mark.skipif(SCRIPT is None, reason="the spokes console script is not installed")

OTHER_TOKEN = "987654321:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"  # well formed, not the fake's


def vi(key: str, **params: str) -> str:
    return t("vi", key, **params)


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stderr.strip().splitlines()


@dataclass
class Spokes:
    """The console script in its own directory, on a migrated SQLite file of its own."""

    directory: Path
    env: dict[str, str]

    async def start(self, *args: str, **settings: str) -> asyncio.subprocess.Process:
        assert SCRIPT is not None
        env = {**self.env, **{f"SPOKES_{k.upper()}": v for k, v in settings.items()}}
        return await asyncio.create_subprocess_exec(
            SCRIPT,
            *args,
            cwd=self.directory,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    async def __call__(self, *args: str, **settings: str) -> Finished:
        return await finish(await self.start(*args, **settings))


async def finish(process: asyncio.subprocess.Process, seconds: float = 60) -> Finished:
    stdout, stderr = await asyncio.wait_for(process.communicate(), seconds)
    assert process.returncode is not None
    return Finished(process.returncode, stdout.decode(), stderr.decode())


@pytest.fixture
async def spokes(tmp_path: Path) -> Spokes:
    url = f"sqlite+aiosqlite:///{tmp_path / 'spokes.db'}"
    database = Database(url)
    try:
        # Upgraded, with its agencies: only the bot's own messages are printed.
        await upgrade(database.engine)
        await catalog.load_edition(database.uow(), Actor.system("test"), "2025")
    finally:
        await database.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOKES_")}
    env["SPOKES_DATABASE_URL"] = url
    return Spokes(tmp_path, env)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as server:
        yield server


def refused(result: Finished) -> str:
    """Exit 1, one line on stderr, no traceback: that line."""
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    assert len(result.lines) == 1, result.stderr
    return result.lines[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- configuration errors -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "serve"])
@pytest.mark.parametrize(
    ("token", "key"),
    [
        (None, "error.telegram.no_token"),
        ("", "error.telegram.no_token"),
        ("abc", "error.telegram.bad_token"),
        ("123456789:short", "error.telegram.bad_token"),
    ],
)
async def test_a_missing_or_malformed_token_is_one_line(
    spokes: Spokes, command: str, token: str | None, key: str
) -> None:
    settings = {} if token is None else {"telegram_token": token}
    if command == "serve" and token is None:
        key = "error.web.no_channel"  # serve runs whichever channels are configured
    assert refused(await spokes(command, **settings)) == vi(key)


async def test_serve_needs_a_webhook_secret(spokes: Spokes, fake: FakeTelegram) -> None:
    for secret in (None, "short", "with spaces in the secret"):
        settings = {"telegram_token": TOKEN, "telegram_base_url": fake.base_url}
        if secret is not None:
            settings["telegram_webhook_secret"] = secret
        line = refused(await spokes("serve", **settings))
        assert line == vi("error.telegram.bad_webhook_secret")
    assert fake.calls == []  # refused before talking to Telegram


@pytest.mark.parametrize("command", ["run", "serve"])
async def test_a_token_telegram_rejects_is_one_line(
    spokes: Spokes, fake: FakeTelegram, command: str
) -> None:
    options = ["--port", str(free_port())] if command == "serve" else []
    result = await spokes(
        command,
        *options,
        telegram_token=OTHER_TOKEN,
        telegram_base_url=fake.base_url,
        telegram_webhook_secret=WEBHOOK_SECRET,
    )
    assert refused(result) == vi("error.telegram.rejected_token")
    assert OTHER_TOKEN not in result.stderr + result.stdout
    assert [call.method for call in fake.calls] == []  # the fake refused it before recording


async def test_an_unreachable_bot_api_is_one_line(spokes: Spokes) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/bot"
    result = await spokes("run", telegram_token=TOKEN, telegram_base_url=nobody)
    prefix = vi("error.telegram.unreachable", detail="").split("(")[0]
    line = refused(result)
    assert line.startswith(prefix), line
    assert TOKEN not in result.stderr


# --- running and stopping -----------------------------------------------------------------------


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_run_answers_by_polling_and_stops_cleanly(
    spokes: Spokes, fake: FakeTelegram, stop_signal: signal.Signals
) -> None:
    process = await spokes.start("run", telegram_token=TOKEN, telegram_base_url=fake.base_url)
    try:
        await fake.wait_for(lambda: bool(fake.calls_of("getUpdates")), seconds=30)
        user = fake.user(801)
        await user.send("/start")
        welcome, _question = await user.replies(2)
        assert welcome.text == vi("bot.start.welcome")
    finally:
        process.send_signal(stop_signal)
        result = await finish(process)
    # 0, not -15 or 130: the signal was caught and the bot shut down in order.
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_serve_registers_its_webhook_answers_and_stops_cleanly(
    spokes: Spokes, fake: FakeTelegram, stop_signal: signal.Signals
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    process = await spokes.start(
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        telegram_token=TOKEN,
        telegram_base_url=fake.base_url,
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_webhook_url=url,
    )
    try:
        await fake.wait_for(lambda: bool(fake.calls_of("setWebhook")), seconds=30)
        assert fake.webhook == (url, WEBHOOK_SECRET)
        user = fake.user(802)
        await user.send("/start")  # posted by the fake to the process's webhook
        welcome, _question = await user.replies(2)
        assert welcome.text == vi("bot.start.welcome")
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.json()["status"] == "ok" and health.json()["database"] == "ok"
    finally:
        process.send_signal(stop_signal)
        result = await finish(process)
    # 0, not -15 or 130: the signal was caught and the bot shut down in order.
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    assert WEBHOOK_SECRET not in result.stderr + result.stdout
