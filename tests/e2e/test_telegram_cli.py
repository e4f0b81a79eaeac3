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
from tests.builders import INVITATION_SECRET
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


# serve with no token at all is no error: it serves the web pages alone (tests below).
@pytest.mark.parametrize(
    ("command", "token", "key"),
    [
        ("run", None, "error.telegram.no_token"),
        *[
            (command, token, key)
            for command in ("run", "serve")
            for token, key in (
                ("", "error.telegram.no_token"),
                ("abc", "error.telegram.bad_token"),
                ("123456789:short", "error.telegram.bad_token"),
            )
        ],
    ],
)
async def test_a_missing_or_malformed_token_is_one_line(
    spokes: Spokes, command: str, token: str | None, key: str
) -> None:
    settings = {} if token is None else {"telegram_token": token}
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


# --- no channel: the web pages alone, links minted by `spokes links` ------------------------------

LINK_SECRET = "l" * 40


async def healthy(port: int, process: asyncio.subprocess.Process) -> httpx.Response:
    """/healthz once the server listens (the process is starting up)."""
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            assert process.returncode is None, "serve stopped"
            try:
                return await client.get(f"http://127.0.0.1:{port}/healthz")
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError("serve never answered /healthz")


async def test_serve_without_any_channel_serves_the_upload_page_and_downloads(
    spokes: Spokes,
) -> None:
    """The whole web flow without a token: serve, then links minted by another process."""
    port = free_port()
    process = await spokes.start(
        "serve", "--host", "127.0.0.1", "--port", str(port), link_secret=LINK_SECRET
    )
    try:
        health = await healthy(port, process)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert (await spokes("accounts", "grant", "console:7", "staff")).returncode == 0
        minted = await spokes(
            "links", "upload", "--for", "console:7", link_secret=LINK_SECRET, port=str(port)
        )
        assert minted.returncode == 0, minted.stderr
        url = minted.stdout.strip()
        assert url.startswith(f"http://127.0.0.1:{port}/upload/")
        assert "SPOKES_LINK_SECRET" in minted.stderr  # it says where the link opens
        (spokes.directory / "danh-sach.csv").write_bytes(b"a,b\n")
        download = await spokes(
            "links",
            "download",
            "danh-sach.csv",
            "--for",
            "console:7",
            link_secret=LINK_SECRET,
            port=str(port),
        )
        assert download.returncode == 0, download.stderr
        async with httpx.AsyncClient() as client:
            page = await client.get(url)
            assert page.status_code == 200
            assert vi("web.upload.check") in page.text
            file_url = download.stdout.strip()
            assert (await client.head(file_url)).status_code == 200  # a preview
            got = await client.get(file_url)
            assert (got.status_code, got.content) == (200, b"a,b\n")
            assert (await client.get(file_url)).status_code == 410
    finally:
        process.send_signal(signal.SIGTERM)
        result = await finish(process)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # The log says which channels are off.
    assert "Telegram is off: SPOKES_TELEGRAM_TOKEN is not set" in result.stderr
    assert "Zalo is off: SPOKES_ZALO_TOKEN is not set" in result.stderr
    assert LINK_SECRET not in result.stderr + result.stdout


async def test_a_link_minted_with_another_secret_does_not_open(spokes: Spokes) -> None:
    port = free_port()
    process = await spokes.start(
        "serve", "--host", "127.0.0.1", "--port", str(port), link_secret=LINK_SECRET
    )
    try:
        await healthy(port, process)
        assert (await spokes("accounts", "grant", "console:7", "staff")).returncode == 0
        minted = await spokes(
            "links", "upload", "--for", "console:7", link_secret="m" * 40, port=str(port)
        )
        async with httpx.AsyncClient() as client:
            page = await client.get(minted.stdout.strip())
        assert page.status_code == 403
        assert vi("web.refused.tampered") in page.text
    finally:
        process.send_signal(signal.SIGTERM)
        assert (await finish(process)).returncode == 0


async def test_serve_without_a_channel_or_a_link_secret_warns_that_minted_links_will_fail(
    spokes: Spokes,
) -> None:
    port = free_port()
    process = await spokes.start("serve", "--host", "127.0.0.1", "--port", str(port))
    try:
        await healthy(port, process)
    finally:
        process.send_signal(signal.SIGTERM)
        result = await finish(process)
    assert result.returncode == 0, result.stderr
    assert "SPOKES_LINK_SECRET is not set" in result.stderr


@pytest.mark.parametrize(
    ("args", "settings", "key", "params"),
    [
        (("upload",), {}, "error.links.cli.no_secret", {}),
        (("download", "x.csv"), {}, "error.links.cli.no_secret", {}),
        (("upload",), {"link_secret": "short"}, "error.links.short_secret", {}),
        (
            ("upload", "--for", "console:8"),
            {"link_secret": LINK_SECRET},
            "error.links.cli.may_not_import",
            {"identity": "console:8"},
        ),
        (
            ("download", "nope.csv"),
            {"link_secret": LINK_SECRET},
            "error.links.cli.no_file",
            {"path": "nope.csv"},
        ),
    ],
)
async def test_links_refuses_what_would_not_open_in_one_line(
    spokes: Spokes,
    args: tuple[str, ...],
    settings: dict[str, str],
    key: str,
    params: dict[str, str],
) -> None:
    assert refused(await spokes("links", *args, **settings)) == vi(key, **params)


async def test_links_refuses_a_malformed_identity_in_one_line(spokes: Spokes) -> None:
    line = refused(await spokes("links", "upload", "--for", "bad", link_secret=LINK_SECRET))
    assert "bad" in line and "console" in line


async def test_links_refuses_a_file_over_the_size_limit_in_one_line(spokes: Spokes) -> None:
    (spokes.directory / "big.csv").write_bytes(b"x" * 2048)
    line = refused(
        await spokes(
            "links", "download", "big.csv", link_secret=LINK_SECRET, import_max_bytes="1024"
        )
    )
    assert line == vi("error.links.cli.too_large", path="big.csv", size="0.002", max="0.00098")


# --- invitations ------------------------------------------------------------------------------


async def test_invite_names_the_bot_as_telegram_knows_it(
    spokes: Spokes, fake: FakeTelegram
) -> None:
    made = await spokes(
        "invite",
        "--agency",
        "Lào Cai",
        invitation_secret=INVITATION_SECRET,
        telegram_token=TOKEN,
        telegram_base_url=fake.base_url,
    )
    assert made.returncode == 0, made.stderr
    assert "Telegram: https://t.me/spokes_test_bot?start=" in made.stdout
    assert any(c.method == "getMe" for c in fake.calls)
    assert TOKEN not in made.stdout + made.stderr
    assert INVITATION_SECRET not in made.stdout + made.stderr
