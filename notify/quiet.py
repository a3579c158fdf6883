"""Quiet hours for SMS: nothing is texted to a resident between sms_quiet_start_hour (21:00) and
sms_quiet_end_hour (07:00), city time, unless it answers a message the resident sent during
that same quiet spell. A message due in the quiet hours is not dropped: its send task waits
until they end (a message due at 23:00 goes out at 07:00)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.settings import Settings, get_settings


def _local(now: datetime, settings: Settings) -> datetime:
    return now.astimezone(ZoneInfo(settings.city_timezone))


def _quiet_at(hour: int, settings: Settings) -> bool:
    start, end = settings.sms_quiet_start_hour, settings.sms_quiet_end_hour
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def quiet_spell_start(now: datetime, settings: Settings | None = None) -> datetime | None:
    """When the quiet spell containing `now` began (UTC), or None outside the quiet hours."""
    settings = settings or get_settings()
    local = _local(now, settings)
    if not _quiet_at(local.hour, settings):
        return None
    start = datetime.combine(local.date(), time(settings.sms_quiet_start_hour), local.tzinfo)
    if start > local:
        start -= timedelta(days=1)
    return start.astimezone(UTC)


def quiet_delay(now: datetime, settings: Settings | None = None) -> float:
    """Seconds from `now` until an SMS may be sent (0 outside the quiet hours)."""
    settings = settings or get_settings()
    local = _local(now, settings)
    if not _quiet_at(local.hour, settings):
        return 0.0
    end = datetime.combine(local.date(), time(settings.sms_quiet_end_hour), local.tzinfo)
    if end <= local:
        end += timedelta(days=1)
    return (end - local).total_seconds()
