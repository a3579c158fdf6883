"""The one clock of the platform: timezone-aware UTC, and replaceable in tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    return _now()


def set_clock(now: Callable[[], datetime] | None) -> None:
    """Tests pin the clock; None restores the real one."""
    global _now
    _now = now or (lambda: datetime.now(UTC))


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
