"""Tracking codes a resident can read over the phone and type on a keypad.

Eight characters from an alphabet of 23 with no look-alikes (no 0, O, Q, 1, I, L, S, Z, B, G,
U, V, W), case-insensitive, shown as two groups of four. Seven are random (secrets), so a
code says nothing about the previous one; the eighth is a check character: the position-weighted
sum modulo 23 (a prime) of all eight is zero, which catches every single mistyped character and
every swap of two neighbours.
"""

from __future__ import annotations

import re
import secrets

from core.errors import InvalidInput

# 23 characters: the digits 2-9 stay because the letters they resemble (Z, S, G, B) are gone.
ALPHABET = "23456789ACDEFHJKMNPRTXY"
BASE = len(ALPHABET)
RANDOM_LENGTH = 7
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_SEPARATORS = re.compile(r"[\s\-_.]")

assert BASE == 23 and len(set(ALPHABET)) == BASE


def _weighted_sum(chars: str) -> int:
    return sum((position + 1) * _VALUE[char] for position, char in enumerate(chars))


def check_char(body: str) -> str:
    weight = len(body) + 1
    # find c with weight * value(c) ≡ -sum (mod 23); weight < 23 is invertible
    target = (-_weighted_sum(body)) % BASE
    value = (target * pow(weight, -1, BASE)) % BASE
    return ALPHABET[value]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + check_char(body)


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalize(raw: str) -> str:
    """Canonical form of what a resident typed, or InvalidInput naming the mistake."""
    code = _SEPARATORS.sub("", raw or "").upper()
    if len(code) != RANDOM_LENGTH + 1:
        raise InvalidInput(
            "A tracking code has %(expected)s characters; this one has %(length)s.",
            field="code",
            expected=RANDOM_LENGTH + 1,
            length=len(code),
        )
    unknown = sorted({char for char in code if char not in _VALUE})
    if unknown:
        raise InvalidInput(
            "A tracking code never contains %(characters)s; please check the code.",
            field="code",
            characters=", ".join(unknown),
        )
    if _weighted_sum(code) % BASE != 0:
        raise InvalidInput(
            "This tracking code has a typing mistake (its check character does not match).",
            field="code",
        )
    return code


def is_valid(raw: str) -> bool:
    try:
        normalize(raw)
    except InvalidInput:
        return False
    return True
