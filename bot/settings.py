"""Settings of the bot processes, on top of the registry's (same prefix ``SPOKES_``)."""

from __future__ import annotations

import re
import secrets
from datetime import time
from functools import lru_cache

from pydantic import Field, SecretStr

from registry.errors import ValidationError
from registry.settings import Settings

# "123456789:AA..." as issued by @BotFather.
_TOKEN = re.compile(r"^\d{5,15}:[A-Za-z0-9_-]{30,64}$")
# "1234567890:AbCd..." as shown by Zalo Bot Creator: it goes into URLs, so nothing else.
_ZALO_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{16,128}$")


class BotSettings(Settings):
    telegram_token: SecretStr | None = Field(default=None, description="Bot token from @BotFather.")
    telegram_bot_username: str | None = Field(
        default=None,
        description="The bot's Telegram username, for invitation links (t.me/<username>); "
        "asked of Telegram (getMe) when unset and a token is configured.",
        pattern=r"^@?[A-Za-z][A-Za-z0-9_]{3,31}$",
    )
    telegram_base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base URL (a local Bot API server, or the tests' fake one).",
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token."
    )
    telegram_webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL of /telegram/webhook, registered at startup."
    )
    zalo_token: SecretStr | None = Field(
        default=None, description="Bot token from the Zalo Bot Platform (Zalo Bot Creator)."
    )
    zalo_base_url: str = Field(
        default="https://bot-api.zapps.me/bot",
        description="Zalo Bot API base URL (the tests' fake one in tests).",
    )
    zalo_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret Zalo sends in X-Bot-Api-Secret-Token."
    )
    zalo_webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL of /zalo/webhook, registered at startup."
    )
    public_url: str | None = Field(
        default=None,
        description="Public base URL of the web server, for download and upload links "
        "(https://bot.example.gov.vn); http://HOST:PORT when unset.",
    )
    link_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs download and upload links (32+ characters); a random one "
        "per process when unset, so links then die with the process.",
    )
    link_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="How long a download or upload link works."
    )
    host: str = Field(default="127.0.0.1", description="Address the web server listens on.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port of the web server.")
    dialog_idle_hours: float = Field(
        default=24, gt=0, description="An abandoned dialog expires after this many hours."
    )
    processed_retention_days: float = Field(
        default=7,
        gt=0,
        description="Handled updates are remembered this long (a repeated delivery is then "
        "recognised), then forgotten by the running server.",
    )
    held_file_hours: float = Field(
        default=24,
        gt=0,
        description="A list sent for import and never confirmed is forgotten after this many "
        "hours.",
    )
    shared_file_hours: float = Field(
        default=1,
        ge=0,
        description="An expired download or upload link's row (and any file it still holds) "
        "is deleted this many hours after it expired.",
    )
    conversation_days: float = Field(
        default=30,
        gt=0,
        description="The dialog state of a chat silent this many days is forgotten.",
    )
    webhook_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="A webhook body larger than this is refused (413) before it is read whole.",
    )
    body_seconds: float = Field(
        default=30,
        gt=0,
        description="A request whose body takes longer than this to arrive is cut off (408): "
        "the webhooks and the upload page.",
    )
    inbox_limit: int = Field(
        default=1000,
        ge=1,
        description="Updates this process may hold stored but not yet handled; past it the "
        "webhooks answer 503 with Retry-After, and the platform delivers again later.",
    )
    chat_concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Chats handled at the same time by one process (each holds a database "
        "connection while it works): keep it below the database pool.",
    )
    update_seconds: float = Field(
        default=60,
        gt=0,
        description="An update not handled within this time gets the apology and is closed; "
        "the chat's next updates go on.",
    )
    shutdown_seconds: float = Field(
        default=20,
        ge=0,
        description="At SIGTERM, how long the updates under way may take to finish; what is "
        "left waits in the inbox for the next start.",
    )
    http_connections: int = Field(
        default=32,
        ge=1,
        le=1024,
        description="Connections to the Telegram or Zalo Bot API at once, per process.",
    )
    http_pool_seconds: float = Field(
        default=30,
        gt=0,
        description="How long a message waits for a free connection to the Bot API.",
    )
    pack_font: str | None = Field(
        default=None,
        description="TrueType font of the printed invitation pack (a -Bold file beside it is "
        "used for headings); DejaVu Sans when unset.",
    )
    telegram_max_rate: float = Field(
        default=30,
        ge=0,
        description="Messages a second the bot sends to Telegram in all (Telegram's limit for "
        "bots is about 30); 0 lifts the cap (a local Bot API server, a benchmark).",
    )
    public_directory: bool = Field(
        default=False,
        description="Publish the directory: the /directory pages, the /api/v1 open data and the "
        "Telegram inline lookup (off: they answer 404 and no results), and ask people whether "
        "to publish their personal mobile.",
    )
    public_rate_per_minute: int = Field(
        default=60,
        ge=1,
        description="Requests a minute one client may make to the published directory and its "
        "open data; past it, 429 with Retry-After.",
    )

    outbox_telegram_rate: float = Field(
        default=25,
        gt=0,
        description="Messages a second the outbox (broadcasts, reminders) sends to Telegram, "
        "capped by SPOKES_TELEGRAM_MAX_RATE when that is set: the rest of the 30 is left for "
        "the replies to people.",
    )
    outbox_zalo_rate: float = Field(
        default=5, gt=0, description="Messages a second the outbox sends to Zalo."
    )
    outbox_per_chat_seconds: float = Field(
        default=1,
        ge=0,
        description="Seconds between two outbox messages to the same chat (Telegram: about 1).",
    )
    outbox_concurrency: int = Field(
        default=8, ge=1, le=64, description="Outbox requests in flight at once, per channel."
    )
    outbox_check_seconds: float = Field(
        default=10,
        gt=0,
        description="How often a running server looks for scheduled work and due messages.",
    )
    outbox_lease_seconds: float = Field(
        default=300,
        gt=0,
        description="A message claimed by a sender that died is sent again after this long.",
    )
    outbox_max_attempts: int = Field(
        default=5, ge=1, le=50, description="Attempts before a message is marked failed."
    )
    quiet_from: time = Field(
        default=time(21, 0),
        description="Start of the quiet hours (local time, SPOKES_TIMEZONE): nothing is sent "
        "on the bot's own initiative until SPOKES_QUIET_UNTIL, unless staff asked for it.",
    )
    quiet_until: time = Field(default=time(7, 0), description="End of the quiet hours.")
    reconfirm_days: int = Field(
        default=180,
        ge=1,
        description="A person whose details were last confirmed longer ago than this is asked "
        "to confirm them again (at once when their agency has merged since).",
    )
    reconfirm_repeat_days: int = Field(
        default=7, ge=1, description="Days between the first and the second re-confirmation prompt."
    )


def telegram_token(settings: BotSettings) -> str:
    """The token, checked for its shape; a clear error instead of a failed HTTP call."""
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise ValidationError("telegram.no_token")
    token = settings.telegram_token.get_secret_value().strip()
    if not _TOKEN.match(token):
        raise ValidationError("telegram.bad_token")
    return token


def webhook_secret(settings: BotSettings) -> str:
    secret = settings.telegram_webhook_secret
    value = secret.get_secret_value() if secret else ""
    # Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -.
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value):
        raise ValidationError("telegram.bad_webhook_secret")
    return value


def zalo_token(settings: BotSettings) -> str:
    """The Zalo bot token, checked for its shape: digits, a colon, then a key."""
    if settings.zalo_token is None or not settings.zalo_token.get_secret_value().strip():
        raise ValidationError("zalo.no_token")
    token = settings.zalo_token.get_secret_value().strip()
    if not _ZALO_TOKEN.match(token):
        raise ValidationError("zalo.bad_token")
    return token


def zalo_webhook_secret(settings: BotSettings) -> str:
    secret = settings.zalo_webhook_secret
    value = secret.get_secret_value() if secret else ""
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value):
        raise ValidationError("zalo.bad_webhook_secret")
    return value


def link_secret(settings: BotSettings) -> bytes:
    """The key signing links; without one configured, a random key for this process only."""
    if settings.link_secret is None:
        return _process_key()
    value = settings.link_secret.get_secret_value()
    if len(value) < 32:
        raise ValidationError("links.short_secret")
    return value.encode()


@lru_cache(maxsize=1)
def _process_key() -> bytes:
    return secrets.token_bytes(32)


@lru_cache(maxsize=1)
def get_bot_settings() -> BotSettings:
    return BotSettings()
