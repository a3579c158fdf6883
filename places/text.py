"""Folding and tokenising Vietnamese text so that every way of writing a place meets one key.

"Phường 13", "phuong 13", "P.13", "p13" and "F13" all become the tokens ``phuong 13`` /
``p 13`` / ``f 13``, whose keys (tokens joined without spaces) are ``phuong13``, ``p13``, ``f13``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_TOKEN = re.compile(r"[a-z]+|[0-9]+")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    lowered = char.lower()
    if lowered == "đ":
        return "d"
    decomposed = unicodedata.normalize("NFD", lowered)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base[:1] if base else ""


def fold(text: str) -> str:
    """Lower case, no diacritics, đ -> d: ``"Bến Thành"`` -> ``"ben thanh"``."""
    return "".join(_fold_char(c) for c in unicodedata.normalize("NFC", text))


def key(text: str) -> str:
    """The lookup key of a name: folded letters and digits only, ``"Q. 8"`` -> ``"q8"``."""
    return "".join(_TOKEN.findall(fold(text)))


@dataclass(frozen=True)
class Token:
    text: str  # folded
    start: int  # character offsets in the original (NFC) text
    end: int
    capitalised: bool  # the original token starts with a capital letter
    after_digit: bool  # glued to a digit before it ("30p", "2h")


def tokenize(text: str) -> tuple[str, list[Token]]:
    """The NFC text and its folded tokens, each pointing back at its place in that text."""
    original = unicodedata.normalize("NFC", text)
    folded_chars: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(original):
        folded = _fold_char(char)
        if folded:
            folded_chars.append(folded)
            positions.append(index)
    folded_text = "".join(folded_chars)
    tokens = []
    for match in _TOKEN.finditer(folded_text):
        start = positions[match.start()]
        end = positions[match.end() - 1] + 1
        before = original[start - 1] if start > 0 else ""
        tokens.append(
            Token(
                text=match.group(),
                start=start,
                end=end,
                capitalised=original[start].isupper(),
                after_digit=before.isdigit(),
            )
        )
    return original, tokens
