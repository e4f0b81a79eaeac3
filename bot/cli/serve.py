"""``spokes run`` (long polling) and ``spokes serve`` (the one web server): the bot.

Both check the configuration before touching anything, upgrade the database like every
command, connect to the platforms (a refused token or an unreachable server is one line and
exit 1), then run until Ctrl-C or SIGTERM, finishing the updates already received before they
exit 0. ``serve`` runs every configured channel behind one server: the Telegram webhook, the
Zalo webhook, the download and upload links, and ``/healthz``.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.runtime import run
from bot.settings import (
    BotSettings,
    get_bot_settings,
    link_secret,
    telegram_token,
    webhook_secret,
    zalo_token,
    zalo_webhook_secret,
)
from registry.errors import ValidationError
from registry.uow import Database

if TYPE_CHECKING:
    import socket

    from starlette.routing import BaseRoute

    from bot.channels.zalo import ZaloChannel
    from bot.links import Links
    from bot.web_files import Notify

# python-telegram-bot, Starlette and uvicorn are imported by the functions that use them:
# every other ``spokes`` command starts faster without them.

log = logging.getLogger(__name__)


class Channel(enum.StrEnum):
    telegram = "telegram"
    zalo = "zalo"


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
    app.command("serve")(serve_command)


def run_command(
    channel: Annotated[
        Channel, typer.Option("--channel", help="Which chat to poll: telegram or zalo.")
    ] = Channel.telegram,
) -> None:
    """Run the bot by long polling (no public address needed; for development)."""
    settings = get_bot_settings()
    if channel is Channel.telegram:
        _log_to_stderr([telegram_token(settings)])
    else:
        _log_to_stderr([zalo_token(settings), *_link_key(settings)])

    async def work(database: Database) -> None:
        async with until_signalled() as stop:
            if channel is Channel.telegram:
                await poll(settings, database, stop)
            else:
                from bot import web

                sock = web.listen(settings.host, settings.port)
                await poll_zalo(settings, database, sock, stop)

    run(work)


def serve_command(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.", min=1, max=65535)] = None,
) -> None:
    """Run the web server: the webhooks of the configured channels, file links and /healthz."""
    settings = get_bot_settings()
    _log_to_stderr(_checked_secrets(settings))

    async def work(database: Database) -> None:
        from bot import web

        async with until_signalled() as stop:
            sock = web.listen(host or settings.host, port or settings.port)
            await serve_webhook(settings, database, sock, stop)

    run(work)


def _link_key(settings: BotSettings) -> list[str]:
    link_secret(settings)  # a configured key that is too short fails here, before anything
    return [settings.link_secret.get_secret_value()] if settings.link_secret else []


def _checked_secrets(settings: BotSettings) -> list[str]:
    """Every secret ``serve`` needs, checked; at least one channel must be configured."""
    secrets: list[str] = []
    if settings.telegram_token is not None:
        secrets += [telegram_token(settings), webhook_secret(settings)]
    if settings.zalo_token is not None:
        secrets += [zalo_token(settings), zalo_webhook_secret(settings)]
    if not secrets:
        raise ValidationError("web.no_channel")
    return secrets + _link_key(settings)


async def poll(settings: BotSettings, database: Database, stop: asyncio.Event) -> None:
    """The Telegram bot by long polling until ``stop`` is set."""
    from bot.channels import telegram
    from bot.dialogs.engine import Dialogs

    application = telegram.build_application(settings, Dialogs(database, settings), polling=True)
    await telegram.poll(application, stop)


async def poll_zalo(
    settings: BotSettings, database: Database, sock: socket.socket, stop: asyncio.Event
) -> None:
    """The Zalo bot by long polling, with the web server for its file links on ``sock``."""
    from bot import web
    from bot.channels import zalo

    async with zalo_channel(settings, database) as channel:
        app = web.create_app(
            database, [], _pages(settings, database, channel.links, channel.notify)
        )
        polling = asyncio.create_task(zalo.poll(channel, stop))
        serving = asyncio.create_task(web.serve(app, sock, stop))
        host, port = sock.getsockname()[:2]
        log.info("file links served on http://%s:%s", host, port)
        try:
            await asyncio.gather(polling, serving)
        finally:
            stop.set()  # a fatal polling error (token revoked) also stops the web server
            await asyncio.gather(polling, serving, return_exceptions=True)


async def serve_webhook(
    settings: BotSettings, database: Database, sock: socket.socket, stop: asyncio.Event
) -> None:
    """Every configured channel behind the web server on ``sock`` until ``stop`` is set."""
    from bot import web
    from bot.channels import telegram, zalo
    from bot.dialogs.engine import Dialogs
    from bot.links import Links

    webhooks: list[web.Webhook] = []
    notify: Notify | None = None
    links = Links(database, settings)
    async with AsyncExitStack() as stack:
        if settings.telegram_token is not None:
            secret = webhook_secret(settings)
            dialogs = Dialogs(database, settings)
            application = telegram.build_application(settings, dialogs, polling=False)
            await stack.enter_async_context(telegram.running(application))
            if settings.telegram_webhook_url:
                async with telegram.telegram_errors():
                    await application.bot.set_webhook(
                        url=settings.telegram_webhook_url,
                        secret_token=secret,
                        allowed_updates=telegram.ALLOWED_UPDATES,
                    )
                log.info("Telegram webhook registered at %s", settings.telegram_webhook_url)
            else:
                log.warning("SPOKES_TELEGRAM_WEBHOOK_URL is not set: webhook not registered")
            webhooks.append(telegram.webhook(application, secret))
        if settings.zalo_token is not None:
            secret = zalo_webhook_secret(settings)
            channel = await stack.enter_async_context(zalo_channel(settings, database, links))
            if settings.zalo_webhook_url:
                await zalo.register_webhook(channel.api, settings.zalo_webhook_url, secret)
                log.info("Zalo webhook registered at %s", settings.zalo_webhook_url)
            else:
                log.warning("SPOKES_ZALO_WEBHOOK_URL is not set: webhook not registered")
            webhooks.append(zalo.webhook(channel, secret))
            notify = channel.notify
        app = web.create_app(database, webhooks, _pages(settings, database, links, notify))
        host, port = sock.getsockname()[:2]
        paths = ", ".join(hook.path for hook in webhooks)
        log.info("listening on http://%s:%s (%s, /files, /upload, /healthz)", host, port, paths)
        # The web server stops first, then each channel handles what it already received.
        await web.serve(app, sock, stop)


@asynccontextmanager
async def zalo_channel(
    settings: BotSettings, database: Database, links: Links | None = None
) -> AsyncIterator[ZaloChannel]:
    """The Zalo channel with its API client, the token checked (getMe); at exit, the updates
    already accepted are finished before the client closes."""
    from bot.channels import zalo
    from bot.channels.zalo_api import ZaloBotApi
    from bot.dialogs.engine import Dialogs
    from bot.links import Links

    async with ZaloBotApi(zalo_token(settings), settings.zalo_base_url) as api:
        await zalo.check_token(api)
        channel = zalo.ZaloChannel(
            Dialogs(database, settings), api, links or Links(database, settings)
        )
        try:
            yield channel
        finally:
            await channel.drain()


def _pages(
    settings: BotSettings, database: Database, links: Links, notify: Notify | None
) -> list[BaseRoute]:
    from bot.web_files import FilePages

    return FilePages(database, links, settings, notify).routes()


@asynccontextmanager
async def until_signalled() -> AsyncIterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM, so that both stop the bot the same clean way."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    try:
        yield stop
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


class _Redacting(logging.Formatter):
    """Never prints a secret, whatever a library puts in a message or a traceback."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


def _log_to_stderr(secrets: Sequence[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Redacting(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # httpx logs each request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The CLI says in one line when it upgrades the database; Alembic's chatter is not needed.
    logging.getLogger("alembic").setLevel(logging.WARNING)
