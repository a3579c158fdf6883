"""A learned detector of "life or property at immediate risk", beside the rules.

The rules (classify/emergency.py) know fire, violent crime and medical emergencies by their
words and are precise, but miss what they have no pattern for: people pinned under a collapsed
scaffold, a person under a fallen tree, a gas leak, a live wire in a flooded street, a car in a
sinkhole. This detector learns those from examples and is tuned for recall: a false alarm only
adds the emergency numbers to the answer and marks the ticket for a person to look at (the
report is filed and classified as usual); a miss can cost a life.

Model: TF-IDF of character n-grams (2-5) and word uni- and bigrams of the rules' canonical text
(lower case, no diacritics, with "cháy" (burn) told apart from "chạy" (run) where the writer used
diacritics), and a multinomial logistic regression over "none", "fire", "crime", "medical" and
"rescue" (trapped, collapse, gas, live wires, drowning) with balanced class weights.
P(emergency) = 1 - P(none); an emergency when it reaches ``threshold``.

Training data: the emergencies and non-emergencies of classify/data/emergency.jsonl and
emergency_train.jsonl, plus every corpus complaint labelled not urgent (as "none"); Vietnamese
texts also without diacritics, and every text also as a phone transcript would render it (lower
case, no punctuation, a filler word first). classify/data/emergency_holdout.jsonl is never
trained on: it is the evaluation set (``hotline classify emergency-eval``).

The threshold (DEFAULT_THRESHOLD) was chosen by 5-fold cross-validation on the training data:
the highest cut-off at which every out-of-fold emergency is still caught, rounded down.
``cross_validate`` (`hotline classify emergency-threshold`) repeats that on the data of
5 December 2026, scoring each held-out text also without diacritics: the same rule gives 0.03,
where the out-of-fold false alarms on ordinary complaints more than double (588 of 2,850
against 258 at 0.07); at 0.07 it misses 2 of the 78 out-of-fold emergencies the rules miss.
0.07 is kept: it catches every emergency of both unseen sets (72 of 72, 34 of 34). An open
question for more training emergencies, not a settled one.

The rules' veto: a text they place in the past, as a risk or as recurring ("two weeks ago",
"mỗi đêm", "worried that"), with nothing urgent or present in it ("đang", "cứu với", "right
now"), is flagged only from P(emergency) >= VETOED_THRESHOLD (0.5). Out of fold it held back no
emergency and cut the false alarms on the hard negatives at 0.07 from 40 to 29 of 211.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classify import emergency as rules
from classify import registry
from classify.corpus import (
    DATA_DIR,
    Example,
    has_diacritics,
    limit_per_category,
    strip_diacritics,
)
from core.settings import get_settings

FILE = "emergency.joblib"
KINDS = ("fire", "crime", "medical", "rescue")
NONE = "none"
LABELS = (NONE, *KINDS)
TRAIN_FILES = (DATA_DIR / "emergency.jsonl", DATA_DIR / "emergency_train.jsonl")
HOLDOUT_FILE = DATA_DIR / "emergency_holdout.jsonl"
# out-of-fold (5 folds) on the training data: see the module docstring
DEFAULT_THRESHOLD = 0.07
# a text the rules place in the past, as a risk or as recurring ("two weeks ago", "mỗi đêm",
# "worried"), with nothing urgent or present, is flagged only from this P(emergency) on
VETOED_THRESHOLD = 0.5
NEGATIVES_PER_CATEGORY = 150
_PUNCTUATION = re.compile(r"[^\w\s]+", re.UNICODE)


@dataclass(frozen=True)
class Labelled:
    text: str
    lang: str
    emergency: bool
    kind: str | None


def read_labelled(path: Path) -> list[Labelled]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        emergency = bool(record["emergency"])
        kind = record.get("kind") if emergency else None
        if emergency and kind not in KINDS:
            kind = "rescue"
        out.append(Labelled(str(record["text"]), str(record.get("lang", "vi")), emergency, kind))
    return out


def spoken(text: str, lang: str) -> str:
    """The text as a call transcript renders it: lower case, no punctuation, a filler first."""
    words = _PUNCTUATION.sub(" ", text.lower()).split()
    return " ".join([("alo dạ" if lang == "vi" else "uh hi um"), *words])


def features_text(text: str) -> str:
    return rules.canonical(text[:5000])


def training_items(
    corpus_examples: Iterable[Example], files: Sequence[Path] = TRAIN_FILES,
    *, per_category: int = NEGATIVES_PER_CATEGORY,
) -> list[tuple[str, str, str, bool]]:
    """(text, lang, label, from an emergency file) before the copies: the emergency files, and
    at most ``per_category`` corpus complaints labelled not urgent of each category (the same
    ones every time), which keeps training to seconds."""
    items: list[tuple[str, str, str, bool]] = []
    for path in files:
        if path.exists():
            items += [(r.text, r.lang, r.kind or NONE, True) for r in read_labelled(path)]
    calm = [e for e in corpus_examples if e.urgent is False]
    items += [(e.text, e.lang, NONE, False) for e in limit_per_category(calm, per_category)]
    return items


def copies(text: str, lang: str, *, speech: bool) -> list[str]:
    """The text, without diacritics (Vietnamese) and as a call transcript (``speech``)."""
    forms = [text]
    if lang == "vi" and has_diacritics(text):
        forms.append(strip_diacritics(text))
    if speech:
        forms.append(spoken(text, lang))
    return forms


def training_set(
    corpus_examples: Iterable[Example], files: Sequence[Path] = TRAIN_FILES,
    *, per_category: int = NEGATIVES_PER_CATEGORY,
) -> tuple[list[str], list[str]]:
    """(texts, labels) with the folded and spoken copies."""
    texts: list[str] = []
    labels: list[str] = []
    for text, lang, label, special in training_items(corpus_examples, files,
                                                     per_category=per_category):
        forms = copies(text, lang, speech=special)
        texts += forms
        labels += [label] * len(forms)
    return texts, labels


def canonical_texts(texts: Iterable[str]) -> list[str]:
    return [features_text(t) for t in texts]


def _features() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False,
                            sublinear_tf=True, min_df=2, max_features=150_000,
                            dtype=np.float32)
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), lowercase=False,
                            sublinear_tf=True, min_df=1, dtype=np.float32)
    return FeatureUnion([("chars", chars), ("words", words)])


def build(*, seed: int = 42, c: float = 10.0) -> Any:
    """Canonical text -> TF-IDF -> logistic regression (balanced classes)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    return Pipeline([
        ("canonical", FunctionTransformer(canonical_texts)),
        ("tfidf", _features()),
        ("clf", LogisticRegression(C=c, max_iter=2000, class_weight="balanced",
                                   random_state=seed)),
    ])


class Detector:
    """Two pipelines: P(emergency) (binary, the decision) and the kind of an emergency (over
    KINDS, trained on the emergencies alone), and the threshold."""

    def __init__(self, pipeline: Any, kinds: Any, threshold: float = DEFAULT_THRESHOLD,
                 *, veto: bool = True) -> None:
        self.pipeline = pipeline
        self.kind_pipeline = kinds
        self.threshold = float(threshold)
        # the rules' veto: a text they place in the past, as a risk or as recurring, with
        # nothing urgent or present in it, needs P(emergency) >= VETOED_THRESHOLD (False for
        # detectors saved before it)
        self.veto = veto

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        """P(emergency) per text."""
        if not texts:
            return np.zeros(0)
        raw = np.asarray(self.pipeline.predict_proba(list(texts)), dtype=np.float64)
        classes = [bool(c) for c in self.pipeline.classes_]
        return raw[:, classes.index(True)] if True in classes else np.zeros(len(texts))

    def kinds(self, texts: Sequence[str]) -> list[str | None]:
        """The kind of each text whose P(emergency) reaches the threshold, else None."""
        probability = self.probability(texts)
        flagged = [i for i, p in enumerate(probability)
                   if p >= self.threshold and not (self.veto and p < VETOED_THRESHOLD
                                                   and rules.context(texts[i][:5000]).vetoed)]
        out: list[str | None] = [None] * len(texts)
        if flagged:
            kinds = self.kind_pipeline.predict([texts[i] for i in flagged])
            for i, kind in zip(flagged, kinds, strict=True):
                out[i] = str(kind)
        return out


def cross_validate(
    corpus_examples: Iterable[Example], *, folds: int = 5, seed: int = 0,
) -> dict[str, Any]:
    """Out-of-fold P(emergency) on the training data alone (the holdout is never read) and the
    threshold it supports: the highest cut-off, rounded down to 0.01, at which every
    out-of-fold emergency the rules miss is still flagged (an emergency is scored by the lower
    P of its text and its text without diacritics, a non-emergency by the higher), and the
    false alarms there. How DEFAULT_THRESHOLD is chosen: `hotline classify emergency-threshold`.
    """
    from sklearn.model_selection import StratifiedKFold

    items = training_items(corpus_examples)
    truth = np.array([label != NONE for _, _, label, _ in items], dtype=bool)
    special = np.array([s for *_, s in items], dtype=bool)
    by_rules = np.array([rules.detect(text) is not None for text, *_ in items], dtype=bool)
    vetoed = np.array([rules.context(text).vetoed for text, *_ in items], dtype=bool)
    scores = np.zeros(len(items))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train_rows, test_rows in splitter.split(items, truth * 2 + special):
        texts: list[str] = []
        flags: list[bool] = []
        for i in train_rows:
            text, lang, label, from_file = items[i]
            forms = copies(text, lang, speech=from_file)
            texts += forms
            flags += [label != NONE] * len(forms)
        detector = Detector(build(seed=seed).fit(texts, flags), None, 0.0)
        for i in test_rows:
            text, lang, _, _ = items[i]
            forms = copies(text, lang, speech=False)
            p = detector.probability(forms)
            scores[i] = p.min() if truth[i] else p.max()
    left = truth & ~by_rules
    held_back = vetoed & (scores < VETOED_THRESHOLD)
    catchable = left & ~held_back
    threshold = float(np.floor(scores[catchable].min() * 100) / 100) if catchable.any() else 0.5

    def at(cut: float) -> dict[str, Any]:
        flagged = (scores >= cut) & ~held_back
        return {
            "threshold": cut,
            "missed": int((left & ~flagged).sum()),
            "false_alarms_hard": int((flagged & ~truth & special).sum()),
            "false_alarms_corpus": int((flagged & ~truth & ~special).sum()),
        }

    return {
        "threshold": threshold,
        "emergencies": int(truth.sum()),
        "left_by_the_rules": int(left.sum()),
        "hard_negatives": int((~truth & special).sum()),
        "corpus_negatives": int((~truth & ~special).sum()),
        "vetoed_emergencies": [items[i][0] for i in np.flatnonzero(left & held_back)],
        "lowest_emergency_scores": [round(float(v), 3) for v in np.sort(scores[catchable])[:5]],
        "at": [at(cut) for cut in sorted({threshold, DEFAULT_THRESHOLD, 0.05, 0.1, 0.15})],
    }


def train(corpus_examples: Iterable[Example], *, seed: int = 42,
          threshold: float = DEFAULT_THRESHOLD) -> Detector:
    texts, labels = training_set(corpus_examples)
    emergencies = [(t, label) for t, label in zip(texts, labels, strict=True) if label != NONE]
    flags = [label != NONE for label in labels]
    if len(set(flags)) < 2 or len({label for _, label in emergencies}) < 2:
        raise ValueError("the emergency detector needs emergencies of two kinds and others")
    pipeline = build(seed=seed)
    kinds = build(seed=seed, c=5.0)
    if len(texts) < 200:
        pipeline.set_params(tfidf__chars__min_df=1)
        kinds.set_params(tfidf__chars__min_df=1)
    pipeline.fit(texts, flags)
    kinds.fit([t for t, _ in emergencies], [label for _, label in emergencies])
    return Detector(pipeline, kinds, threshold)


def save(detector: Detector, path: Path) -> None:
    import joblib

    joblib.dump({"pipeline": detector.pipeline, "kinds": detector.kind_pipeline,
                 "threshold": detector.threshold, "veto": detector.veto}, path, compress=3)


def load(path: Path) -> Detector:
    import joblib

    stored = joblib.load(path)
    return Detector(stored["pipeline"], stored["kinds"], stored["threshold"],
                    veto=bool(stored.get("veto", False)))


# --------------------------------------------------------------------------- rules + detector


def combine(rule_kind: str | None, learned_kind: str | None) -> str | None:
    """The rules' kind when they fire (they are precise), else the detector's."""
    return rule_kind or learned_kind


def detect(text: str, detector: Detector | None = None) -> str | None:
    """The rules, then the learned detector (the served one when not given)."""
    kind = rules.detect(text)
    if kind is not None or not text or not text.strip():
        return kind
    detector = detector if detector is not None else served()
    if detector is None:
        return None
    return detector.kinds([text])[0]


# --------------------------------------------------------------------------- the served one


_served_lock = threading.Lock()
_served: dict[str, Any] = {}


def served() -> Detector | None:
    """The detector of the active model version (None before any, or in a version without
    one), re-checked like the classifier (tickets.classifier_port)."""
    settings = get_settings()
    root = Path(settings.models_root)
    now = time.monotonic()
    with _served_lock:
        if (_served.get("root") == root
                and now - _served.get("checked", -1e9) < settings.model_recheck_seconds):
            return _served.get("detector")  # type: ignore[no-any-return]
        current = registry.stamp(root)
        if _served.get("root") == root and _served.get("stamp") == current:
            _served["checked"] = now
            return _served.get("detector")  # type: ignore[no-any-return]
        detector = None
        try:
            path = registry.active_path(root) / FILE
            if _served.get("path") == path:
                detector = _served.get("detector")
            elif path.exists():
                detector = load(path)
        except FileNotFoundError:
            path = None  # type: ignore[assignment]
        _served.update(root=root, stamp=current, checked=now, path=path, detector=detector)
        return detector


def reset() -> None:
    with _served_lock:
        _served.clear()


# --------------------------------------------------------------------------- evaluation


def evaluate(detector: Detector | None, examples: Sequence[Labelled]) -> dict[str, Any]:
    """Recall and false alarms of the rules alone, the detector alone and both together."""
    texts = [e.text for e in examples]
    truth = np.array([e.emergency for e in examples], dtype=bool)
    by_rules = np.array([rules.detect(t) is not None for t in texts], dtype=bool)
    if detector is not None and texts:
        by_model = np.array([k is not None for k in detector.kinds(texts)], dtype=bool)
    else:
        by_model = np.zeros(len(texts), dtype=bool)
    both = by_rules | by_model

    def figures(said: np.ndarray) -> dict[str, Any]:
        caught = int((said & truth).sum())
        alarms = int((said & ~truth).sum())
        return {
            "recall": round(caught / max(1, int(truth.sum())), 4),
            "caught": caught,
            "false_alarms": alarms,
            "false_alarm_rate": round(alarms / max(1, int((~truth).sum())), 4),
        }

    missed = [texts[i] for i in np.flatnonzero(truth & ~both)]
    alarms = [texts[i] for i in np.flatnonzero(~truth & both)]
    return {
        "n": len(texts),
        "emergencies": int(truth.sum()),
        "rules": figures(by_rules),
        "detector": figures(by_model),
        "combined": figures(both),
        "threshold": detector.threshold if detector is not None else None,
        "missed": missed,
        "false_alarm_texts": alarms,
    }
