"""Times as people read them: stored in UTC, shown in the configured time zone (Vietnam)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from registry.settings import get_settings


@cache
def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(get_settings().timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Ho_Chi_Minh")


def shown(moment: datetime, pattern: str = "%d/%m/%Y %H:%M") -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone()).strftime(pattern)


def local_date(moment: datetime) -> date:
    """The calendar day of a stored UTC time where the readers are (Vietnam by default)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone()).date()


def today() -> date:
    return local_date(datetime.now(UTC))
