"""Settings of the bot processes, on top of the registry's (same prefix ``SPOKES_``)."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import Field, SecretStr

from registry.errors import ValidationError
from registry.settings import Settings

# "123456789:AA..." as issued by @BotFather.
_TOKEN = re.compile(r"^\d{5,15}:[A-Za-z0-9_-]{30,64}$")


class BotSettings(Settings):
    telegram_token: SecretStr | None = Field(default=None, description="Bot token from @BotFather.")
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
    host: str = Field(default="127.0.0.1", description="Address the web server listens on.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port of the web server.")
    dialog_idle_hours: float = Field(
        default=24, gt=0, description="An abandoned dialog expires after this many hours."
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


@lru_cache(maxsize=1)
def get_bot_settings() -> BotSettings:
    return BotSettings()
