"""Characters no door accepts: a NUL byte (PostgreSQL text cannot hold it) and lone UTF-16
surrogates (not encodable as UTF-8). Refused at every door with a 4xx (httpbase.hostile),
except where a message must be kept whatever it holds (Twilio), where they are stripped."""

from __future__ import annotations

import re

_HOSTILE = re.compile("[\\x00\\ud800-\\udfff]")


def has_hostile_characters(value: str) -> bool:
    return _HOSTILE.search(value) is not None


def strip_hostile_characters(value: str) -> str:
    return _HOSTILE.sub("", value)


def hostile_value(value: object) -> bool:
    """A NUL or lone surrogate anywhere in a decoded JSON value (keys included)."""
    if isinstance(value, str):
        return has_hostile_characters(value)
    if isinstance(value, dict):
        return any(hostile_value(k) or hostile_value(v) for k, v in value.items())
    if isinstance(value, list):
        return any(hostile_value(item) for item in value)
    return False
