"""The one web server (Starlette on uvicorn): platform webhooks, file links, a health check.

Each chat platform contributes a :class:`Webhook` (its path, the header carrying the shared
secret, and what to do with a body); the server checks the secret and the JSON the same way for
all of them, Telegram's and Zalo's alike. A webhook answers 200 once the update is stored in
the pipeline's inbox, and it is handled in the background, as the platforms expect: a
platform that got no 200 (the database was down: 500) delivers the update again. The download
and upload pages of :mod:`bot.web_files` are served beside them.

What a body from the Internet may cost is bounded before any of it is believed: the body is
read in chunks and refused past a size (413), a body that trickles in is cut off after a time
(408, the upload page too), JSON nested too deep, with NaN, or with broken Unicode is refused
(400), as is anything that is not an update of the platform. When this process already holds
as many updates waiting as it may, a webhook stores nothing and answers 503 with Retry-After:
the platform delivers again later. ``/healthz`` only reads (on SQLite it never waits for a
writer) and reports the inbox's depth. The access log shows link tokens as a short hash.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math
import re
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.pipeline.protocol import Busy
from bot.state import inbox
from registry.uow import Database

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 5.0
MAX_JSON_DEPTH = 64  # Telegram's and Zalo's updates nest less than 10 deep


class MalformedUpdate(ValueError):
    """A body that is JSON but not an update of the platform."""


class BodyTooLarge(Exception):
    """The body is larger than the webhook accepts (it was not read further)."""


class SlowBody(Exception):
    """The request's body did not arrive within the time allowed (answered 408)."""


@dataclass(frozen=True)
class BodyLimits:
    """``max_bytes``: the largest webhook body; ``seconds``: the time any request's body may
    take to arrive."""

    max_bytes: int = 1024 * 1024
    seconds: float = 30.0


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


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, read in chunks; :class:`BodyTooLarge` as soon as it exceeds ``max_bytes``
    (announced or not), so an endless body costs at most that much memory."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _no_constant(name: str) -> Any:
    raise MalformedUpdate(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedUpdate("a number out of range")
    return value


def parse_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of ``raw``; :class:`ValueError` (or :class:`MalformedUpdate`) when it is
    no JSON, nests deeper than ``max_depth``, or holds what no database stores as JSON (NaN,
    infinities, lone surrogates)."""
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise MalformedUpdate("JSON nested too deeply") from None
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise MalformedUpdate("JSON nested too deeply")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise MalformedUpdate("a string that is not Unicode text") from None
    return value


def _endpoint(hook: Webhook, limits: BodyLimits) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        if not _same_secret(request.headers.get(hook.secret_header), hook.secret):
            log.warning("%s: request without the right secret refused", hook.path)
            return PlainTextResponse("forbidden", status_code=403)
        try:
            raw = await read_body(request, limits.max_bytes)
        except BodyTooLarge:
            log.warning("%s: body over %d bytes refused", hook.path, limits.max_bytes)
            return PlainTextResponse("body too large", status_code=413)
        try:
            await hook.accept(parse_json(raw))
        except Busy as busy:
            log.warning("%s: too many updates waiting; asked to retry later", hook.path)
            headers = {"Retry-After": str(busy.retry_after)}
            return PlainTextResponse("busy, retry later", status_code=503, headers=headers)
        except (ValueError, MalformedUpdate) as error:  # JSONDecodeError is a ValueError
            log.warning("%s: malformed update refused: %s", hook.path, str(error)[:200])
            return PlainTextResponse("malformed update", status_code=400)
        return Response(status_code=200)

    return receive


class BodyDeadline:
    """ASGI middleware: a request whose body has not fully arrived ``seconds`` after the
    request began is answered 408 (a client sending a byte a second holds no worker and no
    memory for long). Endpoints see :class:`SlowBody` raised by ``receive``."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        complete = False
        started = False

        async def timed_receive() -> Message:
            nonlocal complete
            if complete:
                return await receive()  # after the body: waiting for a disconnect is fine
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise SlowBody from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, tracked_send)
        except SlowBody:
            log.warning("%s: request body too slow; cut off", hide_tokens(scope.get("path", "")))
            if not started:
                response = PlainTextResponse(
                    "request body too slow", status_code=408, headers={"Connection": "close"}
                )
                await response(scope, receive, send)


def create_app(
    database: Database,
    webhooks: Sequence[Webhook],
    pages: Sequence[BaseRoute] = (),
    *,
    limits: BodyLimits | None = None,
    backlog: Callable[[], int] | None = None,
) -> Starlette:
    """The ASGI app: ``POST`` on each webhook's path, ``GET /healthz``, and ``pages`` (the
    download and upload links). ``backlog`` tells how many updates this process holds
    waiting (for ``/healthz``)."""
    limits = limits or BodyLimits()

    async def healthz(request: Request) -> Response:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                waiting = await inbox.depth(database.uow())
        except Exception as error:
            log.warning("health check: database unreadable: %s", type(error).__name__)
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        queue: dict[str, int] = {"waiting": waiting}
        if backlog is not None:
            queue["this_process"] = backlog()
        return JSONResponse({"status": "ok", "database": "ok", "inbox": queue})

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    routes += [Route(hook.path, _endpoint(hook, limits), methods=["POST"]) for hook in webhooks]
    routes += pages
    return Starlette(routes=routes, middleware=[Middleware(BodyDeadline, seconds=limits.seconds)])


# --- logs ------------------------------------------------------------------------------------

_TOKEN_PATH = re.compile(r"(/(?:files|upload)/)([^/?#\s\"']+)")


def hide_tokens(text: str) -> str:
    """``text`` with every link token (``/files/<token>``, ``/upload/<token>``) replaced by a
    short hash: the log still tells two links apart, and no line opens one."""

    def short(match: re.Match[str]) -> str:
        digest = hashlib.sha256(match.group(2).encode()).hexdigest()[:8]
        return f"{match.group(1)}…{digest}"

    return _TOKEN_PATH.sub(short, text)


class HideTokens(logging.Filter):
    """A log filter cutting link tokens from a record's message and arguments (uvicorn's
    access log passes the path as an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = hide_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                hide_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


_HIDE_TOKENS = HideTokens()


def hide_tokens_in_server_logs() -> None:
    """Put the filter on uvicorn's loggers (once)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if _HIDE_TOKENS not in logger.filters:
            logger.addFilter(_HIDE_TOKENS)


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
    hide_tokens_in_server_logs()
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
