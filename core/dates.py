"""Dates typed by people (filters, searches): YYYY-MM-DD, empty for none, else a clear 422."""

from __future__ import annotations

from datetime import date

from core.errors import InvalidInput


def parse_date(value: str | None, *, field: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise InvalidInput(
            "This is not a date (YYYY-MM-DD): %(value)s.", field=field, value=value[:40]
        ) from error
