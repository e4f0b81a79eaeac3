"""``spokes run --channel zalo`` and ``spokes serve`` with Zalo, as an operator starts them.

The fake Zalo (and Telegram) Bot API servers run in the test; the console script is a separate
process. A wrong configuration is one line and exit 1; a running bot answers, serves its file
links and /healthz, and stops cleanly on SIGTERM with exit 0, printing no token or secret.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.fake_telegram import TOKEN as TELEGRAM_TOKEN
from tests.e2e.fake_telegram import WEBHOOK_SECRET as TELEGRAM_SECRET
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.fake_zalo import TOKEN, WEBHOOK_SECRET, FakeZalo
from tests.e2e.test_telegram_cli import Spokes, finish, free_port, refused, spokes, vi

__all__ = ["spokes"]  # the fixture, shared with the Telegram CLI tests

OTHER_TOKEN = "9876543210:SomeOtherZaloTokenNotTheFakes_xyz"
LINK_SECRET = "a-link-secret-for-the-cli-tests-0123456789"


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo.running() as server:
        yield server


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as server:
        yield server


@pytest.mark.parametrize(
    ("token", "key"),
    [
        (None, "error.zalo.no_token"),
        ("", "error.zalo.no_token"),
        ("abc", "error.zalo.bad_token"),
        ("123:short", "error.zalo.bad_token"),
        ("1234567890:has spaces in the token!!", "error.zalo.bad_token"),
    ],
)
async def test_run_zalo_with_a_missing_or_malformed_token_is_one_line(
    spokes: Spokes, token: str | None, key: str
) -> None:
    settings = {} if token is None else {"zalo_token": token}
    assert refused(await spokes("run", "--channel", "zalo", **settings)) == vi(key)


async def test_an_unknown_channel_is_refused(spokes: Spokes) -> None:
    result = await spokes("run", "--channel", "signal")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "signal" in result.stderr


async def test_serve_with_zalo_needs_its_webhook_secret_and_a_long_link_key(
    spokes: Spokes, zalo: FakeZalo
) -> None:
    base = {"zalo_token": TOKEN, "zalo_base_url": zalo.base_url}
    for secret in (None, "short", "with spaces in the secret"):
        settings = dict(base) if secret is None else {**base, "zalo_webhook_secret": secret}
        assert refused(await spokes("serve", **settings)) == vi("error.zalo.bad_webhook_secret")
    short_key = {**base, "zalo_webhook_secret": WEBHOOK_SECRET, "link_secret": "too-short"}
    assert refused(await spokes("serve", **short_key)) == vi("error.links.short_secret")
    assert zalo.calls == []  # refused before talking to Zalo


async def test_a_token_zalo_rejects_is_one_line_and_never_printed(
    spokes: Spokes, zalo: FakeZalo
) -> None:
    result = await spokes(
        "run",
        "--channel",
        "zalo",
        zalo_token=OTHER_TOKEN,
        zalo_base_url=zalo.base_url,
        port=str(free_port()),
    )
    assert refused(result) == vi("error.zalo.rejected_token")
    assert OTHER_TOKEN not in result.stderr + result.stdout


async def test_an_unreachable_zalo_is_one_line(spokes: Spokes) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/bot"
    result = await spokes(
        "run", "--channel", "zalo", zalo_token=TOKEN, zalo_base_url=nobody, port=str(free_port())
    )
    # Each retry is logged as it happens; then one line says what is wrong, and no traceback.
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert all("retry" in line for line in result.lines[:-1])
    line = result.lines[-1]
    assert line.startswith(vi("error.zalo.unreachable", detail="").split("(")[0]), line
    assert TOKEN not in result.stderr


async def test_run_zalo_answers_by_polling_and_stops_cleanly(
    spokes: Spokes, zalo: FakeZalo
) -> None:
    port = free_port()
    process = await spokes.start(
        "run",
        "--channel",
        "zalo",
        zalo_token=TOKEN,
        zalo_base_url=zalo.base_url,
        port=str(port),
        link_secret=LINK_SECRET,
    )
    try:
        await zalo.wait_for(lambda: bool(zalo.calls_of("getUpdates")), seconds=30)
        assert zalo.calls_of("deleteWebhook")  # getUpdates does not work beside a webhook
        user = zalo.user("u-31")
        await user.send("/start")
        welcome, question = await user.replies(2)
        assert welcome == vi("bot.start.welcome")
        assert question.endswith("Trả lời 1 hoặc 2 (hoặc gõ “hủy” để dừng)")
        async with httpx.AsyncClient() as client:  # the file links' web server is up
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.json()["status"] == "ok" and health.json()["database"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        result = await finish(process)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    assert LINK_SECRET not in result.stderr + result.stdout


async def test_serve_runs_telegram_and_zalo_behind_one_server(
    spokes: Spokes, zalo: FakeZalo, telegram: FakeTelegram
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = await spokes.start(
        "serve", "--port", str(port),
        telegram_token=TELEGRAM_TOKEN, telegram_base_url=telegram.base_url,
        telegram_webhook_secret=TELEGRAM_SECRET, telegram_webhook_url=f"{base}/telegram/webhook",
        zalo_token=TOKEN, zalo_base_url=zalo.base_url, zalo_webhook_secret=WEBHOOK_SECRET,
        zalo_webhook_url=f"{base}/zalo/webhook", public_url=base,
    )  # fmt: skip
    try:
        await zalo.wait_for(lambda: bool(zalo.calls_of("setWebhook")), seconds=30)
        await telegram.wait_for(lambda: bool(telegram.calls_of("setWebhook")), seconds=30)
        assert zalo.webhook == (f"{base}/zalo/webhook", WEBHOOK_SECRET)
        on_zalo = zalo.user("u-32")
        await on_zalo.send("/help")
        [help_text] = await on_zalo.replies(1)
        assert help_text.startswith(vi("bot.help.intro"))
        on_telegram = telegram.user(832)
        await on_telegram.send("/help")
        [answer] = await on_telegram.replies(1)
        assert answer.text.startswith(vi("bot.help.intro"))
        async with httpx.AsyncClient() as client:
            health = await client.get(f"{base}/healthz")
            crossed = await client.post(
                f"{base}/zalo/webhook", json={}, headers={"X-Bot-Api-Secret-Token": TELEGRAM_SECRET}
            )
        assert health.json()["status"] == "ok" and health.json()["database"] == "ok"
        assert crossed.status_code == 403  # each webhook checks its own secret
    finally:
        process.send_signal(signal.SIGTERM)
        result = await finish(process)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for secret in (TOKEN, WEBHOOK_SECRET, TELEGRAM_TOKEN, TELEGRAM_SECRET):
        assert secret not in result.stderr + result.stdout
