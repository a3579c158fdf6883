"""An emergency IN PROGRESS (fire, violent crime, medical emergency) in a report, by rules.

``detect(text)`` returns "fire", "crime", "medical" or None. It is called at intake for every
report, so it is cheap: regular expressions (classify/emergency_rules.py), no model, no torch,
no scikit-learn; about 1 ms for a typical report.

How it decides:

1. The text is normalised (NFC, lower case) and folded to ASCII (no diacritics, đ -> d), so one
   set of patterns serves Vietnamese with and without diacritics. Where the writer used
   diacritics, words that only collide with an event word when folded are renamed ("chạy" run
   and "chảy" flow are not "cháy" burn; "lừa" cheat is not "lửa" fire).
2. Mentions that are not events are removed: "cháy hàng" (sold out), "cháy túi" (broke), fire
   hydrants and extinguishers, "nguy cơ cháy nổ" (a risk), "chém giá" (overcharging).
3. Event patterns are strong (an event happening: "đang bốc cháy", "bất tỉnh", "on fire", "not
   breathing") or weak ("cầm dao", "tai nạn", "bleeding"): a weak one also needs an urgent or
   present marker somewhere ("đang", "vừa", "cứu với", "right now", "please send").
4. Either is vetoed when the text places it in the past, as a risk, a question or as something
   recurring ("tuần trước", "hôm qua", "dễ cháy", "tối nào cũng", "last week", "could"), unless a
   present marker stands right next to the event ("đang cháy", "cứu với", "right now").
5. Several kinds: fire before crime before medical (a fire with people trapped is a fire).

On classify/data/emergency.jsonl (the rules were tuned on it, so this is not a held-out figure)
it catches every emergency and raises no false alarm; tests/classify/test_emergency.py holds the
hard negatives.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from classify import emergency_rules as rules

KINDS = ("fire", "crime", "medical")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w+", re.UNICODE)
_DANG_BEFORE = re.compile(r"\bdang (\w+ ){0,2}$")
_AMBIGUOUS = {folded: frozenset(forms.split()) for folded, forms in rules.AMBIGUOUS.items()}


@dataclass(frozen=True)
class _Compiled:
    not_events: re.Pattern[str]
    not_now: re.Pattern[str]
    now: re.Pattern[str]
    urgent: re.Pattern[str]
    strong: dict[str, re.Pattern[str]]
    weak: dict[str, re.Pattern[str]]
    not_fire_before: re.Pattern[str]


def _any(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{rules.expand(p)})" for p in patterns))


@lru_cache(maxsize=1)
def _compiled() -> _Compiled:
    return _Compiled(
        not_events=_any(rules.NOT_EVENTS),
        not_now=_any(rules.NOT_NOW),
        now=_any(rules.NOW),
        urgent=_any(rules.URGENT),
        strong={kind: _any(rules.STRONG[kind]) for kind in KINDS},
        weak={kind: _any(rules.WEAK[kind]) for kind in KINDS},
        not_fire_before=_any([rules.NOT_FIRE_BEFORE]),
    )


def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d"
    base = "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn")
    return base if len(base) == 1 else char


def canonical(text: str) -> str:
    """Lower case, ASCII-folded text with diacritic-disambiguated words renamed."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text).lower()).strip()

    def word(match: re.Match[str]) -> str:
        token = match[0]
        folded = "".join(_fold_char(c) for c in token)
        forms = _AMBIGUOUS.get(folded)
        if forms is None or token == folded:
            return folded
        if token not in forms:
            return folded + "x"
        return rules.FIRE_WORD if folded == "chay" else folded

    return _WORD.sub(word, text)


def _near(pattern: re.Pattern[str], text: str, start: int, end: int, window: int = 40) -> bool:
    return pattern.search(text, max(0, start - window), min(len(text), end + window)) is not None


def _without_diacritics(text: str) -> bool:
    return all(ord(c) < 128 for c in text)


def _prepared(text: str) -> tuple[str, str]:
    """(canonical text, canonical text without the non-event mentions)."""
    raw = canonical(text[:5000])
    return raw, _compiled().not_events.sub(" ~ ", raw)


def _events(folded: str, *, ambiguous: bool) -> list[tuple[str, re.Match[str], bool]]:
    """(kind, match, strong) for every event match, strong ones first. In text written without
    diacritics (``ambiguous``), not a bare "chay" after a vehicle or a runner ("xe dang chay":
    a vehicle driving)."""
    compiled = _compiled()
    found: list[tuple[str, re.Match[str], bool]] = []
    for strong, patterns in ((True, compiled.strong), (False, compiled.weak)):
        for kind in KINDS:
            for match in patterns[kind].finditer(folded):
                if (
                    kind == "fire"
                    and ambiguous
                    and re.match(r"(dang |vua |bi |)chay\b", match[0])
                    and compiled.not_fire_before.search(folded, 0, match.start())
                ):
                    continue
                found.append((kind, match, strong))
    return found


def _now_near(compiled: _Compiled, folded: str, match: re.Match[str]) -> bool:
    """A present marker next to the event; "đang" only just before it (it is everywhere)."""
    if match[0].startswith("dang ") or _DANG_BEFORE.search(folded, 0, match.start()):
        return True
    return _near(compiled.now, folded, match.start(), match.end())


def _decide(text: str, raw: str, folded: str) -> str | None:
    compiled = _compiled()
    vetoed = compiled.not_now.search(raw) is not None
    urgent = compiled.urgent.search(folded) is not None
    qualified = {
        kind
        for kind, match, strong in _events(folded, ambiguous=_without_diacritics(text))
        if _now_near(compiled, folded, match) or (not vetoed and (strong or urgent))
    }
    # a fire with people trapped is a fire, a fight with someone bleeding a crime
    return next((kind for kind in KINDS if kind in qualified), None)


@dataclass(frozen=True)
class Context:
    """When the text places what it reports, for the learned detector's veto
    (classify/emergency_model.py)."""

    urgent: bool  # an urgent or present marker anywhere ("đang", "cứu với", "right now")
    not_now: bool  # placed in the past, as a risk, a question or recurring ("tuần trước")

    @property
    def vetoed(self) -> bool:
        """Placed in the past, as a risk or as recurring, with nothing urgent or present."""
        return self.not_now and not self.urgent


def context(text: str) -> Context:
    compiled = _compiled()
    raw, folded = _prepared(text)
    return Context(urgent=compiled.urgent.search(folded) is not None,
                   not_now=compiled.not_now.search(raw) is not None)


def explain(text: str) -> dict[str, object]:
    """What the rules saw: the canonical text, event matches, vetoes. For debugging."""
    compiled = _compiled()
    raw, folded = _prepared(text)
    return {
        "canonical": folded,
        "events": [
            (kind, match[0], "strong" if strong else "weak")
            for kind, match, strong in _events(folded, ambiguous=_without_diacritics(text))
        ],
        "not_now": [m[0] for m in compiled.not_now.finditer(raw)],
        "urgent": [m[0] for m in compiled.urgent.finditer(folded)],
        "kind": _decide(text, raw, folded),
    }


def detect(text: str) -> str | None:
    """"fire", "crime" or "medical" when the text reports one in progress, else None."""
    if not text or not text.strip():
        return None
    return _decide(text, *_prepared(text))


def detect_many(texts: Iterable[str]) -> list[str | None]:
    return [detect(text) for text in texts]
