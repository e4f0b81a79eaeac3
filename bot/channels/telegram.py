"""The Telegram channel: python-telegram-bot 22 in front of the channel-agnostic dialogs.

An update becomes one :class:`Incoming` (a received document with its content, fetched with
getFile); the dialogs' replies become messages, options an inline keyboard whose callback data
is ``<question>:<key>``, a contact request a "share my phone number" keyboard, a document a
sendDocument with the text as caption. Everything the dialogs decide (what a button means, whether it has
expired) stays in the dialogs; this module only translates, keeps the order of each chat, and
makes sure a person always gets an answer, even when something broke.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, BaseRateLimiter, ContextTypes, TypeHandler

from bot.channels.locks import ChatLocks
from bot.channels.split import split_text, text_size
from bot.dialogs.engine import Dialogs
from bot.dialogs.io import Incoming, Reply
from bot.settings import BotSettings, telegram_token
from bot.texts import t
from bot.web import MalformedUpdate, Webhook
from registry.errors import RegistryError, ValidationError

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bots may download files up to 20 MB
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Only what the dialogs read: Telegram then does not even send the rest (chat member changes...).
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


def file_url(base_url: str) -> str:
    """The file URL that goes with a Bot API base URL (``.../bot`` → ``.../file/bot``)."""
    head, slash, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}{slash}file/{tail}" if slash else f"{base_url}/file"


def to_incoming(update: Update) -> Incoming | None:
    """What the dialogs see of an update; ``None`` for updates nobody has to answer."""
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


class TelegramChannel:
    """The handler, the error handler and the start-up hook of one Application."""

    def __init__(self, dialogs: Dialogs, settings: BotSettings) -> None:
        self.dialogs = dialogs
        self.settings = settings
        self.locks = ChatLocks()
        # Chats that were last sent the contact keyboard: the next plain message removes it.
        # Kept in memory only: after a restart the one-time keyboard is at worst shown once more.
        self._contact_keyboards: set[int] = set()

    def attach(self, application: TelegramApp) -> None:
        application.add_handler(TypeHandler(Update, self.on_update))
        application.add_error_handler(self.on_error)

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user = update.effective_chat, update.effective_user
        incoming = to_incoming(update)
        if chat is None or user is None or incoming is None:
            return
        # No await before the lock: PTB starts the update tasks in update order, and taking the
        # lock first thing keeps that order within the chat while other chats run concurrently.
        async with self.locks.hold(chat.id):
            try:
                await self._handle(context.bot, update, chat.id, user.id, incoming)
            except Exception as error:
                # Reported while the chat is still locked, so the apology reaches the person
                # before the answer to their next message.
                await context.application.process_error(update, error)

    async def _handle(
        self, bot: Bot, update: Update, chat_id: int, user_id: int, incoming: Incoming
    ) -> None:
        if not await self.dialogs.first_time(CHANNEL, str(update.update_id)):
            log.info("update %s was already handled; ignored", update.update_id)
            return
        query = update.callback_query
        if query is not None:
            await _answer(query)
        if incoming.kind == "file" and update.effective_message is not None:
            incoming = await _downloaded(update.effective_message, incoming)
        async with self.dialogs.db.uow() as uow:
            outcome = await self.dialogs.handle(uow, CHANNEL, str(chat_id), str(user_id), incoming)
            await uow.commit()
        replies = outcome.replies
        if query is not None:
            # Only now: if handling failed, the buttons stay and the person can press again.
            await _remove_buttons(query)
        await self.send(bot, chat_id, user_id, replies)

    async def send(self, bot: Bot, chat_id: int, user_id: int, replies: Sequence[Reply]) -> None:
        """Send replies in order; a long text in several messages, its keyboard on the last."""
        language: str | None = None
        for reply in replies:
            markup: Markup | None = inline_keyboard(reply)
            if markup is None and reply.ask_contact:
                language = language or await self.dialogs.language_for(CHANNEL, str(user_id))
                markup = contact_keyboard(language)
            if reply.document is None:
                await self._send_text(bot, chat_id, reply.text, markup)
                continue
            # The text is the document's caption when it fits, else messages before it.
            caption = reply.text if text_size(reply.text) <= CAPTION_LIMIT else ""
            if not caption:
                await self._send_text(bot, chat_id, reply.text, None)
            document = InputFile(reply.document.content, filename=reply.document.name)
            await bot.send_document(
                chat_id,
                document,
                caption=caption or None,
                reply_markup=self._keyboard(chat_id, markup),
            )

    async def _send_text(self, bot: Bot, chat_id: int, text: str, markup: Markup | None) -> None:
        # A message has at least one character; a question without text still needs one.
        chunks = split_text(text, MESSAGE_LIMIT) or (["…"] if markup else [])
        for index, chunk in enumerate(chunks):
            own = markup if index == len(chunks) - 1 else None
            await bot.send_message(chat_id, chunk, reply_markup=self._keyboard(chat_id, own))

    def _keyboard(self, chat_id: int, own: Markup | None) -> Markup | ReplyKeyboardRemove | None:
        """The keyboard for the next message: its own, or the removal of a contact button."""
        if isinstance(own, ReplyKeyboardMarkup):
            self._contact_keyboards.add(chat_id)
        elif own is None and chat_id in self._contact_keyboards:
            self._contact_keyboards.discard(chat_id)
            return ReplyKeyboardRemove()
        return own

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log with the update id; tell the person their data is safe and to try again."""
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(context.error, Forbidden):
            # The person blocked the bot or left the chat: nobody to apologise to.
            log.info("update %s: the bot may not write to this chat (%s)", update_id, context.error)
            return
        log.error("error while handling update %s", update_id, exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        chat_id = update.effective_chat.id
        user_id = update.effective_user.id if update.effective_user else chat_id
        language: str | None = self.settings.default_language
        try:
            language = await self.dialogs.language_for(CHANNEL, str(user_id))
        except Exception:
            log.warning("language of user %s unknown (database down?)", user_id)
        try:
            # Sent as is: a contact button still shown stays, the question is still open.
            await context.bot.send_message(chat_id, self.dialogs.error_reply(language).text)
        except Exception:
            log.exception("could not tell chat %s about the error of update %s", chat_id, update_id)

    async def post_init(self, application: TelegramApp) -> None:
        """Command menus in Vietnamese and English, and the default for other languages."""
        menus: list[tuple[str | None, str]] = [
            ("vi", "vi"),
            ("en", "en"),
            (None, self.settings.default_language),
        ]
        for language_code, language in menus:
            commands = [BotCommand(c, d) for c, d in self.dialogs.command_menu(language)]
            await application.bot.set_my_commands(commands, language_code=language_code)


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


def build_application(
    settings: BotSettings,
    dialogs: Dialogs,
    *,
    polling: bool,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> TelegramApp:
    """The Application for ``dialogs``; ``polling=False`` for a webhook (no Updater).

    ``rate_limiter`` defaults to Telegram's limits (30 messages a second, 20 a minute in a
    group) with retries on flood control; the benchmark lifts them to measure the bot itself.
    """
    token = telegram_token(settings)
    # httpx logs every request URL at INFO, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    channel = TelegramChannel(dialogs, settings)
    builder = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram_base_url)
        .base_file_url(file_url(settings.telegram_base_url))
        .rate_limiter(rate_limiter or AIORateLimiter(max_retries=3))
        .concurrent_updates(True)
        .post_init(channel.post_init)
    )
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    channel.attach(application)
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
    assert application.updater is not None, "build the application with polling=True"
    async with running(application):
        async with telegram_errors():
            # start_polling calls deleteWebhook first: getUpdates is refused while one is set.
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        log.info("polling Telegram for updates")
        await stop.wait()


def webhook(application: TelegramApp, secret: str) -> Webhook:
    """The Telegram webhook for the web server: updates go to the Application's queue."""

    async def accept(body: Any) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
            raise MalformedUpdate("not a Telegram update")
        try:
            update = Update.de_json(body, application.bot)
        except Exception as error:
            raise MalformedUpdate(str(error)) from error
        await application.update_queue.put(update)

    return Webhook(path=WEBHOOK_PATH, secret_header=SECRET_HEADER, secret=secret, accept=accept)
