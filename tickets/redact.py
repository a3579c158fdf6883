"""Masking of personal data in text that is published."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Vietnamese and international phone numbers, written with spaces, dots or dashes
_PHONE = re.compile(r"(?<![\w])(\+?\d[\d .\-]{7,14}\d)(?![\w])")


def mask_text(text: str | None) -> str:
    if not text:
        return ""
    text = _EMAIL.sub("[email hidden]", text)

    def _mask_phone(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(1))
        if len(digits) < 9:  # house numbers, dates, amounts
            return match.group(1)
        return "[phone hidden]"

    return _PHONE.sub(_mask_phone, text)


def mask_phone(phone: str | None) -> str:
    """+84901234567 -> +84 ••• ••• 567, for staff screens and logs."""
    if not phone:
        return ""
    return f"{phone[:3]} ••• ••• {phone[-3:]}"
