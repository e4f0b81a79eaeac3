"""``spokes run`` (long polling) and ``spokes serve`` (the one web server): the bot.

Both check the configuration before touching anything, upgrade the database like every
command, connect to the platforms (a refused token or an unreachable server is one line and
exit 1), then run until Ctrl-C or SIGTERM: new work is refused, the updates under way get
``SPOKES_SHUTDOWN_SECONDS`` to finish, the rest waits in the inbox for the next start, and they
exit 0. ``serve`` runs every configured channel behind one server: the Telegram webhook, the
Zalo webhook, the download and upload links, ``/healthz``, and with ``SPOKES_PUBLIC_DIRECTORY``
the published directory (``/directory``, ``/api/v1``, :mod:`bot.web_directory`). With no
channel configured it still serves the links, the directory and ``/healthz`` and says in its
log which channels are off, so the upload page and the downloads can be tried without any
token (the links are then minted by ``spokes links``, signed with the ``SPOKES_LINK_SECRET``
both processes share). Every channel hands its updates to one :class:`~bot.pipeline.Pipeline`, which at start resumes the chats left waiting by a
process that stopped, and while running forgets handled updates after
``SPOKES_PROCESSED_RETENTION_DAYS``. Several ``serve`` processes may share one PostgreSQL
database: each chat is still answered in order, each update once.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

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
from registry.uow import Database

if TYPE_CHECKING:
    import socket

    from starlette.routing import BaseRoute

    from bot.channels.zalo_api import ZaloBotApi
    from bot.links import Links
    from bot.pipeline import Done, Pipeline
    from bot.pipeline.protocol import Courier

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
        _log_to_stderr([telegram_token(settings), *_invitation_key(settings)])
    else:
        _log_to_stderr([zalo_token(settings), *_link_key(settings), *_invitation_key(settings)])

    async def work(database: Database) -> None:
        async with until_signalled() as stop:
            if channel is Channel.telegram:
                await poll(settings, database, stop)
            else:
                from bot import web

                sock = web.listen(settings.host, settings.port)
                await poll_zalo(settings, database, sock, stop)

    run(work, writer=f"spokes run --channel {channel.value}")


def serve_command(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.", min=1, max=65535)] = None,
) -> None:
    """Run the web server: the webhooks of the configured channels (none needed), file links,
    /healthz, and the published directory when it is switched on."""
    settings = get_bot_settings()
    _log_to_stderr(_checked_secrets(settings))

    async def work(database: Database) -> None:
        from bot import web

        async with until_signalled() as stop:
            sock = web.listen(host or settings.host, port or settings.port)
            await serve_webhook(settings, database, sock, stop)

    run(work, writer="spokes serve")


def _link_key(settings: BotSettings) -> list[str]:
    link_secret(settings)  # a configured key that is too short fails here, before anything
    return [settings.link_secret.get_secret_value()] if settings.link_secret else []


def _checked_secrets(settings: BotSettings) -> list[str]:
    """Every secret ``serve`` needs for the channels it runs, checked (none is required)."""
    secrets: list[str] = []
    if settings.telegram_token is not None:
        secrets += [telegram_token(settings), webhook_secret(settings)]
    if settings.zalo_token is not None:
        secrets += [zalo_token(settings), zalo_webhook_secret(settings)]
    return secrets + _link_key(settings) + _invitation_key(settings)


def _invitation_key(settings: BotSettings) -> list[str]:
    secret = settings.invitation_secret
    return [secret.get_secret_value()] if secret and secret.get_secret_value() else []


def _say_channels_off(settings: BotSettings) -> None:
    """One log line per channel left off, and what a server with none of them is good for."""
    off = [
        (name, variable)
        for name, variable, token in (
            ("Telegram", "SPOKES_TELEGRAM_TOKEN", settings.telegram_token),
            ("Zalo", "SPOKES_ZALO_TOKEN", settings.zalo_token),
        )
        if token is None
    ]
    for name, variable in off:
        log.info("%s is off: %s is not set", name, variable)
    if len(off) < 2:
        return
    if settings.public_directory:
        log.info("no chat channel: serving the published directory, the links and /healthz")
    else:
        log.info("no chat channel: serving the download and upload links and /healthz only")
    if settings.link_secret is None:
        log.warning(
            "SPOKES_LINK_SECRET is not set: links made by `spokes links` (or any other process)"
            " will not open here; set the same SPOKES_LINK_SECRET for both"
        )


def _learn_username(pipeline: Pipeline, username: str | None) -> None:
    """Invitation links made in the chat name the bot as Telegram knows it (getMe), unless
    SPOKES_TELEGRAM_BOT_USERNAME says otherwise."""
    settings = pipeline.dialogs.settings
    if username and not settings.telegram_bot_username:
        update = {"telegram_bot_username": username}
        pipeline.dialogs.settings = settings.model_copy(update=update)


def _pipeline(settings: BotSettings, database: Database, on_done: Sequence[Done]) -> Pipeline:
    from bot.dialogs.engine import Dialogs
    from bot.pipeline import Pipeline
    from bot.pipeline.protocol import Limits

    limits = Limits(
        concurrency=settings.chat_concurrency,
        intake=settings.inbox_limit,
        update_seconds=settings.update_seconds,
    )
    return Pipeline(database, Dialogs(database, settings), on_done=on_done, limits=limits)


def _serving(pipeline: Pipeline, settings: BotSettings) -> AbstractAsyncContextManager[Pipeline]:
    from bot.pipeline import serving
    from bot.pipeline.tidy import Retention

    return serving(pipeline, Retention.from_settings(settings), grace=settings.shutdown_seconds)


def _app_options(settings: BotSettings, pipeline: Pipeline) -> dict[str, Any]:
    """The web app's bounds on request bodies, and the backlog it reports on /healthz."""
    from bot.web import BodyLimits

    limits = BodyLimits(max_bytes=settings.webhook_max_bytes, seconds=settings.body_seconds)
    return {"limits": limits, "backlog": lambda: pipeline.backlog}


async def poll(
    settings: BotSettings,
    database: Database,
    stop: asyncio.Event,
    *,
    on_done: Sequence[Done] = (),
) -> None:
    """The Telegram bot by long polling until ``stop`` is set (``on_done``: hooks told of
    every update handled, for the tests)."""
    from bot.channels import telegram

    pipeline = _pipeline(settings, database, on_done)
    application = telegram.build_application(settings, pipeline, polling=True)
    try:
        # At exit the pipeline finishes its background work, then the Application stops
        # polling and waits for the updates it handed over.
        async with (
            telegram.running(application),
            _serving(pipeline, settings),
            _scheduled(settings, database, telegram=True),
        ):
            _learn_username(pipeline, application.bot.username)
            await telegram.start_polling(application)
            await stop.wait()
    finally:
        await pipeline.close()


async def poll_zalo(
    settings: BotSettings,
    database: Database,
    sock: socket.socket,
    stop: asyncio.Event,
    *,
    on_done: Sequence[Done] = (),
) -> None:
    """The Zalo bot by long polling, with the web server for its file links on ``sock``."""
    from bot import web
    from bot.channels import zalo
    from bot.links import Links

    pipeline = _pipeline(settings, database, on_done)
    links = Links(database, settings)
    try:
        async with zalo_api(settings) as api:
            pipeline.add(zalo.ZaloTransport(api, links))
            app = web.create_app(
                database,
                [],
                _pages(settings, database, links),
                **_app_options(settings, pipeline),
            )
            async with _serving(pipeline, settings), _scheduled(settings, database, zalo_api=api):
                polling = asyncio.create_task(zalo.poll(api, pipeline, stop))
                serving = asyncio.create_task(web.serve(app, sock, stop))
                host, port = sock.getsockname()[:2]
                log.info("file links served on http://%s:%s", host, port)
                try:
                    await asyncio.gather(polling, serving)
                finally:
                    stop.set()  # a fatal polling error (token revoked) also stops the web server
                    await asyncio.gather(polling, serving, return_exceptions=True)
    finally:
        await pipeline.close()


async def serve_webhook(
    settings: BotSettings,
    database: Database,
    sock: socket.socket,
    stop: asyncio.Event,
    *,
    on_done: Sequence[Done] = (),
) -> None:
    """Every configured channel behind the web server on ``sock`` until ``stop`` is set."""
    from bot import web
    from bot.channels import telegram, zalo
    from bot.links import Links

    webhooks: list[web.Webhook] = []
    api: ZaloBotApi | None = None
    pipeline = _pipeline(settings, database, on_done)
    links = Links(database, settings)
    try:
        async with AsyncExitStack() as stack:
            if settings.telegram_token is not None:
                secret = webhook_secret(settings)
                application = telegram.build_application(settings, pipeline, polling=False)
                await stack.enter_async_context(telegram.running(application))
                _learn_username(pipeline, application.bot.username)
                if settings.telegram_webhook_url:
                    async with telegram.telegram_errors():
                        await application.bot.set_webhook(
                            url=settings.telegram_webhook_url,
                            secret_token=secret,
                            allowed_updates=telegram.allowed_updates(settings),
                        )
                    log.info("Telegram webhook registered at %s", settings.telegram_webhook_url)
                else:
                    log.warning("SPOKES_TELEGRAM_WEBHOOK_URL is not set: webhook not registered")
                webhooks.append(telegram.webhook(application, pipeline, secret))
            if settings.zalo_token is not None:
                secret = zalo_webhook_secret(settings)
                api = await stack.enter_async_context(zalo_api(settings))
                pipeline.add(zalo.ZaloTransport(api, links))
                if settings.zalo_webhook_url:
                    await zalo.register_webhook(api, settings.zalo_webhook_url, secret)
                    log.info("Zalo webhook registered at %s", settings.zalo_webhook_url)
                else:
                    log.warning("SPOKES_ZALO_WEBHOOK_URL is not set: webhook not registered")
                webhooks.append(zalo.webhook(pipeline, secret))
            # Entered last, left first: the work under way is finished while the channels
            # can still deliver.
            await stack.enter_async_context(_serving(pipeline, settings))
            # Scheduled work (the outbox) stops before the pipeline finishes its work.
            await stack.enter_async_context(
                _scheduled(
                    settings,
                    database,
                    telegram=settings.telegram_token is not None,
                    zalo_api=api if settings.zalo_token is not None else None,
                )
            )
            app = web.create_app(
                database,
                webhooks,
                _pages(settings, database, links),
                **_app_options(settings, pipeline),
            )
            _say_channels_off(settings)
            host, port = sock.getsockname()[:2]
            published = ["/directory", "/api/v1"] if settings.public_directory else []
            paths = ", ".join(
                [*(hook.path for hook in webhooks), "/files", "/upload", *published, "/healthz"]
            )
            log.info("listening on http://%s:%s (%s)", host, port, paths)
            # The web server stops first, then the pipeline handles what it already stored.
            await web.serve(app, sock, stop)
    finally:
        await pipeline.close()


@asynccontextmanager
async def _scheduled(
    settings: BotSettings,
    database: Database,
    *,
    telegram: bool = False,
    zalo_api: ZaloBotApi | None = None,
) -> AsyncIterator[None]:
    """Scheduled work (the outbox) in the background, through the channels this process runs;
    one process does it when several share PostgreSQL (:mod:`bot.pipeline.schedule`)."""
    from bot.pipeline.schedule import scheduling

    async with AsyncExitStack() as stack:
        couriers = await outbox_couriers(stack, settings, telegram=telegram, zalo_api=zalo_api)
        await stack.enter_async_context(scheduling(database, couriers, settings))
        yield


async def outbox_couriers(
    stack: AsyncExitStack,
    settings: BotSettings,
    *,
    telegram: bool = False,
    zalo_api: ZaloBotApi | None = None,
) -> list[Courier]:
    """The outbox's couriers for the channels asked for, their clients closed with ``stack``."""
    from bot.channels import telegram as telegram_channel
    from bot.channels import zalo

    couriers: list[Courier] = []
    if telegram:
        courier = telegram_channel.TelegramCourier.running(settings, settings.outbox_concurrency)
        couriers.append(await stack.enter_async_context(courier))
    if zalo_api is not None:
        couriers.append(zalo.ZaloCourier(zalo_api))
    return couriers


@asynccontextmanager
async def zalo_api(settings: BotSettings) -> AsyncIterator[ZaloBotApi]:
    """The Zalo Bot API client, the token checked (getMe)."""
    from bot.channels import zalo
    from bot.channels.zalo_api import ZaloBotApi

    async with ZaloBotApi(
        zalo_token(settings),
        settings.zalo_base_url,
        connections=settings.http_connections,
        pool_seconds=settings.http_pool_seconds,
    ) as api:
        await zalo.check_token(api)
        yield api


def _pages(settings: BotSettings, database: Database, links: Links) -> list[BaseRoute]:
    from bot.web_files import FilePages

    routes = FilePages(database, links, settings).routes()
    if settings.public_directory:
        from bot.web_directory import DirectoryPages

        routes += DirectoryPages(database, settings).routes()
    return routes


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
        from bot.web import hide_tokens

        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return hide_tokens(text)  # link tokens: a short hash, whoever logged them


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
