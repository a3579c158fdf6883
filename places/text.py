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


_PLACEHOLDER = "\x00"  # a combining mark left after NFC: inside a token, dropped from it
_WORD = re.compile(r"[a-z\x00]+|[0-9]+")


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """One character for one character, so that offsets in the folded text are the original's."""
    table = {}
    for code in range(0x2000):
        char = chr(code)
        folded = _fold_char(char) or _PLACEHOLDER
        if folded != char:
            table[code] = folded
    return table


def tokenize(text: str) -> tuple[str, list[Token]]:
    """The NFC text and its folded tokens, each pointing back at its place in that text."""
    original = unicodedata.normalize("NFC", text)
    folded_text = original.translate(_table())
    tokens = []
    for match in _WORD.finditer(folded_text):
        word = match.group().replace(_PLACEHOLDER, "")
        if not word:
            continue
        start, end = match.start(), match.end()
        tokens.append(
            Token(
                text=word,
                start=start,
                end=end,
                capitalised=original[start].isupper(),
                after_digit=start > 0 and original[start - 1].isdigit(),
            )
        )
    return original, tokens
