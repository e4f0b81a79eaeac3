"""Throughput of the Telegram path: this bot against a plain echo bot on the same setup.

    python bench/updates.py [--updates 1000] [--chats 20] [--rounds 3] [--telegram-limits]

Both bots are the real python-telegram-bot Application (long polling, ``concurrent_updates``,
the AIORateLimiter) talking HTTP to the tests' fake Bot API server on 127.0.0.1: getUpdates
brings the updates, sendMessage takes the answers. The echo bot sends each text back; this bot
runs the whole pipeline (the update stored in the inbox, the chat's turn, a dialog step that
loads and saves the conversation and marks the update handled in one transaction of a fresh
SQLite database, the rendering). Each round pushes
``--updates`` text messages spread over ``--chats`` chats, all at once, and times until the
last answer has been sent. A first, untimed round of the same size opens the HTTP connections
and creates the accounts and conversations; the best timed round is kept (the machines are
shared and noisy).

The fake server runs in a process of its own, as Telegram would: its CPU time is not charged to
the bots. (On the bots' event loop it would share their CPU, and under a burst of hundreds of
concurrent requests some would exceed python-telegram-bot's 5 s read timeout.)

It prints updates per second for both and the ratio bot/echo; the goal is >= 0.5. The limiter
is configured without its 30 messages a second cap by default, for both bots, otherwise both
would measure the cap; ``--telegram-limits`` keeps Telegram's limits. The script reports, it
does not judge: it exits 0 when the ratio misses the goal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' fake server

import httpx
from telegram import Update
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bot.channels import telegram
from bot.dialogs.engine import Dialogs
from bot.pipeline import Pipeline
from bot.settings import BotSettings
from registry.db import upgrade
from registry.uow import Database
from tests.e2e.fake_telegram import TOKEN, FakeTelegram

GOAL = 0.5
TEXT = "xin chào"  # not a command: a dialog step that reads and saves the conversation
FIRST_USER = 100_000


class Fake:
    """The fake server, wherever it runs, as the benchmark drives it (over HTTP)."""

    def __init__(self, base: str) -> None:
        self.base_url = f"{base}/bot"
        self.client = httpx.AsyncClient(base_url=base, timeout=60)

    async def push(self, chats: int, count: int) -> None:
        users = list(range(FIRST_USER, FIRST_USER + chats))
        order = {"users": users, "count": count, "text": TEXT}
        (await self.client.post("/_fake/push", json=order)).raise_for_status()

    async def count(self, method: str) -> int:
        response = await self.client.get("/_fake/counts")
        return int(response.json().get(method, 0))

    async def wait(self, method: str, at_least: int, seconds: float = 120) -> None:
        # Asking every 20 ms costs the bot under test about 1% of its time.
        deadline = time.monotonic() + seconds
        while await self.count(method) < at_least:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method}: fewer than {at_least} calls")
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def fake_server() -> AsyncIterator[Fake]:
    """The fake Bot API in a child process (this script with ``--serve-fake``)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve-fake", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        port = int(await process.stdout.readline())
        client = Fake(f"http://127.0.0.1:{port}")
        yield client
        await client.client.aclose()
    finally:
        process.terminate()
        await process.wait()


async def serve_fake() -> None:
    """``--serve-fake``: the fake server alone; prints its port, runs until SIGTERM."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with FakeTelegram.running() as fake:
        print(fake.port, flush=True)
        await stop.wait()


def limiter(telegram_limits: bool) -> AIORateLimiter:
    if telegram_limits:
        return AIORateLimiter(max_retries=3)
    return AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)


def echo_bot(fake: Fake, telegram_limits: bool) -> telegram.TelegramApp:
    """The baseline: same builder, same transport, no database, no dialogs."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat and update.message and update.message.text:
            await context.bot.send_message(update.effective_chat.id, update.message.text)

    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(telegram.file_url(fake.base_url))
        .rate_limiter(limiter(telegram_limits))
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(TypeHandler(Update, echo))
    return application


async def measure(
    fake: Fake, application: telegram.TelegramApp, args: argparse.Namespace
) -> tuple[float, float]:
    """Best updates per second over the timed rounds, and the answers per update."""
    stop = asyncio.Event()
    polling = asyncio.create_task(telegram.poll(application, stop))
    try:
        await fake.wait("getUpdates", 1)
        rates: list[float] = []
        answers = 1.0
        for round_ in range(args.rounds + 1):
            before = await fake.count("sendMessage")
            started = time.perf_counter()
            await fake.push(args.chats, args.updates)
            if round_ == 0:
                # Untimed: learn how many answers an update gets, once they have all come.
                await fake.wait("sendMessage", before + args.updates)
                await asyncio.sleep(1.0)
                answers = (await fake.count("sendMessage") - before) / args.updates
                continue
            await fake.wait("sendMessage", before + round(args.updates * answers))
            rates.append(args.updates / (time.perf_counter() - started))
        return max(rates), answers
    finally:
        stop.set()
        await polling


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as directory:
        database = Database(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")
        await upgrade(database.engine)
        try:
            async with fake_server() as fake:
                print(
                    f"{args.updates} text updates over {args.chats} chats, best of "
                    f"{args.rounds} rounds; SQLite; "
                    f"{'Telegram rate limits' if args.telegram_limits else 'no rate cap'}",
                    flush=True,
                )
                echo, _ = await measure(fake, echo_bot(fake, args.telegram_limits), args)
                print(f"  echo bot  {echo:8.1f} updates/s", flush=True)
                settings = BotSettings(
                    _env_file=None,  # type: ignore[call-arg]
                    database_url=database.url,
                    telegram_token=TOKEN,
                    telegram_base_url=fake.base_url,
                )
                pipeline = Pipeline(database, Dialogs(database, settings))
                ours_app = telegram.build_application(
                    settings,
                    pipeline,
                    polling=True,
                    rate_limiter=limiter(args.telegram_limits),
                )
                try:
                    ours, answers = await measure(fake, ours_app, args)
                finally:
                    await pipeline.close()
                print(f"  this bot  {ours:8.1f} updates/s ({answers:g} answer each)", flush=True)
        finally:
            await database.dispose()
    ratio = ours / echo
    verdict = "meets" if ratio >= GOAL else "MISSES"
    print(f"  ratio this/echo {ratio:.2f} ({verdict} the goal >= {GOAL})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=1000, help="updates per round")
    parser.add_argument("--chats", type=int, default=20, help="chats the updates come from")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best is kept")
    parser.add_argument("--telegram-limits", action="store_true", help="keep the 30 msg/s cap")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    asyncio.run(serve_fake() if arguments.serve_fake else main(arguments))
