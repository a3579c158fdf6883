"""Precision and recall of the duplicate suggestion on a labelled pair set (issue 16).

`hotline duplicates eval [--data classify/data/duplicates/pairs.jsonl] [--threshold T]`:
each line holds two texts, their categories, whether they are in the same ward, and whether
they are the same problem. Both candidates of a pair are assumed to have passed the SQL filter
(a neighbouring ward at most, inside the window): this measures the score, not the filter.
`pairs.jsonl` was written apart from `tune.jsonl` (the pairs the weights were checked on).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from tickets import duplicates

DATA_DIR = Path(__file__).resolve().parent.parent / "classify" / "data" / "duplicates"
PAIRS = DATA_DIR / "pairs.jsonl"


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def evaluate(pairs: list[dict[str, Any]], *, threshold: float | None = None) -> dict[str, Any]:
    from classify import embedding  # lazy: torch and transformers, behind a command

    threshold = duplicates.THRESHOLD if threshold is None else threshold
    vectors_a = embedding.embed([p["a"] for p in pairs])
    vectors_b = embedding.embed([p["b"] for p in pairs])
    cosines = np.sum(vectors_a * vectors_b, axis=1)
    scores = [
        duplicates.pair_score(
            cosine=float(cos),
            category_a=p.get("category_a"),
            category_b=p.get("category_b"),
            text_a=p["a"],
            text_b=p["b"],
            same_ward=bool(p.get("same_ward")),
        )
        for p, cos in zip(pairs, cosines, strict=True)
    ]
    tp = fp = fn = 0
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # right, total
    for pair, value in zip(pairs, scores, strict=True):
        said, truth = value >= threshold, bool(pair["duplicate"])
        tp += said and truth
        fp += said and not truth
        fn += truth and not said
        by_kind[pair.get("kind", "")][0] += said == truth
        by_kind[pair.get("kind", "")][1] += 1
    return {
        "threshold": threshold,
        "pairs": len(pairs),
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "by_kind": {kind: f"{right}/{total}" for kind, (right, total) in sorted(by_kind.items())},
        "scores": [round(s, 3) for s in scores],
    }
