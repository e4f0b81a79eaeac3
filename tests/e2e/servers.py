"""``spokes serve`` as real processes of the installed command, against the fake Bot API.

``async with serving(fake, url, log) as server:`` starts one on a free port, with the Telegram
webhook (not registered with the fake: the test posts to ``server.webhook`` itself), and the
Zalo webhook too when given a fake Zalo (``zalo=``, posted to at ``server.zalo_webhook``), waits
until ``/healthz`` answers, and at exit stops it with SIGTERM, as a service manager would: it
finishes what it has stored before it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.e2e import fake_zalo
from tests.e2e.cli_runner import SCRIPT
from tests.e2e.fake_telegram import TOKEN, WEBHOOK_SECRET, FakeTelegram

START_SECONDS = 30.0


@dataclass
class Server:
    process: asyncio.subprocess.Process
    url: str
    log: Path

    @property
    def webhook(self) -> str:
        return f"{self.url}/telegram/webhook"

    @property
    def zalo_webhook(self) -> str:
        return f"{self.url}/zalo/webhook"

    async def kill(self) -> None:
        """``kill -9``: the process dies at once, whatever it was doing."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    async def exited(self, seconds: float = 30.0) -> int:
        """Wait for the process to end by itself; its exit code."""
        return await asyncio.wait_for(self.process.wait(), seconds)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(
    fake: FakeTelegram,
    database_url: str,
    log: Path,
    *,
    zalo: fake_zalo.FakeZalo | None = None,
    **environment: str,
) -> AsyncIterator[Server]:
    assert SCRIPT is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOKES_")}
    env.update(
        SPOKES_DATABASE_URL=database_url,
        SPOKES_TELEGRAM_TOKEN=TOKEN,
        SPOKES_TELEGRAM_BASE_URL=fake.base_url,
        SPOKES_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        **environment,
    )
    if zalo is not None:
        env.update(
            SPOKES_ZALO_TOKEN=fake_zalo.TOKEN,
            SPOKES_ZALO_BASE_URL=zalo.base_url,
            SPOKES_ZALO_WEBHOOK_SECRET=fake_zalo.WEBHOOK_SECRET,
        )
    port = free_port()
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            SCRIPT,
            "serve",
            "--port",
            str(port),
            env=env,
            cwd=log.parent,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=output,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        await _healthy(server)
        yield server
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)


async def _healthy(server: Server) -> None:
    """Wait until the server answers /healthz (it may first upgrade the database)."""
    deadline = time.monotonic() + START_SECONDS
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            assert server.process.returncode is None, server.log.read_text()
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{server.url}/healthz")).status_code == 200:
                    return
            assert time.monotonic() < deadline, server.log.read_text()
            await asyncio.sleep(0.05)
