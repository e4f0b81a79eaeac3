"""The bot's settings refuse what cannot work, so a wrong value is one line at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import BotSettings


def test_the_telegram_rate_is_telegrams_by_default_and_never_negative() -> None:
    assert BotSettings(_env_file=None).telegram_max_rate == 30  # type: ignore[call-arg]
    assert BotSettings(_env_file=None, telegram_max_rate=0).telegram_max_rate == 0  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        BotSettings(_env_file=None, telegram_max_rate=-1)  # type: ignore[call-arg]
