"""A burst of webhook updates through a real ``spokes serve`` process: nothing lost, nothing
twice, and what it costs next to a bare python-telegram-bot echo bot on the same setup.

    python bench/load.py [--updates 5000] [--users 500] [--concurrency 64]
                         [--backend sqlite|postgres|both] [--postgres-url URL]

Three kinds of process, as in production: the fake Telegram Bot API of the tests
(``tests/e2e/fake_telegram.py``) in a process of its own, the bot in a process of its own, and
this script posting the updates to the bot's webhook the way Telegram does (``--concurrency``
requests in flight, each update posted until it gets a 200: a 429 or 5xx is counted as refused
and sent again a moment later). The updates come from ``--users`` private chats in turn; each
is a command naming its own update (``/b1234``), so each answer tells which update it answers.

The bots measured, each against a fresh fake:

1. the baseline: a bare python-telegram-bot Application (``concurrent_updates``) behind a bare
   Starlette webhook that puts each update in the Application's queue and echoes each text
   (this script with ``--serve-echo``);
2. ``spokes serve`` on SQLite (a temporary file) and/or PostgreSQL (a scratch database
   ``spokes_bench_load_<hex>`` on the server of ``--postgres-url``, dropped at the end): every
   update stored in the inbox before its 200, then handled by the pipeline (the chat's turn,
   a dialog step in one transaction, the answer sent).

For each it prints the answers (= updates, or not), apologies (0 expected), updates answered
more than once (0 expected), updates never answered, refused posts, the peak RSS of the bot's
process, throughput (updates per second from the first post to the last answer) and CPU
seconds per update of the bot's process (user + system, the same interval); and for
``spokes serve`` each as a ratio to the baseline measured in the same run (the goal for
throughput is >= 0.5). The bot is stopped with SIGTERM before its answers are counted, so an
answer sent twice while it drains is counted too. The script reports, it does not judge: it
exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' fake server

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.texts import t
from tests.e2e.fake_telegram import TOKEN, WEBHOOK_SECRET, FakeTelegram

GOAL = 0.5
FIRST_USER = 200_000
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
STALL_SECONDS = 60.0  # no new answer for this long: the run is over, whatever is missing
DEFAULT_POSTGRES = os.environ.get(
    "SPOKES_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
SPOKES = shutil.which("spokes", path=os.path.dirname(sys.executable))


# --- the fake Bot API, in its own process ------------------------------------------------------


class LoadFake(FakeTelegram):
    """The tests' fake, with one more control route: every text sent, for the count."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__(token)
        self.app.router.routes.append(Route("/_fake/texts", self._texts, methods=["GET"]))

    async def _texts(self, request: Request) -> Response:
        return JSONResponse([m.text for sent in self.sent.values() for m in sent])


async def serve_fake() -> None:
    """``--serve-fake``: the fake server alone; prints its port, runs until SIGTERM."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with LoadFake.running() as fake:
        print(fake.port, flush=True)
        await stop.wait()


@contextlib.asynccontextmanager
async def fake_server() -> AsyncIterator[str]:
    """A fresh fake in a child process; its base URL (``http://127.0.0.1:PORT``)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve-fake", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        port = int(await process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


# --- the baseline: a bare python-telegram-bot echo bot behind a bare Starlette webhook ---------


async def serve_echo(port: int, fake_base: str) -> None:
    """``--serve-echo PORT``: the echo bot's web server until SIGTERM."""
    import uvicorn
    from starlette.applications import Starlette
    from telegram import Update
    from telegram.ext import Application, ContextTypes, TypeHandler

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat and update.message and update.message.text:
            await context.bot.send_message(update.effective_chat.id, update.message.text)

    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{fake_base}/bot")
        .concurrent_updates(True)
        .updater(None)
        .build()
    )
    application.add_handler(TypeHandler(Update, echo))

    async def webhook(request: Request) -> Response:
        if request.headers.get(SECRET_HEADER) != WEBHOOK_SECRET:
            return Response(status_code=403)
        update = Update.de_json(await request.json(), application.bot)
        await application.update_queue.put(update)
        return Response(status_code=200)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/telegram/webhook", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
    stop = asyncio.Event()
    async with application:
        await application.start()
        serving = asyncio.create_task(server.serve())
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        server.should_exit = True
        await serving
        await application.stop()


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Figures:
    name: str
    updates: int
    answers: int
    apologies: int
    duplicates: int  # updates answered more than once
    unanswered: int
    refused: int  # posts that got no 200 (sent again)
    peak_rss_mb: float
    seconds: float
    cpu_seconds: float

    @property
    def throughput(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_update(self) -> float:
        return self.cpu_seconds / self.updates


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tail(log: Path) -> str:
    return log.read_text()[-2000:]


async def healthy(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the bot exited at start:\n{tail(log)}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the bot did not start:\n{tail(log)}")


def updates(count: int, users: int) -> list[dict[str, Any]]:
    """``count`` commands from ``users`` chats in turn, each naming its own update id."""
    made = []
    for update_id, n in zip(itertools.count(1), range(count), strict=False):
        user_id = FIRST_USER + n % users
        text = f"/b{update_id}"
        sender = {"id": user_id, "is_bot": False, "first_name": "An", "language_code": "vi"}
        made.append(
            {
                "update_id": update_id,
                "message": {
                    "message_id": update_id,
                    "date": int(time.time()),
                    "chat": {"id": user_id, "type": "private", "first_name": "An"},
                    "from": sender,
                    "text": text,
                    "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
                },
            }
        )
    return made


async def post_all(url: str, burst: list[dict[str, Any]], concurrency: int) -> int:
    """Post every update until it gets a 200, ``concurrency`` at a time; posts refused."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for update in burst:
        queue.put_nowait(update)
    refused = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal refused
        while not queue.empty():
            update = queue.get_nowait()
            while True:
                try:
                    response = await client.post(
                        url, content=json.dumps(update), headers={SECRET_HEADER: WEBHOOK_SECRET}
                    )
                    if response.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                refused += 1
                await asyncio.sleep(0.2)

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return refused


async def sent_count(client: httpx.AsyncClient) -> int:
    return int((await client.get("/_fake/counts")).json().get("sendMessage", 0))


async def until_answered(client: httpx.AsyncClient, expected: int) -> float:
    """Wait until ``expected`` answers were sent, or none came for a while; when the last came."""
    last, last_at = -1, time.perf_counter()
    while True:
        sent = await sent_count(client)
        if sent != last:
            last, last_at = sent, time.perf_counter()
        if sent >= expected or time.perf_counter() - last_at > STALL_SECONDS:
            return last_at
        await asyncio.sleep(0.05)


async def measure(
    name: str, argv: list[str], env: dict[str, str], port: int, fake: str, args: argparse.Namespace
) -> Figures:
    """Start the bot, post the burst, wait for the answers, stop it, count."""
    burst = updates(args.updates, args.users)
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "bot.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                *argv, env=env, cwd=directory, stdout=asyncio.subprocess.DEVNULL, stderr=output
            )
        url = f"http://127.0.0.1:{port}"
        try:
            await healthy(url, process, log)
            async with httpx.AsyncClient(base_url=fake, timeout=30) as control:
                cpu_before = cpu_seconds(process.pid)
                started = time.perf_counter()
                refused = await post_all(f"{url}/telegram/webhook", burst, args.concurrency)
                finished = await until_answered(control, args.updates)
                cpu = cpu_seconds(process.pid) - cpu_before
                rss = peak_rss_mb(process.pid)
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 300)
                texts: list[str] = (await control.get("/_fake/texts")).json()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        errors = sum(" ERROR " in line for line in log.read_text().splitlines())
    apology = t("vi", "bot.internal_error")
    per_update: Counter[str] = Counter()
    for text in texts:
        # "/b123" (the echo) or "Không có lệnh /b123. ..." (this bot): the update it answers.
        for word in text.replace(".", " ").split():
            if word.startswith("/b") and word[2:].isdigit():
                per_update[word] += 1
                break
    if errors:
        print(f"  ({name}: {errors} ERROR lines in its log)", flush=True)
    return Figures(
        name=name,
        updates=args.updates,
        answers=len(texts),
        apologies=sum(text == apology for text in texts),
        duplicates=sum(1 for n in per_update.values() if n > 1),
        unanswered=args.updates - len(per_update),
        refused=refused,
        peak_rss_mb=rss,
        seconds=finished - started,
        cpu_seconds=cpu,
    )


async def echo_figures(args: argparse.Namespace) -> Figures:
    async with fake_server() as fake:
        port = free_port()
        argv = [sys.executable, __file__, "--serve-echo", str(port), "--fake", fake]
        return await measure("echo bot", argv, dict(os.environ), port, fake, args)


async def spokes_figures(backend: str, url: str, args: argparse.Namespace) -> Figures:
    assert SPOKES is not None, "the spokes console script is not installed"
    async with fake_server() as fake:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPOKES_")}
        env.update(
            SPOKES_DATABASE_URL=url,
            SPOKES_TELEGRAM_TOKEN=TOKEN,
            SPOKES_TELEGRAM_BASE_URL=f"{fake}/bot",
            SPOKES_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
            # Telegram's 30 messages a second would be measured instead of the bot (the echo
            # bot has no cap either).
            SPOKES_TELEGRAM_MAX_RATE="0",
        )
        argv = [SPOKES, "serve", "--host", "127.0.0.1", "--port", str(port)]
        return await measure(f"spokes {backend}", argv, env, port, fake, args)


@contextlib.asynccontextmanager
async def scratch_postgres(server_url: str) -> AsyncIterator[str | None]:
    """A new database on the server, dropped at the end; None if the server is out of reach."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"spokes_bench_load_{uuid.uuid4().hex[:10]}"
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        print(f"  PostgreSQL skipped: {type(error).__name__}: {str(error)[:200]}")
        await engine.dispose()
        yield None
        return
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()


def show(figures: Figures, baseline: Figures | None) -> None:
    f = figures
    print(f"  {f.name}")
    print(
        f"    answers {f.answers} for {f.updates} updates "
        f"({'= updates' if f.answers == f.updates else 'NOT = updates'}); "
        f"apologies {f.apologies}; answered twice {f.duplicates}; never answered {f.unanswered}; "
        f"posts refused {f.refused}"
    )
    line = (
        f"    peak RSS {f.peak_rss_mb:6.1f} MB; {f.throughput:7.1f} updates/s; "
        f"{f.cpu_per_update * 1000:6.2f} ms CPU per update"
    )
    if baseline is not None and baseline is not figures:
        line += (
            f"\n    ratio to the echo bot: RSS {f.peak_rss_mb / baseline.peak_rss_mb:.2f}x, "
            f"throughput {f.throughput / baseline.throughput:.2f}x "
            f"({'meets' if f.throughput / baseline.throughput >= GOAL else 'MISSES'} the goal "
            f">= {GOAL}), CPU per update {f.cpu_per_update / baseline.cpu_per_update:.2f}x"
        )
    print(line, flush=True)


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    print(
        f"{args.updates} webhook updates from {args.users} users, {args.concurrency} posts in "
        f"flight; each bot in its own process against a fake Bot API in another",
        flush=True,
    )
    baseline = await echo_figures(args)
    show(baseline, None)
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'load.db'}"
            show(await spokes_figures("sqlite", url, args), baseline)
    if args.backend in ("postgres", "both"):
        async with scratch_postgres(args.postgres_url) as url:
            if url is not None:
                show(await spokes_figures("postgres", url, args), baseline)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=5000, help="updates in the burst")
    parser.add_argument("--users", type=int, default=500, help="chats the updates come from")
    parser.add_argument("--concurrency", type=int, default=64, help="posts in flight at once")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES, help="server for the scratch database"
    )
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-echo", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fake", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_fake:
        asyncio.run(serve_fake())
    elif arguments.serve_echo:
        asyncio.run(serve_echo(arguments.serve_echo, arguments.fake))
    else:
        asyncio.run(main(arguments))
