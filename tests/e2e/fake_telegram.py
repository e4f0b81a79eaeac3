"""A fake Telegram Bot API server, and the bot of this project running against it.

The real python-telegram-bot Application talks HTTP to this server exactly as it would to
api.telegram.org: the server implements the methods the bot uses (getMe, getUpdates with long
polling, setWebhook, deleteWebhook, sendMessage, editMessageText, editMessageReplyMarkup,
answerCallbackQuery, answerInlineQuery, sendDocument, getFile, setMyCommands, sendChatAction),
records every call, and answers mistakes the way Telegram does (401 for a wrong token, 400 for
a message that is "not modified", a callback or inline query answered twice, 409 for
getUpdates while a webhook is set).

A test plays the people: ``fake.user(7)`` sends text, presses a button of a message the bot
sent, shares a contact, sends a sticker or types an inline query (``@bot tên``); updates go to
getUpdates or, once a webhook is set, are posted to it with the secret header, one at a time
and in order, like Telegram does.
``user.replies()`` waits for the bot's next messages in that person's chat. ``fake.post(url,
update)`` posts one update to any webhook (for several bot processes behind one bot).

The bot tells the fake when it is done with an update: :meth:`FakeTelegram.on_done` is the
completion hook given to the bot's pipeline, and ``fake.handled`` what it reported.

Everything runs on the test's event loop; the server listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import itertools
import json
import socket
import time
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.pipeline import Inbound, Result, Status
from bot.settings import BotSettings
from registry.uow import Database

TOKEN = "123456789:AAFakeTokenOfTheSpokesTests_0123456789"
BOT_ID = 123456789
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Spokes",
    "username": "spokes_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
WEBHOOK_SECRET = "test-webhook-secret_0123456789"
DEFAULT_TIMEOUT = 15.0

# Bot API parameters that are strings: python-telegram-bot sends them as they are, everything
# else JSON-encoded (so "123" as a text must stay a string).
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "url",
        "secret_token",
        "callback_query_id",
        "language_code",
        "file_id",
        "action",
        "parse_mode",
        "ip_address",
        "inline_message_id",
    }
)


class ApiError(Exception):
    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class SentMessage:
    """A message the bot sent, with its keyboard as it is now (edits change it)."""

    message_id: int
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None  # as sent: inline_keyboard, keyboard or remove_keyboard
    inline_markup: dict[str, Any] | None  # what the person sees now under the message
    document: dict[str, Any] | None = None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.inline_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def labels(self) -> list[str]:
        return [button["text"] for button in self.buttons]

    def button(self, label: str) -> dict[str, Any]:
        for button in self.buttons:
            if button["text"] == label:
                return button
        raise AssertionError(f"no button {label!r} under message {self.text[:60]!r}: {self.labels}")

    @property
    def asks_contact(self) -> bool:
        rows = (self.reply_markup or {}).get("keyboard", [])
        return any(isinstance(b, dict) and b.get("request_contact") for r in rows for b in r)

    @property
    def removes_keyboard(self) -> bool:
        return bool((self.reply_markup or {}).get("remove_keyboard"))


@dataclass
class FakeUser:
    """A person in a private chat with the bot (chat id = user id, as on Telegram), or in the
    group ``group_id`` (a supergroup, as groups with bots usually are)."""

    fake: FakeTelegram
    id: int
    first_name: str = "An"
    last_name: str | None = "Nguyễn"
    language_code: str = "vi"
    group_id: int | None = None

    @property
    def chat_id(self) -> int:
        return self.group_id if self.group_id is not None else self.id

    def _chat(self) -> dict[str, Any]:
        if self.group_id is not None:
            return {"id": self.group_id, "type": "supergroup", "title": "Nhóm người phát ngôn"}
        return {"id": self.chat_id, "type": "private", "first_name": self.first_name}

    def as_dict(self) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.last_name:
            user["last_name"] = self.last_name
        return user

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": self.fake.new_message_id(),
            "date": int(time.time()),
            "chat": self._chat(),
            "from": self.as_dict(),
            **content,
        }

    async def send(self, text: str, *, times: int = 1) -> int:
        """Type ``text`` (``/start`` is a command, with its entity as Telegram marks it)."""
        return await self.fake.deliver(self.text_update(text), times=times)

    def text_update(self, text: str) -> dict[str, Any]:
        """The update of typing ``text``, with its id, not delivered yet."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": self.fake.new_update_id(), "message": self._message(**content)}

    async def edit(self, text: str) -> int:
        """Edit an earlier message (Telegram sends the new text as an ``edited_message``)."""
        message = self._message(text=text, edit_date=int(time.time()))
        return await self.fake.deliver({"edited_message": message})

    async def press(self, message: SentMessage, label: str) -> int:
        """Press a button shown under ``message`` (it must be there, as on a phone)."""
        return await self.press_data(message, message.button(label)["callback_data"])

    async def press_data(self, message: SentMessage, data: str) -> int:
        """A callback query with any data: what a modified client could send."""
        query = {
            "id": str(self.fake.new_query_id()),
            "from": self.as_dict(),
            "chat_instance": f"ci{self.chat_id}",
            "message": self.fake.message_json(message),
            "data": data,
        }
        return await self.fake.deliver({"callback_query": query})

    async def inline_query(self, text: str) -> str:
        """Type ``@bot text`` in any chat: Telegram asks the bot for inline results; the
        query's id (its answer is in ``fake.inline_answers``)."""
        query_id = str(self.fake.new_query_id())
        query = {
            "id": query_id,
            "from": self.as_dict(),
            "query": text,
            "offset": "",
            "chat_type": "private",
        }
        await self.fake.deliver({"inline_query": query})
        return query_id

    async def share_contact(self, phone: str, *, own: bool = True) -> int:
        """Share a phone number: one's own (the contact button) or someone else's contact."""
        contact: dict[str, Any] = {"phone_number": phone, "first_name": self.first_name}
        contact["user_id"] = self.id if own else self.id + 1_000_000
        return await self.fake.deliver({"message": self._message(contact=contact)})

    async def send_sticker(self) -> int:
        sticker = {
            "file_id": "CAACAgIAAxkBAAEStk",
            "file_unique_id": "AgADstk",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return await self.fake.deliver({"message": self._message(sticker=sticker)})

    async def send_photo(self) -> int:
        photo = [
            {"file_id": "AgACAgIAAxkBph1", "file_unique_id": "AQADph1", "width": 90, "height": 90}
        ]
        return await self.fake.deliver({"message": self._message(photo=photo, caption="ảnh")})

    async def send_document(
        self, name: str, content: bytes, *, caption: str | None = None, size: int | None = None
    ) -> int:
        """Send a file; ``size`` may claim more than ``content`` (a file too large to fetch)."""
        file_id = f"upl{len(self.fake.files) + 1}"
        self.fake.files[file_id] = content
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": "application/octet-stream",
            "file_size": len(content) if size is None else size,
        }
        message = self._message(document=document, **({"caption": caption} if caption else {}))
        return await self.fake.deliver({"message": message})

    async def replies(self, count: int = 1, seconds: float = DEFAULT_TIMEOUT) -> list[SentMessage]:
        return await self.fake.next_messages(self.chat_id, count, seconds)

    async def reply(self, seconds: float = DEFAULT_TIMEOUT) -> SentMessage:
        return (await self.replies(1, seconds))[0]


class FakeTelegram:
    """The server's state and the Starlette app serving it."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.port = 0
        self.calls: list[Call] = []
        self.counts: Counter[str] = Counter()  # calls per method, cheap to watch in a benchmark
        self.sent: dict[int, list[SentMessage]] = {}
        self.commands: dict[str, list[tuple[str, str]]] = {}  # language code ("" = default)
        self.webhook: tuple[str, str | None] | None = None  # (url, secret)
        self.deliveries: list[tuple[int, int]] = []  # (update id, HTTP status) of webhook posts
        # What the bot's pipeline reported done, in order: (update id, what became of it).
        self.handled: list[tuple[int, Status]] = []
        self.files: dict[str, bytes] = {}
        # Downloads of these files wait until their event is set (a slow connection).
        self.slow_files: dict[str, asyncio.Event] = {}
        # Seconds that every other sendMessage of a chat takes (the 1st, 3rd...), as over an
        # uneven network: a message sent later can then arrive first.
        self.uneven_latency = 0.0
        self._sends: Counter[int] = Counter()
        # Failures on demand, as Telegram answers them: chats whose person blocked the bot
        # (403), the next ``flood`` sendMessage calls refused with 429 and ``retry_after``,
        # and a limit of ``max_rate`` messages in any second (429 beyond it, like Telegram's
        # flood control). ``hold``: while set and not released, sendMessage calls wait (a
        # network gone quiet) and are not recorded unless they are released.
        self.blocked_chats: set[int] = set()
        self.flood = 0
        self.flood_retry_after = 1
        self.max_rate: float | None = None
        self.refused: Counter[int] = Counter()  # 429s and 403s answered, by HTTP status
        self.hold: asyncio.Event | None = None
        self.hold_after = 0  # sendMessage calls let through before ``hold`` applies
        self.held = 0
        self._recent: list[float] = []  # monotonic times of accepted sendMessage calls
        self._pending: list[dict[str, Any]] = []  # updates not yet confirmed by an offset
        self.updates: dict[int, dict[str, Any]] = {}  # every update, to deliver one again
        self._read: dict[int, int] = {}  # per chat: messages already returned to the test
        self._answered: set[str] = set()
        # answerInlineQuery's parameters, by inline query id.
        self.inline_answers: dict[str, dict[str, Any]] = {}
        # What the bot last asked for in getUpdates or setWebhook (None: everything).
        self.allowed_updates: list[str] | None = None
        self._queries: set[str] = set()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(5000)
        self._changed = asyncio.Condition()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._closing = False
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
                # For a benchmark running this server in another process.
                Route("/_fake/push", self._control_push, methods=["POST"]),
                Route("/_fake/counts", self._control_counts, methods=["GET"]),
            ]
        )

    # --- running -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, token: str = TOKEN) -> AsyncIterator[FakeTelegram]:
        fake = cls(token)
        sock = socket.create_server(("127.0.0.1", 0))
        # Answer at once: asyncio turns Nagle's algorithm off only on sockets it creates itself, and
        # with it on, every response written in two parts waits for a delayed ACK (40 ms).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        fake.port = sock.getsockname()[1]
        # Keep-alive longer than any test: a connection the server closes while the client
        # reuses it would fail a request (uvicorn's default closes idle ones after 5 s).
        config = uvicorn.Config(
            fake.app, log_config=None, lifespan="off", access_log=False, timeout_keep_alive=300
        )
        server = uvicorn.Server(config)
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        poster = asyncio.create_task(fake._post_to_webhook())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        try:
            yield fake
        finally:
            fake._closing = True
            async with fake._changed:
                fake._changed.notify_all()  # long polls return at once
            poster.cancel()
            server.should_exit = True
            await serving

    def user(self, user_id: int, first_name: str = "An", language_code: str = "vi") -> FakeUser:
        return FakeUser(self, user_id, first_name=first_name, language_code=language_code)

    def new_message_id(self) -> int:
        return next(self._message_ids)

    def new_update_id(self) -> int:
        return next(self._update_ids)

    def new_query_id(self) -> int:
        query_id = next(self._query_ids)
        self._queries.add(str(query_id))
        return query_id

    # --- the people's side -------------------------------------------------------------

    async def deliver(self, update: dict[str, Any], *, times: int = 1) -> int:
        """Hand an update to the bot ``times`` times (Telegram sometimes delivers twice)."""
        if "update_id" not in update:
            update = {"update_id": self.new_update_id(), **update}
        self.updates[update["update_id"]] = update
        for _ in range(times):
            if self.webhook:
                self._outbox.put_nowait(update)
            else:
                self._pending.append(update)
        await self.notify()
        return int(update["update_id"])

    async def redeliver(self, update_id: int) -> None:
        """Deliver an old update again, as Telegram does after a lost confirmation."""
        await self.deliver(self.updates[update_id])

    async def _post_to_webhook(self) -> None:
        """Post updates to the webhook one at a time, in order, retrying until it listens."""
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                update = await self._outbox.get()
                assert self.webhook is not None
                url, secret = self.webhook
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                for _attempt in range(100):
                    try:
                        response = await client.post(url, json=update, headers=headers)
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
                        continue
                    self.deliveries.append((update["update_id"], response.status_code))
                    break
                await self.notify()

    async def post(
        self, url: str, update: dict[str, Any], secret: str | None = WEBHOOK_SECRET
    ) -> int:
        """POST ``update`` to the webhook at ``url`` now, as Telegram would; the HTTP status."""
        self.updates[update["update_id"]] = update
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(url, json=update, headers=headers)
        self.deliveries.append((update["update_id"], response.status_code))
        await self.notify()
        return response.status_code

    # --- the bot's side, as the test sees it --------------------------------------------

    async def on_done(self, inbound: Inbound, result: Result) -> None:
        """The completion hook for the bot's pipeline: the bot is done with this update."""
        if inbound.channel == "telegram":
            self.handled.append((int(inbound.delivery), result.status))
            await self.notify()

    def messages(self, chat_id: int) -> list[SentMessage]:
        return list(self.sent.get(chat_id, []))

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(
        self, predicate: Callable[[], bool], seconds: float = DEFAULT_TIMEOUT
    ) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), seconds)

    async def next_messages(
        self, chat_id: int, count: int = 1, seconds: float = DEFAULT_TIMEOUT
    ) -> list[SentMessage]:
        """The bot's next ``count`` messages in the chat, waiting for them to be sent."""
        start = self._read.get(chat_id, 0)
        try:
            await self.wait_for(lambda: len(self.sent.get(chat_id, [])) >= start + count, seconds)
        except TimeoutError:
            got = [m.text[:80] for m in self.sent.get(chat_id, [])[start:]]
            raise AssertionError(f"chat {chat_id}: wanted {count} messages, got {got}") from None
        self._read[chat_id] = start + count
        return self.sent[chat_id][start : start + count]

    def unread(self, chat_id: int) -> list[SentMessage]:
        return self.sent.get(chat_id, [])[self._read.get(chat_id, 0) :]

    def message_json(self, message: SentMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": {"id": message.chat_id, "type": "private"},
            "from": BOT_USER,
        }
        if message.document:
            data["document"] = message.document
            if message.text:
                data["caption"] = message.text
        else:
            data["text"] = message.text
        if message.inline_markup:
            data["reply_markup"] = message.inline_markup
        return data

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- HTTP ----------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.path_params["method"]
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(ApiError(404, "Not Found: method not found"))
        params = await _params(request)
        self.calls.append(Call(method, params))
        self.counts[method] += 1
        await self.notify()  # a test may wait for the call itself (a long poll answers later)
        try:
            result = await handler(params)
        except ApiError as error:
            return _error(error)
        finally:
            await self.notify()
        return JSONResponse({"ok": True, "result": result})

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        file_id = request.path_params["path"].rsplit("/", 1)[-1]
        if file_id in self.slow_files:
            await self.slow_files[file_id].wait()
        content = self.files.get(file_id)
        return Response(status_code=404) if content is None else Response(content)

    # --- Bot API methods -----------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        if "allowed_updates" in params:
            self.allowed_updates = params["allowed_updates"]
        # An offset confirms every update before it: Telegram forgets them.
        self._pending = [u for u in self._pending if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        with contextlib.suppress(TimeoutError):
            await self.wait_for(lambda: bool(self._pending) or self._closing, timeout)
        return self._pending[:limit]

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = (params["url"], params.get("secret_token"))
        if "allowed_updates" in params:
            self.allowed_updates = params["allowed_updates"]
        # Updates that were waiting for getUpdates now go to the webhook.
        for update in self._pending:
            self._outbox.put_nowait(update)
        self._pending = []
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._pending = []
        return True

    def _gate(self, chat_id: int) -> None:
        """The failures asked for: 429 (flood, or past ``max_rate``), then 403 (blocked)."""
        if self.flood > 0:
            self.flood -= 1
            self.refused[429] += 1
            raise ApiError(
                429,
                f"Too Many Requests: retry after {self.flood_retry_after}",
                retry_after=self.flood_retry_after,
            )
        if self.max_rate is not None:
            now = time.monotonic()
            while self._recent and self._recent[0] <= now - 1.0:
                self._recent.pop(0)
            if len(self._recent) >= self.max_rate:
                self.refused[429] += 1
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
            self._recent.append(now)
        if chat_id in self.blocked_chats:
            self.refused[403] += 1
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        if self.hold is not None and self.counts["sendMessage"] > self.hold_after:
            self.held += 1
            await self.hold.wait()
        self._gate(chat_id)
        self._sends[chat_id] += 1
        if self.uneven_latency and self._sends[chat_id] % 2:
            await asyncio.sleep(self.uneven_latency)
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self.message_json(self._record(params, text=text))

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        upload = params.get("document")
        if isinstance(upload, tuple):
            name, content = upload
        else:
            name, content = "document", self.files.get(str(upload), b"")
        file_id = f"doc{len(self.files) + 1}"
        self.files[file_id] = content
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "file_size": len(content),
        }
        return self.message_json(
            self._record(params, text=params.get("caption") or "", document=document)
        )

    def _record(
        self, params: dict[str, Any], *, text: str, document: dict[str, Any] | None = None
    ) -> SentMessage:
        chat_id = int(params["chat_id"])
        markup = params.get("reply_markup")
        inline = markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
        for button in (b for row in (inline or {}).get("inline_keyboard", []) for b in row):
            if len(button.get("callback_data", "").encode()) > 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        message = SentMessage(self.new_message_id(), chat_id, text, markup, inline, document)
        self.sent.setdefault(chat_id, []).append(message)
        return message

    def _find(self, params: dict[str, Any]) -> SentMessage:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        for message in self.sent.get(chat_id, []):
            if message.message_id == message_id:
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        markup = params.get("reply_markup") or None
        if markup == message.inline_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.inline_markup = markup
        return self.message_json(message)

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        markup = params.get("reply_markup") or None
        if params["text"] == message.text and markup == message.inline_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.text, message.inline_markup = params["text"], markup
        return self.message_json(message)

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = params["callback_query_id"]
        if query_id not in self._queries or query_id in self._answered:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        self._answered.add(query_id)
        return True

    async def _api_answerInlineQuery(self, params: dict[str, Any]) -> Any:
        query_id = str(params["inline_query_id"])
        if query_id not in self._queries or query_id in self._answered:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        results = params.get("results", [])
        if len(results) > 50:
            raise ApiError(400, "Bad Request: too many inline query results specified")
        self._answered.add(query_id)
        self.inline_answers[query_id] = params
        await self.notify()
        return True

    async def inline_answer(
        self, query_id: str, seconds: float = DEFAULT_TIMEOUT
    ) -> list[dict[str, Any]]:
        """The results the bot answered the inline query with, waiting for them."""
        await self.wait_for(lambda: query_id in self.inline_answers, seconds)
        return list(self.inline_answers[query_id].get("results", []))

    async def _api_getFile(self, params: dict[str, Any]) -> Any:
        file_id = params["file_id"]
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(self.files[file_id]) > 20 * 1024 * 1024:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}",
        }

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = [(c["command"], c["description"]) for c in params.get("commands", [])]
        self.commands[params.get("language_code") or ""] = commands
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    # --- what the tests check ------------------------------------------------------------

    def answered(self, query_id: str) -> bool:
        return query_id in self._answered

    async def _control_push(self, request: Request) -> Response:
        """``{"users": [ids], "count": n, "text": "..."}``: n texts, the users in turn."""
        order = await request.json()
        users = [self.user(int(user_id)) for user_id in order["users"]]
        for n in range(int(order["count"])):
            await users[n % len(users)].send(str(order["text"]))
        return JSONResponse({"ok": True})

    async def _control_counts(self, request: Request) -> Response:
        return JSONResponse(dict(self.counts))


def _error(error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.code,
        "description": error.description,
    }
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return JSONResponse(body, status_code=error.code)


async def _params(request: Request) -> dict[str, Any]:
    """The parameters of a Bot API call, from the query string, a form or a JSON body.

    Forms are parsed with the standard library (Starlette would need python-multipart).
    """
    raw: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        body = await request.body()
        if content_type.startswith("application/json"):
            raw.update(json.loads(body))
        elif content_type.startswith("multipart/form-data"):
            raw.update(_multipart(content_type, body))
        else:
            raw.update(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and key not in STRING_FIELDS:
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        params[key] = value
    return params


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Fields as strings, files as (file name, content)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        fields[str(name)] = (filename, content) if filename else content.decode()
    return fields


# --- this project's bot, running against the fake ----------------------------------------

Mode = Literal["polling", "webhook"]


def bot_settings(fake: FakeTelegram, database_url: str, **changes: Any) -> BotSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "telegram_token": TOKEN,
        "telegram_base_url": fake.base_url,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        **changes,
    }
    return BotSettings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class RunningBot:
    mode: Mode
    settings: BotSettings
    webhook_url: str | None  # where the web server listens (webhook mode)

    async def post(self, body: bytes | str, *, secret: str | None = WEBHOOK_SECRET) -> int:
        """POST a raw body to the webhook, as anyone on the Internet could; the HTTP status."""
        assert self.webhook_url is not None
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(self.webhook_url, content=body, headers=headers)
        return response.status_code


@contextlib.asynccontextmanager
async def bot_running(
    mode: Mode, fake: FakeTelegram, database: Database, **changes: Any
) -> AsyncIterator[RunningBot]:
    """The bot as ``spokes run`` / ``spokes serve`` run it, on ``database``, until exit."""
    from bot import web
    from bot.cli import serve

    stop = asyncio.Event()
    seen = len(fake.calls)
    settings = bot_settings(fake, database.url, **changes)
    if mode == "polling":
        task = asyncio.create_task(serve.poll(settings, database, stop, on_done=[fake.on_done]))

        def ready() -> bool:
            return any(c.method == "getUpdates" for c in fake.calls[seen:])

        webhook_url = None
    else:
        sock = web.listen("127.0.0.1", 0)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        webhook_url = f"{base}/telegram/webhook"
        settings = settings.model_copy(update={"telegram_webhook_url": webhook_url})
        task = asyncio.create_task(
            serve.serve_webhook(settings, database, sock, stop, on_done=[fake.on_done])
        )

        def ready() -> bool:
            return any(c.method == "setWebhook" for c in fake.calls[seen:])

    # A bot that fails to start must wake the wait below, not leave it to time out.
    task.add_done_callback(lambda _: asyncio.ensure_future(fake.notify()))
    try:
        await fake.wait_for(lambda: ready() or task.done())
        if task.done():
            task.result()
            raise AssertionError("the bot stopped at once")
        yield RunningBot(mode, settings, webhook_url)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
