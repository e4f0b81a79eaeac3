"""The Telegram channel: python-telegram-bot 22 as a transport of the pipeline.

Updates arrive through the Application: by long polling (each update is stored in the inbox as
getUpdates returns it, before the next call's offset tells Telegram it was received; the
handler then has the pipeline answer its chat) or through the web server's webhook
(:func:`webhook`: the update is stored, the 200 goes back, the chat is handled in the
background). Either way the pipeline orders, de-duplicates and handles them; this module only
translates. A stored update becomes one :class:`Incoming` (a pressed button is answered first,
so its spinner stops; a received document is fetched with getFile); the dialogs' replies become
messages: options an inline keyboard whose callback data is ``<question>:<key>``, a contact
request a "share my phone number" keyboard, a document a sendDocument with the text as
caption, a long text several messages. Everything the dialogs decide (what a button means,
whether it has expired) stays in the dialogs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Self

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputFile,
    InputTextMessageContent,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseRateLimiter,
    ContextTypes,
    InlineQueryHandler,
    TypeHandler,
)
from telegram.request import HTTPXRequest

from bot.channels.split import split_text, text_size
from bot.dialogs.io import Incoming, Reply
from bot.lookup import Card, Lookup
from bot.pipeline.protocol import Blocked, Inbound, RateLimited, Received
from bot.settings import BotSettings, telegram_token
from bot.texts import t
from bot.web import MalformedUpdate, Webhook
from registry.errors import RegistryError, ValidationError

if TYPE_CHECKING:
    from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bots may download files up to 20 MB
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Only what the dialogs read: Telegram then does not even send the rest (chat member changes...).
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
# How long Telegram itself may show the same inline answer to anyone typing the same query.
INLINE_CACHE_SECONDS = 30


def allowed_updates(settings: BotSettings) -> list[str]:
    """The updates the bot asks Telegram for: inline queries only with the published directory
    on (the bot must also have inline mode switched on with @BotFather, /setinline)."""
    return [*ALLOWED_UPDATES, Update.INLINE_QUERY] if settings.public_directory else ALLOWED_UPDATES


TelegramApp = Application[Any, Any, Any, Any, Any, Any]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


def file_url(base_url: str) -> str:
    """The file URL that goes with a Bot API base URL (``.../bot`` → ``.../file/bot``)."""
    head, slash, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}{slash}file/{tail}" if slash else f"{base_url}/file"


def to_incoming(update: Update) -> Incoming | None:
    """What the dialogs see of an update; ``None`` for updates nobody has to answer. A group's
    messages are marked so (the dialogs then only point to a private chat)."""
    incoming = _incoming(update)
    chat = update.effective_chat
    if incoming is not None and chat is not None and chat.type != "private":
        return replace(incoming, group=True)
    return incoming


def _incoming(update: Update) -> Incoming | None:
    user = update.effective_user
    name = user.full_name if user else None
    query = update.callback_query
    if query is not None:
        # The dialogs decide whether the data belongs to the current question (else: expired).
        return Incoming("choice", choice=query.data or "", display_name=name)
    message = update.message
    if message is None:
        # An edit changes nothing in a dialog; saying so beats letting the person believe it did.
        return Incoming("unsupported", display_name=name) if update.edited_message else None
    if message.text is not None:
        return Incoming.parse_text(message.text, display_name=name)
    if message.contact is not None:
        contact = message.contact
        own = user is not None and contact.user_id is not None and contact.user_id == user.id
        return Incoming(
            "contact", contact_phone=contact.phone_number, contact_is_own=own, display_name=name
        )
    if message.document is not None:
        # The content is fetched later (getFile), once the update is known not to be a copy.
        return Incoming(
            "file",
            text=message.caption or "",
            file_name=message.document.file_name or "document",
            file_size=message.document.file_size,
            display_name=name,
        )
    if message.chat.type != "private":
        # In a group, photos and service messages ("X joined") are not meant for the bot.
        return None
    return Incoming("unsupported", display_name=name)


def inline_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """A question's options, one per row (labels such as agency names are long)."""
    if not reply.options:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(option.label, callback_data=reply.choice_data(option))]
            for option in reply.options
        ]
    )


def contact_keyboard(language: str) -> ReplyKeyboardMarkup:
    button = KeyboardButton(t(language, "bot.contact_button"), request_contact=True)
    return ReplyKeyboardMarkup([[button]], one_time_keyboard=True, resize_keyboard=True)


def inbound(update: Update, payload: dict[str, Any] | None = None) -> Inbound | None:
    """The update as the pipeline stores it (``payload``: the body as received, else the
    update's own JSON); ``None`` when it belongs to no chat and no sender."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    body = payload if payload is not None else update.to_dict()
    return Inbound(CHANNEL, str(update.update_id), str(chat.id), str(user.id), body)


class TelegramTransport:
    """Reads stored updates and writes to chats through one Application's bot."""

    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # Chats that were last sent the contact keyboard: the next plain message removes it.
        # Kept in memory only: after a restart the one-time keyboard is at worst shown once more.
        self._contact_keyboards: set[int] = set()
        # Updates this process received by polling and is handing over now, by update id:
        # decoding one of them needs no second parse of its payload.
        self.parsed: dict[int, Update] = {}

    async def decode(self, payload: dict[str, Any]) -> Received | None:
        update = self.parsed.pop(payload.get("update_id", -1), None)
        if update is None:
            update = Update.de_json(payload, self.bot)
        incoming = to_incoming(update)
        if incoming is None:
            return None
        query = update.callback_query
        if query is not None:
            await _answer(query)
        if incoming.kind == "file" and update.effective_message is not None:
            incoming = await _downloaded(update.effective_message, incoming)
        return Received(incoming, update)

    async def deliver(
        self, inbound: Inbound, received: Received, replies: Sequence[Reply], language: str
    ) -> None:
        update = received.context
        if isinstance(update, Update) and update.callback_query is not None:
            # Only now: if handling failed, the buttons stay and the person can press again.
            await _remove_buttons(update.callback_query)
        try:
            await self.send(int(inbound.chat_id), replies, language)
        except Forbidden as error:
            # The person blocked the bot or left the chat: nobody to answer.
            log.info("chat %s: the bot may not write here (%s)", inbound.chat_id, error)

    async def say(self, chat_id: str, text: str) -> None:
        # Sent as is: a contact button still shown stays, the question is still open.
        try:
            await self.bot.send_message(int(chat_id), text)
        except Forbidden as error:
            log.info("chat %s: the bot may not write here (%s)", chat_id, error)

    async def send(self, chat_id: int, replies: Sequence[Reply], language: str) -> None:
        """Send replies in order; a long text in several messages, its keyboard on the last."""
        for reply in replies:
            markup: Markup | None = inline_keyboard(reply)
            if markup is None and reply.ask_contact:
                markup = contact_keyboard(language)
            if reply.document is None:
                await self._send_text(chat_id, reply.text, markup)
                continue
            # The text is the document's caption when it fits, else messages before it.
            caption = reply.text if text_size(reply.text) <= CAPTION_LIMIT else ""
            if not caption:
                await self._send_text(chat_id, reply.text, None)
            document = InputFile(reply.document.content, filename=reply.document.name)
            await self.bot.send_document(
                chat_id,
                document,
                caption=caption or None,
                reply_markup=self._keyboard(chat_id, markup),
            )

    async def _send_text(self, chat_id: int, text: str, markup: Markup | None) -> None:
        # A message has at least one character; a question without text still needs one.
        chunks = split_text(text, MESSAGE_LIMIT) or (["…"] if markup else [])
        for index, chunk in enumerate(chunks):
            own = markup if index == len(chunks) - 1 else None
            await self.bot.send_message(chat_id, chunk, reply_markup=self._keyboard(chat_id, own))

    def _keyboard(self, chat_id: int, own: Markup | None) -> Markup | ReplyKeyboardRemove | None:
        """The keyboard for the next message: its own, or the removal of a contact button."""
        if isinstance(own, ReplyKeyboardMarkup):
            self._contact_keyboards.add(chat_id)
        elif own is None and chat_id in self._contact_keyboards:
            self._contact_keyboards.discard(chat_id)
            return ReplyKeyboardRemove()
        return own


class _UpdatesRequest(HTTPXRequest):
    """The getUpdates connection: each update is stored in the inbox, as Telegram sent it,
    before python-telegram-bot sees it.

    The Updater confirms a batch (the next getUpdates' offset) as soon as it has queued it,
    while the handlers may not have run yet: a process dying then would lose the batch, which
    Telegram never sends again. Stored here first, it is answered after a restart instead; if it
    cannot be stored (the database is down), the call fails as a network error, the Updater
    asks again with the same offset after a pause, and Telegram keeps the batch meanwhile.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        super().__init__(connection_pool_size=1)  # PTB's own for getUpdates
        self.pipeline = pipeline

    async def post(self, *args: Any, **kwargs: Any) -> Any:
        result = await super().post(*args, **kwargs)
        if isinstance(result, list):
            for item in result:
                update_id = item.get("update_id") if isinstance(item, dict) else None
                if not isinstance(update_id, int) or isinstance(update_id, bool):
                    continue
                handed = inbound(Update.de_json(item, None), item)
                if handed is None:
                    continue
                try:
                    await self.pipeline.store(handed)  # a repeat is recognised there
                except Exception as error:
                    log.error("could not store Telegram update %s; asking again", update_id)
                    raise NetworkError("updates could not be stored; asking again") from error
        return result


def _attach(
    application: TelegramApp,
    pipeline: Pipeline,
    transport: TelegramTransport,
    settings: BotSettings,
    updates: _UpdatesRequest | None,
) -> None:
    """The Application's handler (hand every update to the pipeline), error handler and menus."""

    async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # No await before the pipeline's intake: PTB starts the update tasks in update order,
        # and the pipeline keeps the order of each chat from there.
        chat = update.effective_chat
        if chat is None or update.effective_user is None:
            return  # not stored either: it belongs to no chat
        transport.parsed[update.update_id] = update
        try:
            if updates is not None:
                await pipeline.answer_stored(CHANNEL, str(chat.id))  # stored by getUpdates
            else:
                handed = inbound(update)
                if handed is not None:
                    await pipeline.handle(handed)
        finally:
            transport.parsed.pop(update.update_id, None)  # a repeat is never decoded

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The pipeline answers for the updates; what is left is the Application's own trouble.
        log.error("error in the Telegram application", exc_info=context.error)

    async def post_init(application: TelegramApp) -> None:
        """Command menus in Vietnamese and English, and the default for other languages."""
        menus: list[tuple[str | None, str]] = [
            ("vi", "vi"),
            ("en", "en"),
            (None, settings.default_language),
        ]
        for language_code, language in menus:
            commands = [BotCommand(c, d) for c, d in pipeline.dialogs.command_menu(language)]
            await application.bot.set_my_commands(commands, language_code=language_code)

    lookup = Lookup(pipeline.database, settings)

    async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``@bot tên``: public cards of the published directory (none while it is off)."""
        query = update.inline_query
        if query is None:
            return
        language = query.from_user.language_code if query.from_user else None
        cards = await lookup.cards(query.query, language)
        await query.answer(
            [inline_result(card) for card in cards],
            cache_time=INLINE_CACHE_SECONDS,
            is_personal=False,
        )

    application.bot_data["allowed_updates"] = allowed_updates(settings)
    # Before the catch-all: an inline query belongs to no chat and never enters the pipeline.
    application.add_handler(InlineQueryHandler(on_inline))
    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)
    application.post_init = post_init


def inline_result(card: Card) -> InlineQueryResultArticle:
    """A public card as an inline result: chosen, it is sent as text into the chat."""
    return InlineQueryResultArticle(
        id=card.key,
        title=card.title,
        description=card.description,
        input_message_content=InputTextMessageContent(card.text),
    )


async def _downloaded(message: Message, incoming: Incoming) -> Incoming:
    """The received document with its content, when Telegram lets bots download it."""
    size = incoming.file_size
    if message.document is None or (size is not None and size > DOWNLOAD_LIMIT):
        return incoming  # name and size only: the dialogs say it is too large
    file = await message.document.get_file()
    content = bytes(await file.download_as_bytearray())
    return replace(incoming, file_content=content, file_size=len(content))


async def _answer(query: CallbackQuery) -> None:
    """Stop the button's spinner; a failure here must not cost the person their answer."""
    try:
        await query.answer()
    except TelegramError as error:
        log.warning("could not answer callback query %s: %s", query.id, error)


async def _remove_buttons(query: CallbackQuery) -> None:
    """Take the keyboard off the message whose button was pressed, so old buttons vanish."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as error:
        log.warning("could not remove the buttons of message %s: %s", message.message_id, error)


def _limiter(settings: BotSettings) -> AIORateLimiter:
    """Telegram's flood limits, with retries on flood control; the overall rate is a setting
    (0: no overall cap)."""
    return AIORateLimiter(overall_max_rate=settings.telegram_max_rate, max_retries=3)


def build_application(
    settings: BotSettings,
    pipeline: Pipeline,
    *,
    polling: bool,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> TelegramApp:
    """The Application, its transport registered with ``pipeline``; ``polling=False`` for a
    webhook (no Updater).

    ``rate_limiter`` defaults to Telegram's limits (30 messages a second, 20 a minute in a
    group) with retries on flood control; the benchmark lifts them to measure the bot itself.
    """
    token = telegram_token(settings)
    # httpx logs every request URL at INFO, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    builder = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram_base_url)
        .base_file_url(file_url(settings.telegram_base_url))
        .rate_limiter(rate_limiter or _limiter(settings))
        .concurrent_updates(True)
        # A bounded pool, and a wait for a free connection long enough that a burst queues
        # (PTB's default: 1 s, and even the apologies were lost).
        .connection_pool_size(settings.http_connections)
        .pool_timeout(settings.http_pool_seconds)
    )
    updates = _UpdatesRequest(pipeline) if polling else None
    builder = builder.get_updates_request(updates) if updates else builder.updater(None)
    application = builder.build()
    transport = TelegramTransport(application.bot)
    pipeline.add(transport)
    _attach(application, pipeline, transport, settings, updates)
    return application


@asynccontextmanager
async def telegram_errors() -> AsyncIterator[None]:
    """A token Telegram refuses or a server out of reach, as a one-line registry error."""
    try:
        yield
    except InvalidToken as error:
        raise ValidationError("telegram.rejected_token") from error
    except NetworkError as error:
        raise RegistryError("telegram.unreachable", detail=str(error)[:200]) from error


@asynccontextmanager
async def running(application: TelegramApp) -> AsyncIterator[TelegramApp]:
    """Connect (getMe checks the token), register the menus, process updates until exit."""
    async with telegram_errors():
        await application.initialize()
    try:
        async with telegram_errors():
            if application.post_init is not None:
                await application.post_init(application)
        await application.start()
        try:
            yield application
        finally:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            # Waits until every update already received has been handled.
            await application.stop()
    finally:
        await application.shutdown()


async def poll(application: TelegramApp, stop: asyncio.Event) -> None:
    """Long polling until ``stop`` is set (``getUpdates``; the webhook is deleted first)."""
    async with running(application):
        await start_polling(application)
        await stop.wait()


async def start_polling(application: TelegramApp) -> None:
    """Have the Updater fetch updates (``getUpdates``) in the background."""
    assert application.updater is not None, "build the application with polling=True"
    async with telegram_errors():
        # start_polling calls deleteWebhook first: getUpdates is refused while one is set.
        wanted = application.bot_data.get("allowed_updates", ALLOWED_UPDATES)
        await application.updater.start_polling(allowed_updates=wanted)
    log.info("polling Telegram for updates")


_MAX_ID = 2**63  # Telegram's ids fit in a signed 64-bit integer
_OBJECTS = ("message", "edited_message", "callback_query", "inline_query")
_TEXTS = ("text", "caption")


def _whole(value: Any, what: str, *, negative: bool = False) -> int:
    # bool is an int in Python, and JSON's true is no id.
    if type(value) is not int or not (-_MAX_ID if negative else 0) <= value < _MAX_ID:
        raise MalformedUpdate(f"{what} missing or not a whole number")
    return value


def _sender(value: Any, what: str) -> None:
    if not isinstance(value, dict):
        raise MalformedUpdate(f"{what} is not an object")
    _whole(value.get("id"), f"{what}.id")


def _message(value: Any, what: str) -> None:
    if not isinstance(value, dict):
        raise MalformedUpdate(f"{what} is not an object")
    chat = value.get("chat")
    if not isinstance(chat, dict):
        raise MalformedUpdate(f"{what}.chat is not an object")
    _whole(chat.get("id"), f"{what}.chat.id", negative=True)  # groups have negative ids
    if "from" in value:
        _sender(value["from"], f"{what}.from")
    for key in _TEXTS:
        if key in value and not isinstance(value[key], str):
            raise MalformedUpdate(f"{what}.{key} is not text")


def check_update(body: Any) -> None:
    """:class:`MalformedUpdate` unless ``body`` has the shape of a Telegram update where the
    bot reads it: a whole ``update_id``, and messages, chats and senders that are objects with
    whole ids (python-telegram-bot itself trusts the types it is given)."""
    if not isinstance(body, dict):
        raise MalformedUpdate("not a JSON object")
    _whole(body.get("update_id"), "update_id")
    for key in _OBJECTS:
        if key in body and not isinstance(body[key], dict):
            raise MalformedUpdate(f"{key} is not an object")
    for key in ("message", "edited_message"):
        if key in body:
            _message(body[key], key)
    query = body.get("callback_query")
    if query is not None:
        _sender(query.get("from"), "callback_query.from")
        if not isinstance(query.get("id"), str):
            raise MalformedUpdate("callback_query.id is not text")
        if "data" in query and not isinstance(query["data"], str):
            raise MalformedUpdate("callback_query.data is not text")
        if "message" in query:
            _message(query["message"], "callback_query.message")
    inline = body.get("inline_query")
    if inline is not None:
        _sender(inline.get("from"), "inline_query.from")
        if not isinstance(inline.get("id"), str) or not isinstance(inline.get("query"), str):
            raise MalformedUpdate("inline_query.id or .query is not text")


def webhook(application: TelegramApp, pipeline: Pipeline, secret: str) -> Webhook:
    """The Telegram webhook for the web server: an update is stored before Telegram gets its
    200, then handled in the background."""

    async def accept(body: Any) -> None:
        check_update(body)
        try:
            update = Update.de_json(body, application.bot)
        except Exception as error:
            raise MalformedUpdate(str(error)) from error
        if update.inline_query is not None:
            # Answered at once by the Application's handler; nothing to store for a chat.
            await application.update_queue.put(update)
            return
        handed = inbound(update, body)
        if handed is not None:
            await pipeline.accept(handed)

    return Webhook(path=WEBHOOK_PATH, secret_header=SECRET_HEADER, secret=secret, accept=accept)


class TelegramCourier:
    """The outbox's way to Telegram: one text to one chat, with its failures classified.

    A bot of its own (no python-telegram-bot rate limiter: the outbox paces itself and must
    see each 429 to pause and reschedule), with its own connection pool, so a broadcast never
    takes the connections the replies to people need.
    """

    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @classmethod
    @asynccontextmanager
    async def running(cls, settings: BotSettings, connections: int) -> AsyncIterator[Self]:
        request = HTTPXRequest(
            connection_pool_size=connections, pool_timeout=settings.http_pool_seconds
        )
        bot = Bot(
            telegram_token(settings),
            base_url=settings.telegram_base_url,
            base_file_url=file_url(settings.telegram_base_url),
            request=request,
        )
        async with telegram_errors():
            await bot.initialize()
        try:
            yield cls(bot)
        finally:
            await bot.shutdown()

    async def post(self, chat_id: str, text: str) -> None:
        try:
            for chunk in split_text(text, MESSAGE_LIMIT):
                await self.bot.send_message(int(chat_id), chunk)
        except Forbidden as error:
            raise Blocked(str(error)) from error
        except RetryAfter as error:
            wait = error.retry_after  # seconds, or a timedelta in later versions
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise RateLimited(seconds) from error
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                raise Blocked("chat not found") from error
            raise
