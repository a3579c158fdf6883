"""The baseline: character n-gram TF-IDF (char_wb, 2-5) and a logistic regression.

The character n-grams see the normalised text (NFC, lower case, spaces); next to them, by
default, word uni- and bigrams of the diacritic-free text (Vietnamese words are mostly two
syllables: "đèn đường", "den duong"). On the dev split the word block adds about 3 points of
accuracy (0.84 -> 0.87); ``word_ngrams=False`` gives the plain char_wb baseline. The training
data carries a diacritic-free copy of each Vietnamese example, so "đèn đường hư" and
"den duong hu" both mean lighting.

Also the urgency model (char n-grams, a balanced binary logistic regression on ``urgent``).
And the language identifier (char n-grams of the diacritic-free text, logistic regression on
``lang``): it tells the ensemble how much to trust each component for a text, since the
transformer is better in English and the baseline in Vietnamese. All are scikit-learn pipelines
saved with joblib.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from classify.corpus import fold, normalize

DEFAULT_C = 20.0


def _vectorizer(max_features: int | None = 300_000) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        preprocessor=normalize,
        sublinear_tf=True,
        min_df=2,
        max_features=max_features,
        dtype=np.float32,
    )


def _features(word_ngrams: bool) -> Any:
    if not word_ngrams:
        return _vectorizer()
    words = TfidfVectorizer(
        analyzer="word", ngram_range=(1, 2), preprocessor=fold, sublinear_tf=True, min_df=2,
        dtype=np.float32,
    )
    return FeatureUnion([("chars", _vectorizer()), ("words", words)])


def build(*, c: float = DEFAULT_C, seed: int = 42, word_ngrams: bool = True) -> Pipeline:
    """An untrained category pipeline."""
    return Pipeline(
        [
            ("tfidf", _features(word_ngrams)),
            ("clf", LogisticRegression(C=c, max_iter=3000, random_state=seed)),
        ]
    )


def _tiny(pipeline: Pipeline) -> None:
    """Tiny runs (tests): min_df=2 could leave no features."""
    for name in list(pipeline.get_params()):
        if name.endswith("min_df"):
            pipeline.set_params(**{name: 1})


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    c: float = DEFAULT_C,
    seed: int = 42,
    word_ngrams: bool = True,
) -> Pipeline:
    pipeline = build(c=c, seed=seed, word_ngrams=word_ngrams)
    if len(texts) < 50:
        _tiny(pipeline)
    pipeline.fit(list(texts), list(labels))
    return pipeline


def train_urgency(
    texts: Sequence[str], urgent: Sequence[bool], *, c: float = 5.0, seed: int = 42
) -> Pipeline:
    """P(urgent | text). Balanced class weights: urgent reports are the rarer class."""
    pipeline = Pipeline(
        [
            ("tfidf", _vectorizer(max_features=200_000)),
            (
                "clf",
                LogisticRegression(
                    C=c, max_iter=3000, class_weight="balanced", random_state=seed
                ),
            ),
        ]
    )
    if len(texts) < 50:
        _tiny(pipeline)
    labels = [bool(u) for u in urgent]
    if len(set(labels)) < 2:  # a degenerate sample: keep the pipeline usable anyway
        texts = [*texts, "~"]
        labels = [*labels, not labels[0]] if labels else [False]
        if len(labels) == 1:
            texts, labels = ["~", "!"], [False, True]
    pipeline.fit(list(texts), labels)
    return pipeline


def train_language(
    texts: Sequence[str], langs: Sequence[str], *, seed: int = 42
) -> Pipeline | None:
    """P(lang | text) from the folded text, so Vietnamese typed without diacritics is still
    Vietnamese. None when the training data has a single language."""
    if len(set(langs)) < 2:
        return None
    pipeline = Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(1, 4), preprocessor=fold,
                    sublinear_tf=True, min_df=2, max_features=100_000, dtype=np.float32,
                ),
            ),
            ("clf", LogisticRegression(C=10.0, max_iter=2000, random_state=seed)),
        ]
    )
    if len(texts) < 50:
        _tiny(pipeline)
    pipeline.fit(list(texts), list(langs))
    return pipeline


def probabilities(pipeline: Pipeline, texts: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Class probabilities, columns in the order of ``labels`` (zeros for a class the model
    never saw)."""
    raw = pipeline.predict_proba(list(texts))
    classes = list(pipeline.classes_)
    out = np.zeros((len(texts), len(labels)), dtype=np.float64)
    for column, label in enumerate(labels):
        if label in classes:
            out[:, column] = raw[:, classes.index(label)]
    return out


def urgency_probability(pipeline: Pipeline, texts: Sequence[str]) -> np.ndarray:
    raw = pipeline.predict_proba(list(texts))
    classes = list(pipeline.classes_)
    return raw[:, classes.index(True)] if True in classes else np.zeros(len(texts))


def save(obj: Any, path: Path) -> None:
    joblib.dump(obj, path, compress=3)


def load(path: Path) -> Any:
    return joblib.load(path)
