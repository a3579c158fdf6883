"""How the tracker reaches the classifier: the served model version, followed without restarts.

``load_classifier()`` returns a callable that classifies one text with the version the model
registry serves (``MODELS_ROOT/active``, see classify.registry). Each call re-checks the
registry cheaply (two ``stat`` calls, at most every ``MODEL_RECHECK_SECONDS``); when another
version became active (promoted, rolled back, or the background fine-tuning finished) the
next call loads it and later calls use it. A report is classified by one version and keeps
that version's name in ``model_version``; nothing already classified is touched.

Without any model, ``CLASSIFIER_WITHOUT_MODEL`` decides: "train" (default) trains the fast
baseline here (seconds, under the registry's training lock so that one process trains) and
serves it; "fail" raises ``ModelUnavailable`` (the task fails and is retried); "triage"
returns None, which sends every report to the triage desk, and is logged as an error each time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from classify import emergency_model, registry
from core.errors import HotlineError
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
    # mean-pooled, L2-normalised sentence embedding (for duplicate detection) and the model
    # that made it: embeddings of different versions are not comparable
    embedding: list[float] | None = None
    embedding_version: str | None = None
    emergency_kind: str | None = None


class Classifier(Protocol):
    def __call__(self, text: str) -> Suggestion | None: ...


class ModelUnavailable(HotlineError):
    """No model version exists and CLASSIFIER_WITHOUT_MODEL is "fail"."""

    status_code = 503
    code = "model_unavailable"


def default_threshold(predictor: Any) -> float:
    configured = get_settings().triage_threshold
    if configured is not None:
        return configured
    meta = getattr(predictor, "meta", None) or {}
    return float(meta.get("threshold", getattr(predictor, "threshold", 0.5)))


class ServedModel:
    """The predictor of the active version under ``models_root``, reloaded when it changes."""

    def __init__(self, models_root: Path, *, recheck_seconds: float) -> None:
        self.models_root = Path(models_root)
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._predictor: Any = None
        self._stamp: Any = None
        self._checked = float("-inf")

    def current(self) -> Any:
        """The served predictor, or None without any version."""
        now = time.monotonic()
        predictor = self._predictor
        if predictor is not None and now - self._checked < self.recheck_seconds:
            return predictor
        with self._lock:
            if self._predictor is not None and now - self._checked < self.recheck_seconds:
                return self._predictor
            stamp = registry.stamp(self.models_root)
            if self._predictor is not None and stamp == self._stamp:
                self._checked = now
                return self._predictor
            try:
                path = registry.active_path(self.models_root)
            except FileNotFoundError:
                path = None
            if path is not None and (self._predictor is None
                                     or self._predictor.version != path.name):
                self._predictor = self._load(path)
            self._stamp, self._checked = stamp, now
            return self._predictor

    def _load(self, path: Path) -> Any:
        from classify.predictor import Predictor  # lazy: scikit-learn, onnxruntime, torch

        try:
            predictor = Predictor(path)
        except Exception:
            if self._predictor is None:
                raise
            log.exception("could not load model %s, still serving %s", path.name,
                          self._predictor.version)
            return self._predictor
        if self._predictor is not None:
            log.info("classifier switched from %s to %s", self._predictor.version, path.name)
        else:
            log.info("classifier %s loaded", path.name)
        return predictor


def train_baseline_now(models_root: Path) -> None:
    """Train and activate the fast baseline unless a version appeared meanwhile."""
    from classify import train  # lazy: scikit-learn

    with registry.training_lock(models_root, name=registry.BASELINE_LOCK_FILE):
        if registry.active_version(models_root) is not None:
            return  # another process trained one while this one waited for the lock
        log.warning("no model under %s: training the fast baseline now", models_root)
        result = train.train_baseline(models_root=models_root)
        registry.activate(models_root, result.version, reason="no model: baseline")


_lock = threading.Lock()
_cached: dict[str, Any] = {}


def served_model() -> ServedModel:
    settings = get_settings()
    root = Path(settings.models_root)
    with _lock:
        served = _cached.get("served")
        if served is None or served.models_root != root:
            served = ServedModel(root, recheck_seconds=settings.model_recheck_seconds)
            _cached["served"] = served
        return served  # type: ignore[no-any-return]


def current_predictor(*, when_missing: str | None = None) -> Any:
    """The served predictor; without any version, what ``when_missing`` (default: the
    CLASSIFIER_WITHOUT_MODEL setting) says: "train", "fail" or "triage" (None)."""
    settings = get_settings()
    served = served_model()
    try:
        predictor = served.current()
    except Exception as error:  # an unreadable only version
        log.error("the served model cannot be loaded: %s", error)
        predictor = None
        if (when_missing or settings.classifier_without_model) == "fail":
            raise ModelUnavailable("The classifier model cannot be loaded.") from error
    if predictor is not None:
        return predictor
    policy = when_missing or settings.classifier_without_model
    if policy == "train":
        train_baseline_now(served.models_root)
        served._checked = float("-inf")
        return served.current()
    if policy == "fail":
        raise ModelUnavailable(
            "No classifier model exists yet: run `hotline classify ensure-model`."
        )
    log.error("no classifier model under %s: the report goes to triage "
              "(CLASSIFIER_WITHOUT_MODEL=triage)", served.models_root)
    return None


def suggest(predictor: Any, text: str) -> Suggestion:
    prediction = predictor.predict([text], embed=True)[0]
    return Suggestion(
        category=prediction.category,
        confidence=float(prediction.confidence),
        urgent=bool(prediction.urgent),
        emergency=bool(prediction.emergency),
        model_version=str(prediction.model_version),
        threshold=default_threshold(predictor),
        embedding=list(prediction.embedding) if prediction.embedding is not None else None,
        embedding_version=prediction.embedding_version,
        emergency_kind=prediction.emergency_kind,
    )


def classify_text(text: str) -> Suggestion | None:
    """One text with the served version (see the module docstring for no version)."""
    predictor = current_predictor()
    if predictor is None:
        return None
    return suggest(predictor, text)


def load_classifier() -> Classifier | None:
    """The classifier to call per report. With CLASSIFIER_WITHOUT_MODEL=triage and no model,
    None (reports go to triage); otherwise a callable following the served version."""
    settings = get_settings()
    if settings.classifier_without_model == "triage" and current_predictor() is None:
        return None
    return classify_text


def reset() -> None:
    with _lock:
        _cached.clear()
    _warm_state.update(running=False, next_try=float("-inf"), ready=None)
    _recent.clear()
    emergency_model.reset()


# --------------------------------------------------------------------------- the web form


@dataclass(frozen=True)
class TextSignals:
    """What the duplicate finder can use of a text not filed yet: the predicted category and
    an embedding comparable with the stored ones (tickets.duplicates), each None when absent."""

    category: str | None
    vector: Any  # np.ndarray (float32, unit length) or None
    model_version: str | None = None


_warming = threading.Lock()
# the version whose predictor and embedder the form may use (warmed up), and when to look again
_warm_state: dict[str, Any] = {"running": False, "next_try": float("-inf"), "ready": None}
WARM_RETRY_SECONDS = 60.0
# the texts the form looked up last (the look-up while typing, then the form's send, ask about
# the same text: the embedding is computed once); kept in this process's memory only
RECENT_TEXTS = 64
_recent: OrderedDict[tuple[int, str], TextSignals] = OrderedDict()


def comparable(predictor: Any) -> bool:
    """Its embeddings are the base checkpoint's, as the stored ones (classify.embedding)."""
    return str(predictor.embedding_version).startswith("base:")


def _warm_up() -> None:
    """Outside any request: load the served version (a new one when it changed), its embedder,
    and, when it has a fine-tuned encoder, the base checkpoint the stored embeddings come from."""
    try:
        predictor = served_model().current()
        if predictor is not None and _warm_state["ready"] is not predictor:
            predictor.predict(["warm up"], embed=comparable(predictor))
            if not comparable(predictor):
                from classify import embedding  # lazy: torch

                embedding.embed(["warm up"])
            _warm_state["ready"] = predictor
    except Exception:  # the form files without suggestions meanwhile
        log.exception("the classifier could not be loaded for the report form")
    finally:
        _warm_state["running"] = False


def _start_warm_up() -> None:
    with _warming:
        now = time.monotonic()
        if _warm_state["running"] or now < _warm_state["next_try"]:
            return
        _warm_state["next_try"] = now + WARM_RETRY_SECONDS
        try:
            registry.active_path(served_model().models_root)
        except FileNotFoundError:
            return  # no version at all: nothing to load (and nothing is trained here)
        _warm_state["running"] = True
        threading.Thread(target=_warm_up, name="classifier-warm-up", daemon=True).start()


def ready_predictor() -> Any:
    """The served predictor once this process has it in memory and warmed up, else None. It
    loads (and follows a newly served version) in the background: a resident's request never
    waits for a model to load, and nothing is trained here."""
    _start_warm_up()
    return _warm_state["ready"]


def signals_for_duplicates(text: str, *, predictor: Any = None) -> TextSignals | None:
    """The served version's category and embedding of ``text``, for finding the reports it
    likely duplicates before it is filed; None when no version is ready. The stored embeddings
    are the base checkpoint's (classify.embedding): a version with a fine-tuned encoder embeds
    differently, so then the base checkpoint embeds the text."""
    predictor = predictor if predictor is not None else ready_predictor()
    if predictor is None:
        return None
    key = (id(predictor), text)
    with _warming:
        if key in _recent:
            _recent.move_to_end(key)
            return _recent[key]
    signals = _signals(predictor, text)
    with _warming:
        _recent[key] = signals
        while len(_recent) > RECENT_TEXTS:
            _recent.popitem(last=False)
    return signals


def _signals(predictor: Any, text: str) -> TextSignals:
    same_space = comparable(predictor)
    prediction = predictor.predict([text], embed=same_space)[0]
    vector: Any = prediction.embedding
    if not same_space:
        from classify import embedding  # lazy: torch (loaded by the warm-up)

        vector = embedding.embed([text])[0]
    return TextSignals(
        category=str(prediction.category),
        vector=None if vector is None else np.asarray(vector, dtype=np.float32),
        model_version=str(prediction.model_version),
    )
