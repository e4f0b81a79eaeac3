"""The Zalo channel: the Zalo Bot API as a transport of the pipeline.

Zalo bots have no buttons, no callbacks and no files, and a message holds 2000 characters. So
options become numbered lines (the engine takes a typed number as the option), words such as
"hủy" cancel, a phone number is typed rather than shared, a document becomes a signed,
single-use download link, and a request for a file becomes a link to the upload page. Updates
come by long polling (development: each is handed to the pipeline and answered before the next
poll) or by webhook (:func:`webhook`: stored, then answered in the background); they carry no
update id, so a delivery is known by its event name and message id. Events that carry no
message to answer (``message.unsupported.received`` from a protected account, which comes
without its sender; the bot added to a group; any event this code does not know) are
:class:`NoMessage`: the webhook answers them 200 and stores nothing, since Zalo would otherwise
deliver them again and again. An unsupported message that names its sender and chat (a voice
message, a file) gets the polite "text only" answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import httpx

from bot.channels.numbered import numbered_text
from bot.channels.split import split_text
from bot.channels.zalo_api import (
    MESSAGE_LIMIT,
    SECRET_HEADER,
    ZaloApiError,
    ZaloBotApi,
    ZaloRateLimited,
    ZaloUnauthorized,
    poll_updates,
)
from bot.clock import shown
from bot.dialogs.io import Incoming, Reply
from bot.links import Links
from bot.pipeline.protocol import Blocked, Inbound, RateLimited, Received
from bot.state.shared_files import Owner
from bot.texts import t
from bot.web import MalformedUpdate, Webhook
from registry.errors import RegistryError, ValidationError

if TYPE_CHECKING:
    from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

CHANNEL = "zalo"
WEBHOOK_PATH = "/zalo/webhook"
# Every other event (pictures, stickers, "unsupported") gets the same polite "text only" answer.
TEXT_EVENT = "message.text.received"
# Message events; one whose sender cannot be answered (a protected account) is ignored.
_MESSAGE_EVENT = "message."
_ID_LIMIT = 64  # chat_update.delivery


@dataclass(frozen=True)
class ZaloUpdate:
    event_name: str
    message_id: str
    chat_id: str
    user_id: str
    private: bool
    display_name: str | None = None
    text: str | None = None

    @property
    def delivery_id(self) -> str:
        """What makes a delivery unique: the same event of the same message is a repeat."""
        key = f"{self.event_name}:{self.message_id}"
        return key if len(key) <= _ID_LIMIT else hashlib.sha256(key.encode()).hexdigest()


class NoMessage(Exception):
    """A genuine Zalo event with no message to answer: ignored (logged), not refused."""

    def __init__(self, event_name: str) -> None:
        super().__init__(event_name)
        self.event_name = event_name[:64]


def _string_id(value: Any, what: str) -> str:
    # Ids are strings in this API; a number is accepted, anything else is not an update.
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise MalformedUpdate(f"{what} missing or not an id")
    text = str(value)
    if len(text) > 64:
        raise MalformedUpdate(f"{what} longer than 64 characters")
    return text


def parse_update(body: Any) -> ZaloUpdate:
    """One update from a webhook body or a getUpdates result, wrapped in ``{ok, result}`` or
    bare; :class:`NoMessage` for an event with no message to answer, :class:`MalformedUpdate`
    for anything that is not a Zalo update."""
    if isinstance(body, dict) and "result" in body and "event_name" not in body:
        if body.get("ok") is False:
            raise MalformedUpdate("an error answer, not an update")
        body = body["result"]
    if not isinstance(body, dict):
        raise MalformedUpdate("not a JSON object")
    event_name = body.get("event_name")
    if not isinstance(event_name, str) or not event_name.strip():
        raise MalformedUpdate("no event_name")
    if not event_name.startswith(_MESSAGE_EVENT):
        raise NoMessage(event_name)
    message = body.get("message")
    sender = message.get("from") if isinstance(message, dict) else None
    chat = message.get("chat") if isinstance(message, dict) else None
    if not isinstance(message, dict) or not isinstance(sender, dict) or not isinstance(chat, dict):
        if event_name == TEXT_EVENT:  # a text event always has its message
            raise MalformedUpdate("no message, sender or chat")
        raise NoMessage(event_name)
    text = message.get("text")
    if event_name == TEXT_EVENT and not isinstance(text, str):
        raise MalformedUpdate("a text event without text")
    name = sender.get("display_name")
    return ZaloUpdate(
        event_name=event_name[:64],
        message_id=_string_id(message.get("message_id"), "message_id"),
        chat_id=_string_id(chat.get("id"), "chat.id"),
        user_id=_string_id(sender.get("id"), "from.id"),
        private=str(chat.get("chat_type", "PRIVATE")).upper() == "PRIVATE",
        display_name=name[:100] if isinstance(name, str) and name.strip() else None,
        text=text if isinstance(text, str) else None,
    )


def to_incoming(update: ZaloUpdate) -> Incoming | None:
    """What the dialogs see; ``None`` for what nobody has to answer (a group's pictures). A
    group's text is marked so (the dialogs then only point to a private chat)."""
    if update.event_name == TEXT_EVENT and update.text is not None:
        incoming = Incoming.parse_text(update.text, display_name=update.display_name)
        return incoming if update.private else replace(incoming, group=True)
    if not update.private:
        return None
    return Incoming("unsupported", display_name=update.display_name)


def inbound(update: ZaloUpdate, payload: dict[str, Any]) -> Inbound:
    """The update as the pipeline stores it (``payload``: the body as received)."""
    return Inbound(CHANNEL, update.delivery_id, update.chat_id, update.user_id, payload)


class ZaloTransport:
    """Reads stored updates and writes to chats through the Bot API."""

    channel = CHANNEL

    def __init__(self, api: ZaloBotApi, links: Links) -> None:
        self.api = api
        self.links = links

    async def decode(self, payload: dict[str, Any]) -> Received | None:
        try:
            incoming = to_incoming(parse_update(payload))
        except NoMessage:  # stored by an older version that did not know the event
            return None
        return None if incoming is None else Received(incoming)

    async def deliver(
        self, inbound: Inbound, received: Received, replies: Sequence[Reply], language: str
    ) -> None:
        """Send replies in order, each cut into messages of at most 2000 characters."""
        for reply in replies:
            text = reply.text
            if reply.options or reply.document is not None or reply.upload:
                # Only these add words of their own ("Trả lời 1 hoặc 2", a link's expiry).
                text = await self._text(reply, inbound.chat_id, inbound.user_id, language)
            await self.say(inbound.chat_id, text)

    async def say(self, chat_id: str, text: str) -> None:
        for chunk in split_text(text, MESSAGE_LIMIT):
            await self.api.send_message(chat_id, chunk)

    async def _text(self, reply: Reply, chat_id: str, user_id: str, language: str) -> str:
        """Options numbered, a document as a download link, a file request as an upload link."""
        parts = [numbered_text(reply, language)]
        owner = Owner(CHANNEL, user_id, chat_id, language)
        if reply.document is not None:
            document = reply.document
            link = await self.links.download(
                owner, document.name, document.mime_type, document.content
            )
            parts.append(
                t(language, "zalo.download", url=link.url, expires=shown(link.expires_at, "%H:%M"))
            )
        if reply.upload:
            link = await self.links.upload(owner)
            parts.append(
                t(language, "zalo.upload", url=link.url, expires=shown(link.expires_at, "%H:%M"))
            )
        return "\n\n".join(part for part in parts if part.strip())


def webhook(pipeline: Pipeline, secret: str) -> Webhook:
    """The Zalo webhook for the web server: a body is checked (400 if malformed) and stored
    before Zalo gets its 200, then handled in the background; an event without a message gets
    its 200 and is dropped."""

    async def accept(body: Any) -> None:
        try:
            update = parse_update(body)
        except NoMessage as event:
            log.info("Zalo event without a message ignored: %s", event.event_name)
            return
        await pipeline.accept(inbound(update, body))

    return Webhook(path=WEBHOOK_PATH, secret_header=SECRET_HEADER, secret=secret, accept=accept)


@asynccontextmanager
async def zalo_errors() -> AsyncIterator[None]:
    """A token Zalo refuses or a server out of reach, as a one-line registry error."""
    try:
        yield
    except ZaloUnauthorized as error:
        raise ValidationError("zalo.rejected_token") from error
    except (ZaloApiError, httpx.HTTPError) as error:
        raise RegistryError("zalo.unreachable", detail=str(error)[:200]) from error


async def check_token(api: ZaloBotApi) -> None:
    """getMe: the token works and the server answers, or the process stops with one line."""
    async with zalo_errors():
        me = await api.get_me()
    log.info("connected to Zalo as %s", me.get("account_name") or me.get("id"))


async def register_webhook(api: ZaloBotApi, url: str, secret: str) -> None:
    async with zalo_errors():
        await api.set_webhook(url, secret)


async def poll(api: ZaloBotApi, pipeline: Pipeline, stop: asyncio.Event) -> None:
    """Long polling until ``stop`` is set; the webhook is deleted first (getUpdates does not
    work while one is set). Updates are handled one after another, as getUpdates gives them."""

    async def handle(result: dict[str, Any]) -> None:
        try:
            update = parse_update(result)
        except NoMessage as event:
            log.info("Zalo event without a message ignored: %s", event.event_name)
            return
        except MalformedUpdate as error:
            # It cannot be refused, as a webhook body can: logged and skipped.
            log.warning("malformed update from getUpdates skipped: %s", error)
            return
        await pipeline.handle(inbound(update, result))

    async with zalo_errors():
        await api.delete_webhook()
    log.info("polling Zalo for updates")
    async with zalo_errors():
        await poll_updates(api, handle, stop)


class ZaloCourier:
    """The outbox's way to Zalo: one text to one chat (cut at 2000 characters), its failures
    classified. The client retries a 429 a few times itself; one that persists pauses the
    outbox's Zalo sending."""

    channel = CHANNEL

    def __init__(self, api: ZaloBotApi) -> None:
        self.api = api

    async def post(self, chat_id: str, text: str) -> None:
        try:
            for chunk in split_text(text, MESSAGE_LIMIT):
                await self.api.send_message(chat_id, chunk)
        except ZaloRateLimited as error:
            raise RateLimited(error.retry_after or 1.0) from error
        except ZaloApiError as error:
            if error.code == 403:
                raise Blocked(error.description) from error
            raise
