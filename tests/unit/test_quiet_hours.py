"""The quiet hours, local time (Vietnam unless configured): 21:00 to 07:00 by default, across
midnight; equal bounds mean none."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.clock import in_quiet_hours


@pytest.mark.parametrize(
    ("utc_hour", "utc_minute", "quiet"),
    [
        (13, 59, False),  # 20:59 in Hà Nội
        (14, 0, True),  # 21:00
        (17, 0, True),  # midnight
        (23, 59, True),  # 06:59
        (0, 0, False),  # 07:00
        (3, 0, False),  # 10:00
    ],
)
def test_the_default_quiet_hours_in_vietnam(utc_hour: int, utc_minute: int, quiet: bool) -> None:
    moment = datetime(2026, 12, 1, utc_hour, utc_minute, tzinfo=UTC)
    assert in_quiet_hours(moment, time(21), time(7)) is quiet


def test_quiet_hours_within_one_day_and_none() -> None:
    noon = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 12:00 in Hà Nội
    assert in_quiet_hours(noon, time(12), time(13))
    assert not in_quiet_hours(noon, time(13), time(14))
    assert not in_quiet_hours(noon, time(0), time(0))
