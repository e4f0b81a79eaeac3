"""``spokes run`` (long polling) and ``spokes serve`` (webhook server): the Telegram bot.

Both check the configuration before touching anything, upgrade the database like every
command, connect to Telegram (a refused token or an unreachable server is one line and exit 1),
then run until Ctrl-C or SIGTERM, finishing the updates already received before they exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.runtime import run
from bot.settings import BotSettings, get_bot_settings, telegram_token, webhook_secret
from registry.uow import Database

if TYPE_CHECKING:
    import socket

# python-telegram-bot, Starlette and uvicorn are imported by the functions that use them:
# every other ``spokes`` command starts faster without them.

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
    app.command("serve")(serve_command)


def run_command() -> None:
    """Run the Telegram bot by long polling (no public address needed)."""
    settings = get_bot_settings()
    _log_to_stderr([telegram_token(settings)])

    async def work(database: Database) -> None:
        async with until_signalled() as stop:
            await poll(settings, database, stop)

    run(work)


def serve_command(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.", min=1, max=65535)] = None,
) -> None:
    """Run the web server: the Telegram webhook (registered when a URL is set) and /healthz."""
    settings = get_bot_settings()
    _log_to_stderr([telegram_token(settings), webhook_secret(settings)])

    async def work(database: Database) -> None:
        from bot import web

        async with until_signalled() as stop:
            sock = web.listen(host or settings.host, port or settings.port)
            await serve_webhook(settings, database, sock, stop)

    run(work)


async def poll(settings: BotSettings, database: Database, stop: asyncio.Event) -> None:
    """The bot by long polling until ``stop`` is set."""
    from bot.channels import telegram
    from bot.dialogs.engine import Dialogs

    application = telegram.build_application(settings, Dialogs(database, settings), polling=True)
    await telegram.poll(application, stop)


async def serve_webhook(
    settings: BotSettings, database: Database, sock: socket.socket, stop: asyncio.Event
) -> None:
    """The bot behind the web server on ``sock`` until ``stop`` is set."""
    from bot import web
    from bot.channels import telegram
    from bot.dialogs.engine import Dialogs

    secret = webhook_secret(settings)
    application = telegram.build_application(settings, Dialogs(database, settings), polling=False)
    async with telegram.running(application):
        if settings.telegram_webhook_url:
            async with telegram.telegram_errors():
                await application.bot.set_webhook(
                    url=settings.telegram_webhook_url,
                    secret_token=secret,
                    allowed_updates=telegram.ALLOWED_UPDATES,
                )
            log.info("webhook registered at %s", settings.telegram_webhook_url)
        else:
            log.warning("SPOKES_TELEGRAM_WEBHOOK_URL is not set: the webhook was not registered")
        app = web.create_app(database, [telegram.webhook(application, secret)])
        host, port = sock.getsockname()[:2]
        log.info("listening on http://%s:%s (%s, /healthz)", host, port, telegram.WEBHOOK_PATH)
        # The web server stops first, then the Application handles what it already received.
        await web.serve(app, sock, stop)


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
