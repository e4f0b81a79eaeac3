"""The one web server (Starlette on uvicorn): platform webhooks, file links, a health check.

Each chat platform contributes a :class:`Webhook` (its path, the header carrying the shared
secret, and what to do with a body); the server checks the secret and the JSON the same way for
all of them, Telegram's and Zalo's alike. A webhook answers 200 once the update is stored in
the pipeline's inbox, and it is handled in the background, as the platforms expect: a
platform that got no 200 (the database was down: 500) delivers the update again. The download
and upload pages of :mod:`bot.web_files` are served beside them.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from registry.uow import Database

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 5.0


class MalformedUpdate(ValueError):
    """A body that is JSON but not an update of the platform."""


@dataclass(frozen=True)
class Webhook:
    path: str  # "/telegram/webhook"
    secret_header: str  # the header in which the platform repeats the secret we registered
    secret: str
    # Store the parsed JSON for handling; MalformedUpdate if it is no update of the platform.
    accept: Callable[[Any], Awaitable[None]]


def _same_secret(given: str | None, expected: str) -> bool:
    # Header values arrive decoded as latin-1; comparing bytes in constant time accepts any.
    return hmac.compare_digest((given or "").encode("latin-1"), expected.encode("latin-1"))


def _endpoint(hook: Webhook) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        if not _same_secret(request.headers.get(hook.secret_header), hook.secret):
            log.warning("%s: request without the right secret refused", hook.path)
            return PlainTextResponse("forbidden", status_code=403)
        try:
            body = json.loads(await request.body())
            await hook.accept(body)
        except (ValueError, MalformedUpdate) as error:  # JSONDecodeError is a ValueError
            log.warning("%s: malformed update refused: %s", hook.path, str(error)[:200])
            return PlainTextResponse("malformed update", status_code=400)
        return Response(status_code=200)

    return receive


def create_app(
    database: Database, webhooks: Sequence[Webhook], pages: Sequence[BaseRoute] = ()
) -> Starlette:
    """The ASGI app: ``POST`` on each webhook's path, ``GET /healthz``, and ``pages`` (the
    download and upload links)."""

    async def healthz(request: Request) -> Response:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                async with database.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("health check: database unavailable: %s", type(error).__name__)
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok"})

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    routes += [Route(hook.path, _endpoint(hook), methods=["POST"]) for hook in webhooks]
    routes += pages
    return Starlette(routes=routes)


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The caller owns SIGINT/SIGTERM: one handler stops the web server and the bot in order
        # (uvicorn's own would re-raise the signal after its shutdown and skip ours).
        yield


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything else starts: a port in use fails early.

    ``port`` 0 picks a free port (the tests read it back with ``getsockname``).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=2048)
    # Accepted connections inherit this: an answer written in two parts (headers, then body)
    # would otherwise wait some 40 ms for the client's delayed ACK (Nagle's algorithm).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


async def serve(app: Starlette, sock: socket.socket, stop: asyncio.Event) -> None:
    """Serve ``app`` on ``sock`` until ``stop`` is set; requests in progress are finished."""
    config = uvicorn.Config(app, log_config=None, lifespan="off")
    server = _Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        stopping.cancel()
        await serving
