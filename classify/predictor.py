"""Serving a trained version: ``load_latest(models_root=...)`` and ``Predictor.predict(texts)``."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classify import baseline, emergency, modeling
from classify.corpus import LANGS, default_agency

log = logging.getLogger(__name__)

VERSION_PATTERN = re.compile(r"^\d{8}T\d{6}Z(-[0-9a-f]+)+$")
BATCH_SIZE = 32
_load_lock = threading.Lock()


@dataclass(frozen=True)
class Prediction:
    category: str
    agency: str | None
    confidence: float
    urgent: bool
    emergency: bool
    emergency_kind: str | None
    model_version: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_meta(path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((path / modeling.META_FILE).read_text(encoding="utf-8"))
    return meta


def is_complete(path: Path) -> bool:
    """A version directory whose meta.json and every file it lists exist."""
    if not path.is_dir() or not VERSION_PATTERN.match(path.name):
        return False
    try:
        meta = read_meta(path)
    except (OSError, ValueError):
        return False
    files = meta.get("files") or []
    return bool(meta.get("labels")) and all((path / name).exists() for name in files)


def versions(models_root: Path) -> list[Path]:
    """Complete version directories, newest (by name) first."""
    root = Path(models_root)
    if not root.is_dir():
        return []
    candidates = sorted(
        (p for p in root.iterdir() if VERSION_PATTERN.match(p.name)),
        key=lambda p: p.name,
        reverse=True,
    )
    return [p for p in candidates if is_complete(p)]


def latest_path(models_root: Path) -> Path:
    found = versions(models_root)
    if not found:
        raise FileNotFoundError(f"no complete model version under {models_root}")
    return found[0]


def load_latest(*, models_root: Path) -> Predictor:
    """The newest complete version under ``models_root``; FileNotFoundError without one."""
    with _load_lock:
        return Predictor(latest_path(models_root))


class Predictor:
    """One trained version: category, agency, confidence, urgency and emergency per text.

    The components the serving mode needs are loaded at construction; ``probabilities`` may
    load the other one (for evaluation) on first use. ``predict`` is safe to call from several
    threads (it serialises inference)."""

    def __init__(self, path: Path, *, threads: int | None = None) -> None:
        self.path = Path(path)
        self.meta: dict[str, Any] = read_meta(self.path)
        self.version: str = self.path.name
        self.labels: list[str] = list(self.meta["labels"])
        serving = self.meta.get("serving") or {}
        self.weight = float(serving.get("transformer_weight", 0.0))
        self.mode: str = serving.get("mode") or modeling.mode_for(self.weight)
        self.threads = threads
        self._lock = threading.RLock()
        self._baseline: Any = None
        self._transformer: tuple[Any, Any] | None = None
        self._urgency: Any = baseline.load(self.path / modeling.URGENCY_FILE)
        # per-language weights (versions trained before the language identifier have one)
        by_language = serving.get("transformer_weight_by_language")
        self._language: Any = None
        self.weights_by_language: dict[str, float] | None = None
        if by_language and (self.path / modeling.LANGUAGE_FILE).exists():
            self._language = baseline.load(self.path / modeling.LANGUAGE_FILE)
            self.weights_by_language = {
                lang: float(by_language.get(lang, self.weight)) for lang in LANGS
            }
        weights = list((self.weights_by_language or {"all": self.weight}).values())
        self._needs_transformer = max(weights) > 0.0
        self._needs_baseline = min(weights) < 1.0
        if self._needs_baseline:
            self._load_baseline()
        if self._needs_transformer:
            self._load_transformer()

    def __repr__(self) -> str:
        return f"Predictor({self.version!r}, mode={self.mode!r})"

    @property
    def weight_label(self) -> str:
        """The transformer's share of the served probabilities, as people read it."""
        if self.weights_by_language is None:
            return f"transformer weight {self.weight}"
        shares = ", ".join(f"{lang} {w}" for lang, w in self.weights_by_language.items())
        return f"transformer weight by language: {shares}"

    @property
    def threshold(self) -> float:
        return float(self.meta.get("threshold", 0.5))

    @property
    def urgent_threshold(self) -> float:
        return float(self.meta.get("urgent_threshold", 0.5))

    def _load_baseline(self) -> Any:
        with self._lock:
            if self._baseline is None:
                self._baseline = baseline.load(self.path / modeling.BASELINE_FILE)
            return self._baseline

    def _load_transformer(self) -> tuple[Any, Any]:
        with self._lock:
            if self._transformer is None:
                modeling.limit_threads(self.threads)
                self._transformer = modeling.load_transformer(
                    self.path / modeling.TRANSFORMER_DIR
                )
            return self._transformer

    # ------------------------------------------------------------------ inference

    def _transformer_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        model, tokenizer = self._load_transformer()
        info = self.meta.get("transformer") or {}
        return modeling.transformer_probabilities(
            model,
            tokenizer,
            modeling.model_input(texts, info.get("input_form", "normalized")),
            max_length=int(info.get("max_length", 64)),
            batch_size=BATCH_SIZE,
        )

    def _baseline_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return baseline.probabilities(self._load_baseline(), texts, self.labels)

    def probabilities(
        self, texts: Sequence[str], *, components: bool = False
    ) -> dict[str, np.ndarray]:
        """{"served": ...} and, with ``components``, "transformer" and "baseline" too."""
        texts = [str(t) for t in texts]
        with self._lock:
            need_transformer = components or self._needs_transformer
            need_baseline = components or self._needs_baseline
            p_transformer = self._transformer_probabilities(texts) if need_transformer else None
            p_baseline = self._baseline_probabilities(texts) if need_baseline else None
            if self.weights_by_language and p_transformer is not None and p_baseline is not None:
                served = modeling.combine_by_language(
                    p_transformer, p_baseline,
                    baseline.probabilities(self._language, texts, LANGS),
                    [self.weights_by_language[lang] for lang in LANGS],
                )
            else:  # one component alone (combine returns whichever was computed)
                served = modeling.combine(p_transformer, p_baseline, self.weight)
        out = {"served": served}
        if p_transformer is not None:
            out["transformer"] = p_transformer
        if p_baseline is not None:
            out["baseline"] = p_baseline
        return out

    def urgency(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return baseline.urgency_probability(self._urgency, list(texts))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One Prediction per text, in order."""
        texts = [str(t) for t in texts]
        if not texts:
            return []
        served = self.probabilities(texts)["served"]
        p_urgent = self.urgency(texts)
        predictions = []
        for text, row, urgent_probability in zip(texts, served, p_urgent, strict=True):
            best = int(np.argmax(row))
            category = self.labels[best]
            kind = emergency.detect(text)
            predictions.append(
                Prediction(
                    category=category,
                    agency=default_agency(category),
                    confidence=float(min(1.0, max(0.0, row[best]))),
                    urgent=bool(urgent_probability >= self.urgent_threshold or kind is not None),
                    emergency=kind is not None,
                    emergency_kind=kind,
                    model_version=self.version,
                )
            )
        return predictions
