"""Deadlines: 24 clock hours to acknowledge; the category's working days to resolve.

Working days follow the city's calendar: its working weekdays, minus the public holidays of
its country from the `holidays` library (Vietnam's include the Tết days).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from core.clock import as_utc


@lru_cache(maxsize=8)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=[year]).keys())


def is_working_day(day: date, *, country: str, working_days: tuple[int, ...]) -> bool:
    return day.weekday() in working_days and day not in _holidays(country, day.year)


def add_working_days(
    start: datetime,
    days: int,
    *,
    timezone: str = "Asia/Ho_Chi_Minh",
    country: str = "VN",
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4),
) -> datetime:
    """The moment `days` working days after `start`, at the same local time of day."""
    local = start.astimezone(ZoneInfo(timezone))
    counted = 0
    while counted < days:
        local += timedelta(days=1)
        if is_working_day(local.date(), country=country, working_days=working_days):
            counted += 1
    result = as_utc(local)
    assert result is not None
    return result


def acknowledge_due(start: datetime, *, hours: int) -> datetime:
    return start + timedelta(hours=hours)
