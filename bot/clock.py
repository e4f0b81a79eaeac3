"""Times as people read them: stored in UTC, shown in the configured time zone (Vietnam).

The zone is configuration: the entry points (the CLI, the servers) hand it over once with
:func:`use_zone` from their settings; until then it is Vietnam's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"

_zone = ZoneInfo(DEFAULT_ZONE)


def use_zone(name: str) -> None:
    """Show times in ``name`` (an IANA zone); an unknown name keeps Vietnam's."""
    global _zone
    try:
        _zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        _zone = ZoneInfo(DEFAULT_ZONE)


def shown(moment: datetime, pattern: str = "%d/%m/%Y %H:%M") -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone).strftime(pattern)


def local_date(moment: datetime) -> date:
    """The calendar day of a stored UTC time where the readers are (Vietnam by default)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone).date()


def local_time(moment: datetime) -> datetime:
    """A stored UTC time as a wall-clock time where the readers are."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone)


def today() -> date:
    return local_date(datetime.now(UTC))


def in_quiet_hours(moment: datetime, start: time, end: time) -> bool:
    """Whether ``moment`` (UTC) falls between ``start`` and ``end`` local time (a span that may
    cross midnight, as 21:00–07:00 does); equal bounds mean no quiet hours."""
    if start == end:
        return False
    local = local_time(moment).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end
