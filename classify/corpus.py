"""The labelled corpus: loading, validation, text normalisation, a fixed train/dev split, data hash.

Corpus files are ``classify/data/corpus/<category>.jsonl``; one JSON object a line with
``text``, ``lang`` ("vi" or "en"), ``category`` (a taxonomy id), ``urgent`` (bool) and ``style``.

The split is a property of each text alone: an example is in dev when a stable hash of its
diacritic-free normalised text falls in the lowest 20 %. Adding examples never moves another
example between train and dev, and a text with and without diacritics lands on the same side.
A category whose hash draw leaves it without a dev example gives its lowest-hash example to dev.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from routing.taxonomy import load_taxonomy

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
CORPUS_DIR = DATA_DIR / "corpus"
EMERGENCY_FILE = DATA_DIR / "emergency.jsonl"
# complaints written apart from the corpus and never trained on: an honest second test set
HOLDOUT_FILE = DATA_DIR / "holdout.jsonl"
LANGS = ("vi", "en")
DEV_PERCENT = 20
_SPACES = re.compile(r"\s+")
_VI_MARKS = re.compile(r"[đĐ]")


class CorpusError(ValueError):
    """Invalid corpus data: every problem found, one a line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = "\n".join(self.problems[:20])
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} invalid corpus record(s):\n{shown}{more}")


@dataclass(frozen=True)
class Example:
    text: str
    lang: str
    category: str
    urgent: bool | None = None
    style: str | None = None
    source: str = "corpus"

    def key(self) -> str:
        return split_key(self.text)

    def as_record(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "lang": self.lang,
            "category": self.category,
            "urgent": self.urgent,
            "source": self.source,
        }


# --------------------------------------------------------------------------- normalisation


def normalize(text: str) -> str:
    """NFC, lower case, single spaces, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text).lower()).strip()


def strip_diacritics(text: str) -> str:
    """Vietnamese (and any Latin) text without tone marks and diacritics: "đường" -> "duong"."""
    text = _VI_MARKS.sub(lambda m: "d" if m[0] == "đ" else "D", text)
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    )


def fold(text: str) -> str:
    """Normalised and diacritic-free: the form in which "đèn đường hư" equals "den duong hu"."""
    return strip_diacritics(normalize(text))


def has_diacritics(text: str) -> bool:
    return strip_diacritics(text) != text


# --------------------------------------------------------------------------- taxonomy


@lru_cache
def category_ids() -> tuple[str, ...]:
    """The category ids of the default taxonomy, in taxonomy order."""
    return tuple(load_taxonomy().category_ids)


def default_agency(category: str) -> str | None:
    try:
        return load_taxonomy().default_agency(category)
    except KeyError:
        return None


# --------------------------------------------------------------------------- loading


def _parse_record(
    record: Any, where: str, known: Iterable[str], *, source: str
) -> tuple[Example | None, str | None]:
    if not isinstance(record, Mapping):
        return None, f"{where}: not a JSON object"
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        return None, f"{where}: 'text' must be a non-empty string"
    lang = record.get("lang")
    if lang not in LANGS:
        return None, f"{where}: 'lang' must be one of {LANGS}, got {lang!r}"
    category = record.get("category")
    if category not in set(known):
        return None, f"{where}: unknown category {category!r}"
    urgent = record.get("urgent")
    if urgent is not None and not isinstance(urgent, bool):
        return None, f"{where}: 'urgent' must be true, false or absent"
    style = record.get("style")
    example = Example(
        text=unicodedata.normalize("NFC", text).strip(),
        lang=str(lang),
        category=str(category),
        urgent=urgent,
        style=str(style) if style is not None else None,
        source=source,
    )
    return example, None


def read_jsonl(path: Path, *, known: Iterable[str] | None = None) -> list[Example]:
    """The examples of one JSON-lines file; CorpusError listing every invalid line."""
    known = tuple(known) if known is not None else category_ids()
    examples: list[Example] = []
    problems: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"{where}: invalid JSON ({error.msg})")
                continue
            example, problem = _parse_record(record, where, known, source="corpus")
            if problem:
                problems.append(problem)
            elif example is not None:
                examples.append(example)
    if problems:
        raise CorpusError(problems)
    return examples


def load_corpus(
    corpus_dir: Path | None = None, *, known: Iterable[str] | None = None
) -> list[Example]:
    """Every example of every ``*.jsonl`` file, validated, deduplicated by folded text.

    Raises CorpusError listing all invalid lines, FileNotFoundError without any corpus file.
    """
    corpus_dir = corpus_dir or CORPUS_DIR
    known = tuple(known) if known is not None else category_ids()
    files = sorted(corpus_dir.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no corpus files (*.jsonl) in {corpus_dir}")
    examples: list[Example] = []
    problems: list[str] = []
    for path in files:
        try:
            examples.extend(read_jsonl(path, known=known))
        except CorpusError as error:
            problems.extend(error.problems)
    if problems:
        raise CorpusError(problems)
    return deduplicate(examples)


def deduplicate(examples: Iterable[Example]) -> list[Example]:
    """The first example of each folded text; conflicting labels are logged."""
    seen: dict[str, Example] = {}
    for example in examples:
        key = fold(example.text)
        first = seen.get(key)
        if first is None:
            seen[key] = example
        elif first.category != example.category:
            log.warning(
                "duplicate text with two categories (%s, %s) kept as %s: %.60s",
                first.category, example.category, first.category, example.text,
            )
    return list(seen.values())


def extra_examples(
    records: Iterable[Mapping[str, Any]] | None, *, known: Iterable[str] | None = None
) -> tuple[list[Example], int]:
    """Staff corrections (dicts with text, lang, category) as training examples.

    Returns (examples, skipped): records with an unknown category, an empty text or a language
    other than vi/en are skipped (a deployment may have added categories the model lacks).
    """
    known = tuple(known) if known is not None else category_ids()
    examples: list[Example] = []
    skipped = 0
    for index, record in enumerate(records or ()):
        if isinstance(record, Mapping) and record.get("lang") not in LANGS:
            record = {**record, "lang": "vi"}
        example, problem = _parse_record(record, f"extra[{index}]", known, source="extra")
        if example is None:
            log.warning("skipped a correction: %s", problem)
            skipped += 1
            continue
        examples.append(example)
    return deduplicate(examples), skipped


# --------------------------------------------------------------------------- split


def split_key(text: str) -> str:
    return hashlib.sha256(fold(text).encode("utf-8")).hexdigest()


def _bucket(text: str) -> int:
    return int(split_key(text)[:8], 16) % 100


def split(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """(train, dev): a fixed split by text hash (~20 % dev), every category with a dev example
    as soon as it has two examples."""
    train: list[Example] = []
    dev: list[Example] = []
    for example in examples:
        (dev if _bucket(example.text) < DEV_PERCENT else train).append(example)
    has_dev = {e.category for e in dev}
    by_category: dict[str, list[Example]] = defaultdict(list)
    for example in train:
        by_category[example.category].append(example)
    for category, items in by_category.items():
        if category not in has_dev and len(items) >= 2:
            moved = min(items, key=Example.key)
            train.remove(moved)
            dev.append(moved)
    return train, dev


def limit_per_category(examples: Sequence[Example], limit: int | None) -> list[Example]:
    """At most ``limit`` examples per category, the same ones every time (lowest hash first)."""
    if not limit:
        return list(examples)
    by_category: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_category[example.category].append(example)
    kept = {
        id(e)
        for items in by_category.values()
        for e in sorted(items, key=Example.key)[:limit]
    }
    return [e for e in examples if id(e) in kept]


def augment_without_diacritics(examples: Sequence[Example]) -> list[Example]:
    """The examples plus a diacritic-free copy of each Vietnamese one that has diacritics."""
    out = list(examples)
    for example in examples:
        if example.lang == "vi" and has_diacritics(example.text):
            out.append(
                Example(
                    text=strip_diacritics(example.text),
                    lang=example.lang,
                    category=example.category,
                    urgent=example.urgent,
                    style=example.style,
                    source=f"{example.source}+folded",
                )
            )
    return out


# --------------------------------------------------------------------------- hashing


def data_hash(examples: Iterable[Example]) -> str:
    """sha256 of the sorted training examples (text, lang, category, urgent)."""
    lines = sorted(
        json.dumps([e.text, e.lang, e.category, e.urgent], ensure_ascii=False)
        for e in examples
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def counts(examples: Iterable[Example]) -> dict[str, dict[str, int]]:
    by_category: dict[str, int] = defaultdict(int)
    by_lang: dict[str, int] = defaultdict(int)
    for example in examples:
        by_category[example.category] += 1
        by_lang[example.lang] += 1
    return {"category": dict(sorted(by_category.items())), "lang": dict(sorted(by_lang.items()))}


def read_labelled_file(path: Path) -> list[Example]:
    """An evaluation file: JSON lines with text, lang, category and optionally urgent."""
    return read_jsonl(path)
