"""Evaluation of a trained version: accuracy and macro-F1 overall, per language and per
category; urgency recall; the most confused pairs; the served model, the transformer alone and
the baseline side by side. On the dev split (default) or a labelled JSON-lines file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from classify.corpus import Example, has_diacritics, load_corpus, split, strip_diacritics

if TYPE_CHECKING:
    from classify.predictor import Predictor  # lazy: typing only (it loads scikit-learn)

MODEL_KEYS = ("served", "transformer", "baseline")


def scores(
    truth: Sequence[str], predicted: Sequence[str], *, langs: Sequence[str] | None = None
) -> dict[str, Any]:
    """n, accuracy and macro-F1 (over the categories present in truth or predictions), and the
    same per language when ``langs`` is given."""
    from sklearn.metrics import f1_score

    truth, predicted = list(truth), list(predicted)
    out: dict[str, Any] = {"n": len(truth), "accuracy": None, "macro_f1": None}
    if truth:
        right = [t == p for t, p in zip(truth, predicted, strict=True)]
        out["accuracy"] = round(float(np.mean(right)), 4)
        out["macro_f1"] = round(
            float(f1_score(truth, predicted, average="macro", zero_division=0)), 4
        )
    if langs is not None:
        out["by_lang"] = {
            lang: scores(
                [t for t, g in zip(truth, langs, strict=True) if g == lang],
                [p for p, g in zip(predicted, langs, strict=True) if g == lang],
            )
            for lang in sorted(set(langs))
        }
    return out


def per_category(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, Any]]:
    from sklearn.metrics import precision_recall_fscore_support

    labels = sorted(set(truth) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    return {
        label: {
            "precision": round(float(p), 4), "recall": round(float(r), 4),
            "f1": round(float(f), 4), "support": int(s),
        }
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }


def confused_pairs(
    truth: Sequence[str], predicted: Sequence[str], top: int = 10
) -> list[dict[str, Any]]:
    pairs = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    return [
        {"true": t, "predicted": p, "count": n}
        for (t, p), n in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))[:top]
    ]


def evaluate(predictor: Predictor, examples: Sequence[Example], *, source: str) -> dict[str, Any]:
    """The report (a JSON-able dict) of ``predictor`` on ``examples``."""
    texts = [e.text for e in examples]
    truth = [e.category for e in examples]
    langs = [e.lang for e in examples]
    labels = predictor.labels
    probabilities = predictor.probabilities(texts, components=True) if texts else {}
    # a baseline-only version has no transformer column
    keys = [k for k in MODEL_KEYS if not texts or k in probabilities]
    if not getattr(predictor, "has_transformer", True):
        keys = [k for k in keys if k != "transformer"]
    predicted = {
        key: [labels[i] for i in probabilities[key].argmax(axis=1)] if texts else []
        for key in keys
    }
    confidence = probabilities["served"].max(axis=1) if texts else np.zeros(0)
    accepted = confidence >= predictor.threshold
    correct = np.array(
        [t == p for t, p in zip(truth, predicted["served"], strict=True)], dtype=bool
    )

    folded = [i for i, e in enumerate(examples) if e.lang == "vi" and has_diacritics(e.text)]
    without = {}
    if folded:
        stripped = predictor.probabilities([strip_diacritics(texts[i]) for i in folded],
                                           components=True)
        folded_truth = [truth[i] for i in folded]
        without = {
            key: scores(folded_truth, [labels[j] for j in stripped[key].argmax(axis=1)])
            for key in keys
        }

    urgent_rows = [i for i, e in enumerate(examples) if e.urgent is not None]
    urgency: dict[str, Any] = {"n": len(urgent_rows), "urgent": 0, "recall": None,
                               "precision": None}
    if urgent_rows:
        predictions = predictor.predict([texts[i] for i in urgent_rows])
        said = np.array([p.urgent for p in predictions], dtype=bool)
        true = np.array([bool(examples[i].urgent) for i in urgent_rows], dtype=bool)
        urgency["urgent"] = int(true.sum())
        if true.any():
            urgency["recall"] = round(float((said & true).sum() / true.sum()), 4)
        if said.any():
            urgency["precision"] = round(float((said & true).sum() / said.sum()), 4)

    return {
        "model_version": predictor.version,
        "mode": predictor.mode,
        "transformer_weight": predictor.weight,
        "transformer_weight_by_language": predictor.weights_by_language,
        "weights": predictor.weight_label,
        "data": source,
        "n": len(examples),
        "models": {key: scores(truth, predicted[key], langs=langs) for key in keys},
        "per_category": per_category(truth, predicted["served"]),
        "confused": confused_pairs(truth, predicted["served"]),
        "urgency": urgency,
        "auto_routed": {
            "threshold": predictor.threshold,
            "coverage": round(float(accepted.mean()), 4) if texts else None,
            "precision": round(float(correct[accepted].mean()), 4) if accepted.any() else None,
        },
        "vi_without_diacritics": without,
    }


def dev_examples(corpus_dir: Path | None = None) -> list[Example]:
    return split(load_corpus(corpus_dir))[1]


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def format_report(report: dict[str, Any]) -> str:
    """The report as a human-readable table."""
    models = report["models"]
    keys = [k for k in MODEL_KEYS if k in models]
    lines = [
        f"model {report['model_version']}  (serving: {report['mode']}, {report['weights']})  "
        f"data: {report['data']}  n={report['n']}",
        "",
        f"{'':22}" + "".join(f"{key:>22}" for key in keys),
    ]

    def row(name: str, pick: Any) -> str:
        cells = []
        for key in keys:
            figures = pick(models[key])
            cells.append(
                f"{_pct(figures.get('accuracy'))} / {_pct(figures.get('macro_f1'))}".rjust(22)
                if figures else f"{'-':>22}"
            )
        return f"{name:22}" + "".join(cells)

    lines.append(row("all (acc / macro-F1)", lambda m: m))
    for lang in sorted(models["served"].get("by_lang", {})):
        n = models["served"]["by_lang"][lang]["n"]
        lines.append(row(f"  {lang} (n={n})", lambda m, lang=lang: m["by_lang"].get(lang, {})))
    without = report.get("vi_without_diacritics") or {}
    if without:
        name = f"  vi stripped (n={without['served']['n']})"
        lines.append(f"{name:22}" + "".join(
            f"{_pct(without[k]['accuracy'])} / {_pct(without[k]['macro_f1'])}".rjust(22)
            for k in keys
        ))
    lines += ["", f"{'category (served)':22}{'precision':>11}{'recall':>9}{'F1':>9}{'n':>6}"]
    for label, figures in report["per_category"].items():
        lines.append(
            f"{label:22}{_pct(figures['precision']):>11}{_pct(figures['recall']):>9}"
            f"{_pct(figures['f1']):>9}{figures['support']:>6}"
        )
    urgency = report["urgency"]
    auto = report["auto_routed"]
    lines += [
        "",
        f"urgency: recall {_pct(urgency['recall'])}, precision {_pct(urgency['precision'])} "
        f"({urgency['urgent']} urgent of {urgency['n']} labelled)",
        f"auto-routed at confidence >= {auto['threshold']:.3f}: {_pct(auto['coverage'])} of "
        f"reports, {_pct(auto['precision'])} of them right",
    ]
    if report["confused"]:
        lines += ["", "most confused (true -> predicted):"]
        lines += [f"  {c['count']:4}  {c['true']} -> {c['predicted']}" for c in report["confused"]]
    return "\n".join(lines)
