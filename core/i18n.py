"""Two languages everywhere: English source strings, Vietnamese catalogs read with Babel.

Each room keeps its own catalog file, `web/translations/vi/<room>.po`, so that rooms can add
strings without touching each other's files; all catalogs are merged when first used. English
is the source language, so an English lookup returns the source string itself.
"""

from __future__ import annotations

import threading
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as babel_format_decimal
from babel.numbers import format_percent as babel_format_percent

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "web" / "translations"
_lock = threading.Lock()


def normalize_language(value: str | None, *, default: str = DEFAULT_LANGUAGE) -> str:
    if not value:
        return default
    value = value.strip().lower().replace("_", "-")
    primary = value.split("-")[0]
    return primary if primary in LANGUAGES else default


def from_accept_language(header: str | None, *, default: str = DEFAULT_LANGUAGE) -> str:
    """The first supported language in an Accept-Language header, by quality."""
    if not header:
        return default
    choices: list[tuple[float, str]] = []
    for part in header.split(","):
        pieces = part.strip().split(";q=")
        try:
            quality = float(pieces[1]) if len(pieces) > 1 else 1.0
        except ValueError:
            quality = 0.0
        primary = pieces[0].strip().lower().split("-")[0]
        if primary in LANGUAGES:
            choices.append((quality, primary))
    return max(choices)[1] if choices else default


@lru_cache
def catalog(language: str) -> dict[str, Any]:
    """msgid -> msgstr (or a tuple of plural forms) for one language, from every room's file."""
    messages: dict[str, Any] = {}
    if language == "en":
        return messages
    with _lock:
        for path in sorted((TRANSLATIONS_DIR / language).glob("*.po")):
            with path.open("rb") as handle:
                for message in read_po(handle, locale=language):
                    if not message.id or not message.string or message.fuzzy:
                        continue
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    messages[cast(str, key)] = message.string
    return messages


def gettext(language: str, message: str, **values: Any) -> str:
    translated = catalog(language).get(message, message)
    if isinstance(translated, tuple | list):
        translated = translated[0] or message
    return translated % values if values else translated


def ngettext(language: str, singular: str, plural: str, n: int, **values: Any) -> str:
    translated = catalog(language).get(singular)
    if isinstance(translated, tuple | list) and translated[0]:
        text = translated[0]  # Vietnamese has one plural form
    else:
        text = singular if n == 1 else plural
    values.setdefault("num", n)
    return text % values


class Translator:
    """What templates and channel adapters hold: gettext bound to one language."""

    def __init__(self, language: str) -> None:
        self.language = normalize_language(language)

    def gettext(self, message: str, **values: Any) -> str:
        return gettext(self.language, message, **values)

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return ngettext(self.language, singular, plural, n, **values)

    __call__ = gettext


def format_datetime(
    value: datetime | None, language: str, *, timezone: str, format: str = "medium"
) -> str:
    if value is None:
        return ""
    return babel_format_datetime(
        value,
        format=format,
        tzinfo=ZoneInfo(timezone),
        locale="vi_VN" if language == "vi" else "en_GB",
    )


def locale_of(language: str) -> str:
    return "vi_VN" if language == "vi" else "en_GB"


def format_date(value: Any, language: str, *, format: str = "medium") -> str:
    """A date (or the date of a datetime) in the language's own format (Babel)."""
    if value is None or value == "":
        return ""
    if format == "short" and language == "vi":
        format = "dd/MM/y"  # CLDR's "d/M/yy" is not how Vietnamese offices write dates
    return babel_format_date(value, format=format, locale=locale_of(language))


def format_number(value: Any, language: str, *, digits: int | None = None) -> str:
    """6160 -> "6.160" in Vietnamese, "6,160" in English; `digits` fixes the decimals."""
    if value is None or value == "":
        return ""
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return babel_format_decimal(value, format=pattern, locale=locale_of(language))


def format_percent(value: Any, language: str, *, digits: int = 1) -> str:
    """A share (0.756) as a percentage: "75,6%" in Vietnamese, "75.6%" in English."""
    if value is None or value == "":
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return babel_format_percent(value, format=pattern, locale=locale_of(language))


def missing_translations(message_ids: set[str], language: str = "vi") -> set[str]:
    known = catalog(language)
    return {message for message in message_ids if message not in known}
