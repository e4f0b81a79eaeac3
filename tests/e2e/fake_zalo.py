"""A fake Zalo Bot API server, for tests that talk to it over real HTTP.

It serves ``/bot{token}/{method}`` like bot-api.zapps.me: getMe, getUpdates (a long poll that
answers *one* update, or error 408 when nothing came), setWebhook, deleteWebhook,
getWebhookInfo, sendMessage, sendPhoto and sendChatAction. It records every call, answers
mistakes the way the platform does (401 for a wrong token, 400 for a text over 2000
characters, 400 for getUpdates while a webhook is set), and fails on demand:
``fake.fail_next("sendMessage", 429)`` or ``fake.garbage_next("getUpdates")``.

A test plays the people: ``fake.user("u-7").send("hello")`` queues a
``message.text.received`` update; ``user.replies()`` waits for the bot's next messages in that
chat, and ``user.say(text)`` sends and returns every message the bot sent while handling it.
Once a webhook is set, updates are POSTed to it with the ``X-Bot-Api-Secret-Token`` header,
one at a time and in order, wrapped in ``{"ok": true, "result": ...}`` or bare
(``fake.wrap_webhook``), as both have been seen from the platform.

How ``say`` knows the bot is done with an update (Zalo updates carry no id, so the fake
numbers them itself): with polling, the bot asks for the next update only after handling the
previous one, so the next getUpdates call marks the update handed out before it as handled;
with a webhook, the answer to the POST does. A bot that handled updates in the background
would defeat both; the poll loop of ``bot.channels.zalo_api`` does not.

The bot of this project tells the fake when it is done with an update (its answers sent):
:meth:`FakeZalo.on_done` is the completion hook given to its pipeline, ``fake.handled_messages``
what it reported, as (event name, message id).

Everything runs on the test's event loop; the server listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.pipeline import Inbound, Result

TOKEN = "1234567890:FakeZaloTokenOfTheSpokesTests_abcdef"
WEBHOOK_SECRET = "zalo-webhook-secret_0123456789"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MESSAGE_LIMIT = 2000
DEFAULT_TIMEOUT = 15.0
QUIET_PERIOD = 0.2  # replies(): seconds without a new message that end "the bot's next messages"
BOT_INFO = {
    "id": "7300000000000000001",
    "account_name": "spokes_bot",
    "account_type": "BASIC",
    "can_join_groups": False,
}
DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request timeout",
    429: "Quota exceeded",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def now_ms() -> int:
    return int(time.time() * 1000)


class ApiError(Exception):
    """An ``ok: false`` answer: HTTP ``status`` (200 for the errors Zalo sends with 200)."""

    def __init__(self, code: int, description: str, status: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = code if status is None else status


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class SentMessage:
    """A message the bot sent: a text, or a photo (``photo`` its URL, ``text`` its caption)."""

    chat_id: str
    text: str
    message_id: str
    date: int = field(default_factory=now_ms)
    photo: str | None = None


@dataclass
class Failure:
    """An answer injected in place of the next call of a method."""

    status: int
    error_code: int
    description: str
    retry_after: float | None = None
    garbage: str | None = None  # a raw, non-JSON body instead of the ok:false object

    def response(self) -> Response:
        if self.garbage is not None:
            return Response(self.garbage, status_code=self.status, media_type="text/html")
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return JSONResponse(body, status_code=self.status)


@dataclass
class Queued:
    """An update on its way to the bot; ``seq`` is the fake's own number for it."""

    seq: int
    update: dict[str, Any]


@dataclass
class FakeZaloUser:
    """A person in a private chat with the bot (chat id = user id, chat_type PRIVATE), or in
    the group ``group_id`` (chat_type GROUP)."""

    fake: FakeZalo
    id: str
    display_name: str = "Nguyễn An"
    group_id: str | None = None

    @property
    def chat_id(self) -> str:
        return self.group_id if self.group_id is not None else self.id

    def _update(self, event_name: str, **content: Any) -> dict[str, Any]:
        message = {
            "from": {"id": self.id, "display_name": self.display_name, "is_bot": False},
            "chat": {"id": self.chat_id, "chat_type": "GROUP" if self.group_id else "PRIVATE"},
            "message_id": self.fake.new_message_id(),
            "date": now_ms(),
            **content,
        }
        return {"event_name": event_name, "message": message}

    async def _send(self, event_name: str, **content: Any) -> tuple[str, int]:
        update = self._update(event_name, **content)
        return update["message"]["message_id"], await self.fake.deliver(update)

    async def send(self, text: str) -> str:
        """Type ``text``; the message id."""
        return (await self._send("message.text.received", text=text))[0]

    async def send_image(self, caption: str | None = None) -> str:
        content: dict[str, Any] = {"photo_url": "https://photo.zdn.vn/fake/anh-1.jpg"}
        if caption is not None:
            content["caption"] = caption
        return (await self._send("message.image.received", **content))[0]

    async def send_sticker(self) -> str:
        return (await self._send("message.sticker.received", sticker="a1b2c3d4e5f6"))[0]

    async def send_unsupported(self) -> str:
        """Something the Bot API does not pass on (a voice message, a file...)."""
        return (await self._send("message.unsupported.received"))[0]

    async def resend(self, message_id: str) -> str:
        """Deliver an earlier update again, as a platform does after a lost confirmation."""
        await self.fake.deliver(self.fake.updates[message_id])
        return message_id

    async def replies(
        self, count: int | None = None, seconds: float = DEFAULT_TIMEOUT
    ) -> list[str]:
        """The texts of the bot's next messages in this chat.

        ``count`` messages exactly; without it, at least one and then every message sent
        until the chat has been quiet for a moment.
        """
        return [m.text for m in await self.fake.next_messages(self.chat_id, count, seconds)]

    async def say(self, text: str, seconds: float = DEFAULT_TIMEOUT) -> list[str]:
        """Send ``text`` and return the texts of everything the bot sent while handling it."""
        _, seq = await self._send("message.text.received", text=text)
        await self.fake.wait_handled(seq, seconds)
        return [m.text for m in self.fake.take_unread(self.chat_id)]


class FakeZalo:
    """The server's state and the Starlette app serving it."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.port = 0
        self.calls: list[Call] = []
        self.sent: dict[str, list[SentMessage]] = {}
        self.webhook: tuple[str, str] | None = None  # (url, secret)
        self.wrap_webhook = True
        self.deliveries: list[int] = []  # HTTP status of each webhook POST, in order
        self.updates: dict[str, dict[str, Any]] = {}  # every update by message id
        self.handled: set[int] = set()  # seq of the updates the bot is done with
        # (event name, message id) of each update the bot's pipeline reported done, in order.
        self.handled_messages: list[tuple[str, str]] = []
        self._pending: deque[Queued] = deque()  # waiting for getUpdates
        self._outbox: asyncio.Queue[Queued] = asyncio.Queue()  # waiting for the webhook
        self._in_flight: int | None = None  # handed out by the last getUpdates
        self._failures: dict[str, deque[Failure]] = {}
        self._read: dict[str, int] = {}  # per chat: messages already returned to the test
        self._seqs = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._closing = False
        self._server: uvicorn.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.app = Starlette(
            routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])]
        )

    # --- running -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port, serving on the running event loop."""
        sock = socket.create_server(("127.0.0.1", 0))
        # Answer at once: asyncio turns Nagle's algorithm off only on sockets it creates itself, and
        # with it on, every response written in two parts waits for a delayed ACK (40 ms).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_config=None, lifespan="off", access_log=False, timeout_keep_alive=300
        )
        server = uvicorn.Server(config)
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
        self._server = server
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        self._tasks = [serving, asyncio.create_task(self._post_to_webhook())]
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._closing = True
        await self.notify()  # long polls answer at once
        if self._server is not None:
            self._server.should_exit = True
        serving, poster = self._tasks
        poster.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poster
        await serving

    async def __aenter__(self) -> FakeZalo:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, token: str = TOKEN) -> AsyncIterator[FakeZalo]:
        async with cls(token) as fake:
            yield fake

    def user(self, user_id: str, display_name: str = "Nguyễn An") -> FakeZaloUser:
        return FakeZaloUser(self, user_id, display_name)

    def new_message_id(self) -> str:
        return f"m-{next(self._message_ids)}"

    # --- injected failures -------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 500,
        error_code: int | None = None,
        description: str | None = None,
        times: int = 1,
        *,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error instead.

        ``status`` is the HTTP status (200 for an ``ok: false`` sent with 200); ``error_code``
        defaults to it, ``retry_after`` goes in ``parameters`` as Telegram-like APIs do.
        """
        failure = Failure(
            status,
            status if error_code is None else error_code,
            description or DESCRIPTIONS.get(error_code or status, "Error"),
            retry_after,
        )
        self._failures.setdefault(method, deque()).extend([failure] * times)

    def garbage_next(
        self,
        method: str,
        body: str = "<html><body>upstream error</body></html>",
        status: int = 200,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with a body that is not JSON."""
        failure = Failure(status, status, "", garbage=body)
        self._failures.setdefault(method, deque()).extend([failure] * times)

    # --- the people's side -------------------------------------------------------------

    async def deliver(self, update: dict[str, Any]) -> int:
        """Hand ``update`` to the bot (by getUpdates or the webhook); its sequence number."""
        queued = Queued(next(self._seqs), update)
        message_id = (update.get("message") or {}).get("message_id")
        if message_id:
            self.updates.setdefault(message_id, update)
        if self.webhook:
            self._outbox.put_nowait(queued)
        else:
            self._pending.append(queued)
        await self.notify()
        return queued.seq

    async def _post_to_webhook(self) -> None:
        """POST updates to the webhook one at a time, in order, awaiting each answer."""
        async with httpx.AsyncClient(timeout=30) as client:
            while True:
                queued = await self._outbox.get()
                if self.webhook is None:  # deleted meanwhile: back to getUpdates
                    self._pending.append(queued)
                    continue
                url, secret = self.webhook
                update = queued.update
                body = {"ok": True, "result": update} if self.wrap_webhook else update
                for _attempt in range(100):
                    try:
                        response = await client.post(
                            url, json=body, headers={SECRET_HEADER: secret}
                        )
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)  # the webhook is not listening yet
                        continue
                    self.deliveries.append(response.status_code)
                    break
                self.handled.add(queued.seq)
                await self.notify()

    # --- the bot's side, as the test sees it --------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def messages(self, chat_id: str) -> list[SentMessage]:
        return list(self.sent.get(chat_id, []))

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def on_done(self, inbound: Inbound, result: Result) -> None:
        """The completion hook for the bot's pipeline: the bot is done with this update."""
        if inbound.channel != "zalo":
            return
        update = inbound.payload
        if "event_name" not in update:
            update = update.get("result") or {}
        message_id = str((update.get("message") or {}).get("message_id"))
        self.handled_messages.append((str(update.get("event_name")), message_id))
        await self.notify()

    async def wait_for(
        self, predicate: Callable[[], bool], seconds: float = DEFAULT_TIMEOUT
    ) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), seconds)

    async def wait_handled(self, seq: int, seconds: float = DEFAULT_TIMEOUT) -> None:
        """Wait until the bot is done with update ``seq`` (see the module docstring)."""
        try:
            await self.wait_for(lambda: seq in self.handled, seconds)
        except TimeoutError:
            raise AssertionError(f"the bot did not handle update {seq} in {seconds} s") from None

    def take_unread(self, chat_id: str) -> list[SentMessage]:
        """The bot's messages in the chat not yet returned to the test, now marked read."""
        start = self._read.get(chat_id, 0)
        unread = self.sent.get(chat_id, [])[start:]
        self._read[chat_id] = start + len(unread)
        return unread

    async def next_messages(
        self, chat_id: str, count: int | None = None, seconds: float = DEFAULT_TIMEOUT
    ) -> list[SentMessage]:
        """The bot's next ``count`` messages in the chat (see :meth:`FakeZaloUser.replies`)."""
        start = self._read.get(chat_id, 0)

        def sent() -> int:
            return len(self.sent.get(chat_id, [])) - start

        try:
            await self.wait_for(lambda: sent() >= (count or 1), seconds)
        except TimeoutError:
            got = [m.text[:80] for m in self.sent.get(chat_id, [])[start:]]
            wanted = count or "some"
            raise AssertionError(f"chat {chat_id}: wanted {wanted} messages, got {got}") from None
        if count is None:  # then every message until the chat is quiet
            with contextlib.suppress(TimeoutError):
                while True:
                    seen = sent()
                    await self.wait_for(lambda: sent() > seen, QUIET_PERIOD)  # noqa: B023
            count = sent()
        self._read[chat_id] = start + count
        return self.sent[chat_id][start : start + count]

    # --- HTTP ----------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.path_params["method"]
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(ApiError(404, f"Not Found: method {method} not found"))
        try:
            params = await _params(request)
        except ValueError:
            return _error(ApiError(400, "Bad Request: the body is not a JSON object"))
        self.calls.append(Call(method, params))
        if method == "getUpdates":
            self._poll_arrived()
        await self.notify()  # a test may wait for the call itself (a long poll answers later)
        try:
            failures = self._failures.get(method)
            if failures:
                return failures.popleft().response()
            return JSONResponse({"ok": True, "result": await handler(params, request)})
        except ApiError as error:
            return _error(error)
        finally:
            await self.notify()

    # --- Bot API methods -----------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any], request: Request) -> Any:
        return BOT_INFO

    def _poll_arrived(self) -> None:
        """The bot asks for the next update only once done with the previous one."""
        if self._in_flight is not None:
            self.handled.add(self._in_flight)
            self._in_flight = None

    async def _api_getUpdates(self, params: dict[str, Any], request: Request) -> Any:
        if self.webhook:
            raise ApiError(400, "Bad Request: webhook is set, delete it to use getUpdates")
        try:
            timeout = float(params.get("timeout") or 0)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: timeout must be a number of seconds") from None
        deadline = time.monotonic() + timeout
        while not self._closing:
            if await request.is_disconnected():  # the bot gave up this poll: keep the update
                break
            if self._pending:
                queued = self._pending.popleft()
                self._in_flight = queued.seq
                return queued.update
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                # Short slices: a poll abandoned by the bot is noticed soon.
                await self.wait_for(
                    lambda: bool(self._pending) or self._closing, min(remaining, 0.2)
                )
        raise ApiError(408, "Request timeout")

    async def _api_setWebhook(self, params: dict[str, Any], request: Request) -> Any:
        url, secret = params.get("url"), params.get("secret_token")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ApiError(400, "Bad Request: url is invalid")
        if not isinstance(secret, str) or len(secret) < 8:
            raise ApiError(400, "Bad Request: secret_token must have at least 8 characters")
        self.webhook = (url, secret)
        while self._pending:  # updates waiting for getUpdates now go to the webhook
            self._outbox.put_nowait(self._pending.popleft())
        return {"url": url, "updated_at": now_ms()}

    async def _api_deleteWebhook(self, params: dict[str, Any], request: Request) -> Any:
        self.webhook = None
        while not self._outbox.empty():
            self._pending.append(self._outbox.get_nowait())
        return {"url": "", "updated_at": now_ms()}

    async def _api_getWebhookInfo(self, params: dict[str, Any], request: Request) -> Any:
        return {"url": self.webhook[0] if self.webhook else "", "updated_at": now_ms()}

    async def _api_sendMessage(self, params: dict[str, Any], request: Request) -> Any:
        chat_id = _chat_id(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: text is empty")
        if len(text) > MESSAGE_LIMIT:
            raise ApiError(400, f"Bad Request: text is longer than {MESSAGE_LIMIT} characters")
        return self._record(SentMessage(chat_id, text, self._bot_message_id()))

    async def _api_sendPhoto(self, params: dict[str, Any], request: Request) -> Any:
        chat_id = _chat_id(params)
        photo, caption = params.get("photo"), params.get("caption") or ""
        if not isinstance(photo, str) or not photo.startswith(("https://", "http://")):
            raise ApiError(400, "Bad Request: photo must be a URL")
        if not isinstance(caption, str) or len(caption) > MESSAGE_LIMIT:
            raise ApiError(400, "Bad Request: caption is invalid")
        return self._record(SentMessage(chat_id, caption, self._bot_message_id(), photo=photo))

    async def _api_sendChatAction(self, params: dict[str, Any], request: Request) -> Any:
        _chat_id(params)
        if params.get("action") not in ("typing", "upload_photo"):
            raise ApiError(400, "Bad Request: action is invalid")
        return True

    def _bot_message_id(self) -> str:
        return f"bm-{next(self._message_ids)}"

    def _record(self, message: SentMessage) -> dict[str, Any]:
        self.sent.setdefault(message.chat_id, []).append(message)
        return {"message_id": message.message_id, "date": message.date}


def _chat_id(params: dict[str, Any]) -> str:
    chat_id = params.get("chat_id")
    if not isinstance(chat_id, str) or not chat_id:
        raise ApiError(400, "Bad Request: chat_id must be a non-empty string")
    return chat_id


def _error(error: ApiError) -> JSONResponse:
    body = {"ok": False, "error_code": error.code, "description": error.description}
    return JSONResponse(body, status_code=error.status)


async def _params(request: Request) -> dict[str, Any]:
    """The parameters of a call: the query string, and a JSON object body for a POST."""
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    if request.method == "POST" and body.strip():
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("not a JSON object")
        params.update(decoded)
    return params


async def post_update(
    url: str,
    body: bytes | str | dict[str, Any],
    secret: str | None = WEBHOOK_SECRET,
) -> int:
    """POST a raw body to a webhook, as anyone on the Internet could; the HTTP status.

    A dict is sent as JSON; bytes or text as they are (malformed JSON, say). ``secret=None``
    sends no secret header at all.
    """
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(url, content=content, headers=headers)
    return response.status_code
