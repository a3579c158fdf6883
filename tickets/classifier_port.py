"""How the tracker reaches the classifier: the newest model version, loaded once per process."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from core.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Suggestion:
    category: str
    confidence: float
    urgent: bool
    emergency: bool
    model_version: str
    threshold: float


class Classifier(Protocol):
    def __call__(self, text: str) -> Suggestion | None: ...


_lock = threading.Lock()
_cached: dict[str, Any] = {}


def default_threshold(predictor: Any) -> float:
    configured = get_settings().triage_threshold
    if configured is not None:
        return configured
    meta = getattr(predictor, "meta", None) or {}
    return float(meta.get("threshold", getattr(predictor, "threshold", 0.5)))


def load_classifier() -> Classifier | None:
    """The newest trained version under MODELS_ROOT, or None when no model exists yet."""
    with _lock:
        if "classifier" in _cached:
            return _cached["classifier"]  # type: ignore[no-any-return]
        classifier: Classifier | None = None
        try:
            from classify.predictor import load_latest  # lazy: scikit-learn, torch; in workers

            predictor = load_latest(models_root=get_settings().models_root)
        except Exception as error:  # no model trained yet, or an unreadable one
            log.warning("no classifier available, tickets go to triage: %s", error)
            predictor = None
        if predictor is not None:
            threshold = default_threshold(predictor)

            def classify_one(text: str) -> Suggestion | None:
                prediction = predictor.predict([text])[0]
                return Suggestion(
                    category=prediction.category,
                    confidence=float(prediction.confidence),
                    urgent=bool(prediction.urgent),
                    emergency=bool(prediction.emergency),
                    model_version=str(prediction.model_version),
                    threshold=threshold,
                )

            classifier = classify_one
        _cached["classifier"] = classifier
        return classifier


def reset() -> None:
    with _lock:
        _cached.clear()
