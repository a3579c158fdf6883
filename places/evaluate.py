"""Score the place reader on a labelled set (places/data/eval.jsonl), per language and kind.

A label is one ward (``ward_code``), several (``candidates``: a former district, a split ward),
or nothing (no place named). A single-ward text is right when the reader answers that ward; an
ambiguous one when it answers no single ward and offers exactly those candidates; a text with no
place when the reader answers unknown (no ward, no candidates).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from places.reader import PlaceReader

EVAL_FILE = Path(__file__).resolve().parent / "data" / "eval.jsonl"


@dataclass
class Counts:
    total: int = 0
    right: int = 0

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 0.0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.right += int(ok)

    def as_json(self) -> dict[str, Any]:
        return {"n": self.total, "right": self.right, "rate": round(self.rate, 4)}


@dataclass
class Report:
    ward: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    ambiguous: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    no_place: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    kinds: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    unknown_answers: int = 0
    unknown_right: int = 0
    wrong_ward_on_no_place: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unknown_precision(self) -> float:
        return self.unknown_right / self.unknown_answers if self.unknown_answers else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "ward_accuracy": {k: v.as_json() for k, v in sorted(self.ward.items())},
            "ambiguous_places": {k: v.as_json() for k, v in sorted(self.ambiguous.items())},
            "no_place_answered_unknown": {k: v.as_json() for k, v in sorted(self.no_place.items())},
            "unknown_precision": round(self.unknown_precision, 4),
            "unknown_answers": self.unknown_answers,
            "wrong_ward_on_no_place": self.wrong_ward_on_no_place,
            "per_kind": {k: v.as_json() for k, v in sorted(self.kinds.items())},
            "errors": self.errors,
        }


def load(path: Path = EVAL_FILE) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def evaluate(reader: PlaceReader, rows: Iterable[dict[str, Any]]) -> Report:
    report = Report()
    for row in rows:
        reading = reader.read(row["text"])
        lang, kind = row.get("lang", "?"), row.get("kind", "?")
        expected_ward, expected_candidates = row.get("ward_code"), row.get("candidates") or []
        answered_unknown = reading.ward_code is None and not reading.candidates
        if answered_unknown:
            report.unknown_answers += 1
        if expected_ward:
            ok = reading.ward_code == expected_ward
            report.ward[lang].add(ok)
            report.ward["all"].add(ok)
        elif expected_candidates:
            ok = reading.ward_code is None and set(reading.candidates) == set(expected_candidates)
            report.ambiguous[lang].add(ok)
            report.ambiguous["all"].add(ok)
        else:
            ok = answered_unknown
            report.no_place[lang].add(ok)
            report.no_place["all"].add(ok)
            if answered_unknown:
                report.unknown_right += 1
            if reading.ward_code is not None:
                report.wrong_ward_on_no_place += 1
        report.kinds[kind].add(ok)
        if not ok:
            report.errors.append({
                "text": row["text"], "lang": lang, "kind": kind, "expected": expected_ward,
                "expected_candidates": expected_candidates, "got": reading.ward_code,
                "got_candidates": reading.candidates, "basis": reading.basis,
            })
    return report


def summary(report: Report) -> str:
    lines = ["ward accuracy where one ward is named:"]
    lines += [f"  {k:<9} {v.right:>4}/{v.total:<4} {v.rate:.1%}"
              for k, v in sorted(report.ward.items())]
    lines.append("ambiguous places (former district, split ward) answered with the candidates:")
    lines += [f"  {k:<9} {v.right:>4}/{v.total:<4} {v.rate:.1%}"
              for k, v in sorted(report.ambiguous.items())]
    lines.append("texts naming no place answered unknown:")
    lines += [f"  {k:<9} {v.right:>4}/{v.total:<4} {v.rate:.1%}"
              for k, v in sorted(report.no_place.items())]
    lines.append(f"precision of 'unknown': {report.unknown_right}/{report.unknown_answers} "
                 f"= {report.unknown_precision:.1%}; a ward answered where none is named: "
                 f"{report.wrong_ward_on_no_place}")
    lines.append("per kind (right/total, errors):")
    lines += [f"  {k:<13} {v.right:>4}/{v.total:<4} errors {v.total - v.right}"
              for k, v in sorted(report.kinds.items())]
    return "\n".join(lines)
