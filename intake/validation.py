"""Checks shared by every door: text, phone, e-mail, coordinates, language.

Each check raises InvalidInput naming the field and the problem, in words a resident can act on.
"""

from __future__ import annotations

import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from core.errors import InvalidInput
from core.i18n import LANGUAGES


def clean_text(value: str | None) -> str:
    """NFC (Vietnamese typed on different keyboards compares equal), no control characters."""
    if value is None:
        return ""
    value = unicodedata.normalize("NFC", value)
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return value.strip()


def description(value: str | None, *, max_chars: int) -> str:
    text = clean_text(value)
    if not text:
        raise InvalidInput(
            "Please describe the problem: the description is empty.", field="description"
        )
    if len(text) > max_chars:
        raise InvalidInput(
            "The description is too long (%(length)s characters; at most %(limit)s).",
            field="description",
            length=len(text),
            limit=max_chars,
        )
    return text


def optional_text(value: str | None, *, field: str, max_chars: int) -> str | None:
    text = clean_text(value)
    if not text:
        return None
    if len(text) > max_chars:
        raise InvalidInput(
            "The field %(field)s is too long (at most %(limit)s characters).",
            field=field,
            limit=max_chars,
        )
    return text


def phone_number(value: str | None, *, region: str = "VN", field: str = "phone") -> str | None:
    """A phone number in E.164 (+84...), or None when none was given."""
    text = clean_text(value)
    if not text:
        return None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidInput(
            "The phone number %(value)s is not a phone number.", field=field, value=text
        ) from error
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            "The phone number %(value)s is not a valid number.", field=field, value=text
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def email_address(value: str | None, *, field: str = "email") -> str | None:
    text = clean_text(value)
    if not text:
        return None
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(
            "The e-mail address %(value)s is not valid.", field=field, value=text
        ) from error
    return result.normalized


def coordinates(
    latitude: float | None, longitude: float | None
) -> tuple[float | None, float | None]:
    if latitude is None and longitude is None:
        return None, None
    if latitude is None or longitude is None:
        raise InvalidInput("Give both latitude and longitude, or neither.", field="latitude")
    if not -90 <= latitude <= 90:
        raise InvalidInput(
            "Latitude %(value)s is out of range (-90 to 90).", field="latitude", value=latitude
        )
    if not -180 <= longitude <= 180:
        raise InvalidInput(
            "Longitude %(value)s is out of range (-180 to 180).", field="longitude", value=longitude
        )
    return latitude, longitude


def parse_float(value: str | float | None, *, field: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise InvalidInput(
            "The field %(field)s is not a number: %(value)s.", field=field, value=value
        ) from error
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidInput("The field %(field)s is not a finite number.", field=field)
    return number


def language(value: str | None, *, default: str = "vi") -> str:
    text = clean_text(value).lower()
    if not text:
        return default
    if text not in LANGUAGES:
        raise InvalidInput(
            "Unknown language %(value)s: use 'vi' or 'en'.", field="language", value=text
        )
    return text
