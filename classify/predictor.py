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

from classify import baseline, emergency, emergency_model, modeling, registry, runtime
from classify.corpus import LANGS, default_agency
from core.settings import get_settings

log = logging.getLogger(__name__)

VERSION_PATTERN = re.compile(r"^\d{8}T\d{6}Z(-[0-9a-z]+)+$")
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
    # the sentence embedding (for duplicate detection) and the model that made it
    embedding: tuple[float, ...] | None = None
    embedding_version: str | None = None

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
    """The served version under ``models_root`` (the one ``active`` names, else the newest
    complete one); FileNotFoundError without any."""
    with _load_lock:
        return Predictor(registry.active_path(models_root))


class Predictor:
    """One trained version: category, agency, confidence, urgency and emergency per text, and
    the sentence embedding.

    The components the serving mode needs are loaded at construction; ``probabilities`` may
    load the other one (for evaluation) on first use. The transformer runs in onnxruntime when
    the version has an ONNX export (and ``runtime`` is not "torch"), else in torch. ``predict``
    is safe to call from several threads (it serialises inference)."""

    def __init__(
        self, path: Path, *, threads: int | None = None, runtime: str | None = None
    ) -> None:
        self.path = Path(path)
        self.meta: dict[str, Any] = read_meta(self.path)
        self.version: str = self.path.name
        self.labels: list[str] = list(self.meta["labels"])
        serving = self.meta.get("serving") or {}
        self.weight = float(serving.get("transformer_weight", 0.0))
        self.mode: str = serving.get("mode") or modeling.mode_for(self.weight)
        self.threads = threads
        self.runtime_choice = runtime or _configured_runtime()
        self._lock = threading.RLock()
        self._baseline: Any = None
        self._transformer: Any = None
        self._base_embedder: Any = None
        self._urgency: Any = baseline.load(self.path / modeling.URGENCY_FILE)
        self.has_transformer = (self.path / modeling.TRANSFORMER_DIR / "config.json").exists()
        self._detector: Any = None
        if (self.path / emergency_model.FILE).exists():
            self._detector = emergency_model.load(self.path / emergency_model.FILE)
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
        self._needs_transformer = max(weights) > 0.0 and self.has_transformer
        self._needs_baseline = min(weights) < 1.0 or not self.has_transformer
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

    @property
    def runtime(self) -> str:
        """"onnxruntime" or "torch" for the transformer, "none" without one."""
        if not self.has_transformer:
            return "none"
        return str(self._load_transformer().name)

    @property
    def embedding_version(self) -> str:
        """Embeddings are comparable only between equal embedding versions."""
        if self.has_transformer:
            return f"{self.version}:mean-pool"
        return str(self._load_base_embedder().version) + ":mean-pool"

    def _load_baseline(self) -> Any:
        with self._lock:
            if self._baseline is None:
                self._baseline = baseline.load(self.path / modeling.BASELINE_FILE)
            return self._baseline

    def _load_transformer(self) -> Any:
        with self._lock:
            if self._transformer is None:
                if not self.has_transformer:
                    raise FileNotFoundError(f"{self.version} has no fine-tuned transformer")
                self._transformer = _load_runtime(self.path, self.runtime_choice, self.threads)
            return self._transformer

    def _load_base_embedder(self) -> Any:
        with self._lock:
            if self._base_embedder is None:
                self._base_embedder = runtime.BaseEmbedder(threads=self.threads)
            return self._base_embedder

    # ------------------------------------------------------------------ inference

    def _transformer_outputs(
        self, texts: Sequence[str], *, embed: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        info = self.meta.get("transformer") or {}
        return self._load_transformer().run(  # type: ignore[no-any-return]
            modeling.model_input(texts, info.get("input_form", "normalized")),
            max_length=int(info.get("max_length", 64)), batch_size=BATCH_SIZE, embed=embed,
        )

    def _baseline_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return baseline.probabilities(self._load_baseline(), texts, self.labels)

    def _outputs(
        self, texts: Sequence[str], *, components: bool = False, embed: bool = False
    ) -> dict[str, np.ndarray]:
        texts = [str(t) for t in texts]
        with self._lock:
            need_transformer = self.has_transformer and (components or self._needs_transformer
                                                         or embed)
            need_baseline = components or self._needs_baseline
            p_transformer, embeddings = (
                self._transformer_outputs(texts, embed=embed) if need_transformer
                else (None, None)
            )
            if embed and embeddings is None:
                embeddings = self._load_base_embedder().embed(texts)
            p_served_transformer = p_transformer if self._needs_transformer else None
            p_baseline = self._baseline_probabilities(texts) if need_baseline else None
            if (self.weights_by_language and p_served_transformer is not None
                    and p_baseline is not None):
                served = modeling.combine_by_language(
                    p_served_transformer, p_baseline,
                    baseline.probabilities(self._language, texts, LANGS),
                    [self.weights_by_language[lang] for lang in LANGS],
                )
            else:  # one component alone (combine returns whichever was computed)
                served = modeling.combine(p_served_transformer, p_baseline,
                                          self.weight if p_served_transformer is not None
                                          else 0.0)
        out = {"served": served}
        if p_transformer is not None:
            out["transformer"] = p_transformer
        if p_baseline is not None:
            out["baseline"] = p_baseline
        if embeddings is not None:
            out["embedding"] = embeddings
        return out

    def probabilities(
        self, texts: Sequence[str], *, components: bool = False
    ) -> dict[str, np.ndarray]:
        """{"served": ...} and, with ``components``, "transformer" (when the version has one)
        and "baseline" too."""
        return self._outputs(texts, components=components)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled, L2-normalised sentence embeddings, one row per text: from the served
        transformer's encoder, or the base checkpoint when the version has none."""
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        with self._lock:
            if self.has_transformer:
                embeddings = self._transformer_outputs(texts, embed=True)[1]
                assert embeddings is not None
                return embeddings
            return np.asarray(self._load_base_embedder().embed(texts))

    def urgency(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return baseline.urgency_probability(self._urgency, list(texts))

    def emergencies(self, texts: Sequence[str]) -> list[str | None]:
        """The emergency kind per text: the rules, else this version's learned detector."""
        kinds = [emergency.detect(text) for text in texts]
        if self._detector is not None:
            rest = [i for i, kind in enumerate(kinds) if kind is None and texts[i].strip()]
            if rest:
                with self._lock:
                    learned = self._detector.kinds([texts[i] for i in rest])
                for i, kind in zip(rest, learned, strict=True):
                    kinds[i] = kind
        return kinds

    def predict(self, texts: Sequence[str], *, embed: bool = False) -> list[Prediction]:
        """One Prediction per text, in order; with ``embed``, the embedding from the same
        forward pass as the category."""
        texts = [str(t) for t in texts]
        if not texts:
            return []
        outputs = self._outputs(texts, embed=embed)
        served = outputs["served"]
        vectors = outputs.get("embedding")
        embedding_version = self.embedding_version if vectors is not None else None
        p_urgent = self.urgency(texts)
        kinds = self.emergencies(texts)
        predictions = []
        for index, (row, urgent_probability, kind) in enumerate(
            zip(served, p_urgent, kinds, strict=True)
        ):
            best = int(np.argmax(row))
            category = self.labels[best]
            predictions.append(
                Prediction(
                    category=category,
                    agency=default_agency(category),
                    confidence=float(min(1.0, max(0.0, row[best]))),
                    urgent=bool(urgent_probability >= self.urgent_threshold or kind is not None),
                    emergency=kind is not None,
                    emergency_kind=kind,
                    model_version=self.version,
                    embedding=(tuple(float(v) for v in vectors[index])
                               if vectors is not None else None),
                    embedding_version=embedding_version,
                )
            )
        return predictions


def _configured_runtime() -> str:
    try:
        return str(get_settings().classifier_runtime)
    except Exception:  # settings unreadable (a bare script): the faster runtime
        return "onnx"


def _load_runtime(path: Path, choice: str, threads: int | None) -> Any:
    """onnxruntime on the version's export when there is one and it is wanted, else torch."""
    directory = path / modeling.TRANSFORMER_DIR
    served = ((read_meta(path).get("onnx") or {}).get("serve")) or modeling.ONNX_FILE
    onnx_path = directory / served
    if choice == "onnx" and onnx_path.exists():
        try:
            from transformers import AutoTokenizer  # lazy: transformers

            with modeling.quiet_transformers():
                tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
            return runtime.OnnxTransformer(onnx_path, tokenizer, threads=threads)
        except ImportError as error:
            log.warning("onnxruntime unavailable (%s): serving %s with torch", error, path.name)
    modeling.limit_threads(threads)
    model, tokenizer = modeling.load_transformer(directory)
    return runtime.TorchTransformer(model, tokenizer)
