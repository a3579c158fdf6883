"""Masking of personal data in text that is published.

Phone numbers are found by libphonenumber's matcher (any way people write them: "(090)
312-3458", "+84 - 903 - 124 - 459"), with a digit-run rule as a second net; e-mail addresses by
pattern; names where residents introduce or sign themselves ("tôi là Nguyễn Văn An", "Tên tôi
là ...", "My name is ...", "Người gửi: ...").
"""

from __future__ import annotations

import re

import phonenumbers

from core.i18n import gettext

PHONE_MASK = "[phone hidden]"
NAME_MASK = "[name hidden]"
EMAIL_MASK = "[email hidden]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Vietnamese and international phone numbers, written with spaces, dots or dashes
_PHONE = re.compile(r"(?<![\w])(\+?\d[\d .\-]{7,14}\d)(?![\w])")
_REGIONS = ("VN", "US")

# Phrases that announce a name whatever its case: the next words (up to the end of the
# clause, at most five) are the name.
_EXPLICIT = re.compile(
    r"(?i)\b("
    r"t[êe]n\s+(?:c[ủu]a\s+)?(?:t[ôo]i|em|ch[áa]u|m[ìi]nh)\s*(?:l[àa]|:)?"
    r"|t[ôo]i\s+t[êe]n\s+(?:l[àa]\s+)?"
    r"|h[ọo]\s*(?:v[àa]\s*)?t[êe]n\s*(?:l[àa]|:)"
    r"|ng[ưu][ờo]i\s+(?:g[ửu]i|b[áa]o|ph[ảa]n\s+[áa]nh|vi[ếe]t)\s*:"
    r"|my\s+name\s+is|my\s+name's|name\s*:|signed\s*:?"
    r")\s*"
)
# Phrases after which a name follows only if it is written with capitals ("tôi là người dân"
# is not a name, "tôi là Nguyễn Văn An" is).
_CAPITALISED = re.compile(
    r"(?i)\b("
    r"(?:t[ôo]i|em|ch[áa]u|m[ìi]nh|con)\s+l[àa]"
    r"|this\s+is|i\s+am|i'm"
    r"|(?:c[ảa]m\s+[ơo]n|xin\s+c[ảa]m\s+[ơo]n|tr[âa]n\s+tr[ọo]ng|k[íi]nh\s+th[ưu])\s*[,.:]?"
    r"|(?:thanks|thank\s+you|regards|best\s+regards|sincerely|cheers)\s*[,.:]?"
    r")\s+"
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_CLAUSE_END = re.compile(r"[,.;:!?()\n\-–]|\s-\s")
MAX_NAME_WORDS = 5
MAX_LOWERCASE_NAME_WORDS = 4  # "tên tôi là trần thị bình": Vietnamese names have 2-4 words
# capitalised words after "tôi là" / "I am" that are not names
_NOT_NAMES = frozenset(
    {"người", "nguoi", "cư", "dân", "chủ", "the", "not", "very", "so", "here",
     "writing", "living", "from", "in", "at", "tổ", "trưởng", "ban", "hội"}
)


def _mask_phones(text: str) -> str:
    for region in _REGIONS:
        spans = [
            (match.start, match.end)
            for match in phonenumbers.PhoneNumberMatcher(text, region)
        ]
        for start, end in reversed(spans):
            text = text[:start] + PHONE_MASK + text[end:]

    def _mask_digits(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(1))
        if len(digits) < 9:  # house numbers, dates, amounts
            return match.group(1)
        return PHONE_MASK

    return _PHONE.sub(_mask_digits, text)


def _name_after(text: str, start: int, *, capitalised: bool) -> tuple[int, int] | None:
    """The span of the name that begins at `start`, or None."""
    clause = _CLAUSE_END.search(text, start)
    limit = clause.start() if clause else len(text)
    words = list(_WORD.finditer(text, start, limit))
    taken: list[re.Match[str]] = []
    for word in words:
        if taken and text[taken[-1].end() : word.start()].strip():
            break  # something other than spaces between two words
        if not taken and text[start : word.start()].strip():
            break
        value = word.group(0)
        if capitalised and (not value[0].isupper() or value.lower() in _NOT_NAMES):
            break
        if taken and taken[0].group(0)[0].isupper() and not value[0].isupper():
            break  # "My name is John Smith and ...": the name ends with the capitals
        if not capitalised and len(taken) == MAX_LOWERCASE_NAME_WORDS:
            break
        taken.append(word)
        if len(taken) == MAX_NAME_WORDS:
            break
    if not taken or (capitalised and len(taken) < 2 and len(taken[0].group(0)) < 3):
        return None
    return taken[0].start(), taken[-1].end()


def _mask_names(text: str) -> str:
    spans: list[tuple[int, int]] = []
    for pattern, capitalised in ((_EXPLICIT, False), (_CAPITALISED, True)):
        for match in pattern.finditer(text):
            span = _name_after(text, match.end(), capitalised=capitalised)
            if span is not None:
                spans.append(span)
    for start, end in sorted(set(spans), reverse=True):
        if NAME_MASK in text[start:end]:
            continue
        text = text[:start] + NAME_MASK + text[end:]
    return text


def mask_text(text: str | None) -> str:
    if not text:
        return ""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _mask_phones(text)
    return _mask_names(text)


def mask_phone(phone: str | None) -> str:
    """+84901234567 -> +84 ••• ••• 567, for staff screens and logs."""
    if not phone:
        return ""
    return f"{phone[:3]} ••• ••• {phone[-3:]}"


# The masks above are stored in English; each page shows them in its own language.
MASKS = ("[phone hidden]", "[email hidden]", "[name hidden]")


def localize_masks(text: str | None, language: str) -> str:
    """Put the masks of `mask_text` in the reader's language ("[phone hidden]" -> "[đã ẩn số
    điện thoại]")."""
    if not text:
        return ""
    for mask in MASKS:
        if mask in text:
            text = text.replace(mask, gettext(language, mask))
    return text


def mask_for(text: str | None, language: str) -> str:
    """mask_text, with the masks in the reader's language."""
    return localize_masks(mask_text(text), language)
