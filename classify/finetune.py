"""Fine-tuning a sequence classifier with a plain torch loop, fast enough for a 2-core CPU.

The bottom ``frozen_layers`` encoder layers (and the embeddings) stay frozen: their output is
computed once per text and cached, and every epoch runs forward and backward through the top
layers and the classification head only (about half the cost of full fine-tuning with 3 of 6
layers frozen, and no optimizer state for the 12M embedding parameters). Batches group texts of
similar length (dynamic padding). Works for BERT-like checkpoints (``base_model.embeddings`` and
``base_model.encoder.layer``); other architectures are fine-tuned whole.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from classify import modeling

if TYPE_CHECKING:
    from classify.train import TrainConfig  # lazy: typing only; classify.train imports us


def _passthrough() -> Any:
    """Stands in for the embeddings while training on cached hidden states."""
    import torch

    class Passthrough(torch.nn.Module):
        def forward(self, *args: Any, inputs_embeds: Any = None, **kwargs: Any) -> Any:
            return inputs_embeds

    return Passthrough()


def _batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length (sorted within pools of 50 batches)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def fine_tune(
    base: Path, texts: Sequence[str], label_ids: Sequence[int], labels: Sequence[str],
    config: TrainConfig,
) -> tuple[Any, Any, dict[str, Any]]:
    """The fine-tuned (model, tokenizer) and what was done."""
    import torch
    from tqdm.auto import tqdm
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
        set_seed,
    )

    set_seed(config.seed)
    with modeling.quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(
            str(base),
            local_files_only=True,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
            ignore_mismatched_sizes=True,
        )
    input_form = "folded" if modeling.strips_accents(tokenizer) else "normalized"
    inputs = modeling.model_input(texts, input_form)
    encoded: list[list[int]] = tokenizer(
        inputs, truncation=True, max_length=config.max_length
    )["input_ids"]
    lengths = [len(e) for e in encoded]
    pad = tokenizer.pad_token_id or 0
    y = torch.tensor(list(label_ids), dtype=torch.long)

    base_model = model.base_model
    layers = getattr(getattr(base_model, "encoder", None), "layer", None)
    frozen = 0
    if layers is not None and hasattr(base_model, "embeddings"):
        frozen = max(0, min(config.frozen_layers, len(layers) - 1))

    def padded(index: list[int]) -> tuple[Any, Any]:
        width = max(lengths[i] for i in index)
        ids = torch.full((len(index), width), pad, dtype=torch.long)
        mask = torch.zeros((len(index), width), dtype=torch.long)
        for row, i in enumerate(index):
            ids[row, : lengths[i]] = torch.tensor(encoded[i])
            mask[row, : lengths[i]] = 1
        return ids, mask

    started = time.perf_counter()
    cached: list[Any] = []
    if frozen:
        assert layers is not None  # frozen > 0 only when the encoder's layers were found
        # hidden states after the frozen layers, computed once (no dropout, no gradients)
        for parameter in base_model.embeddings.parameters():
            parameter.requires_grad_(False)
        for layer in layers[:frozen]:
            for parameter in layer.parameters():
                parameter.requires_grad_(False)
        base_model.encoder.layer = layers[:frozen]
        model.eval()
        cached = [None] * len(encoded)
        order = sorted(range(len(encoded)), key=lambda i: lengths[i])
        with torch.inference_mode():
            for start in tqdm(
                range(0, len(order), 64), desc="encoding (frozen layers)",
                disable=not config.progress, leave=False,
            ):
                chunk = order[start : start + 64]
                ids, mask = padded(chunk)
                hidden = base_model(input_ids=ids, attention_mask=mask).last_hidden_state
                for row, i in enumerate(chunk):
                    cached[i] = hidden[row, : lengths[i]].clone()
        base_model.encoder.layer = layers[frozen:]
        embeddings = base_model.embeddings
        base_model.embeddings = _passthrough()
    encode_seconds = time.perf_counter() - started

    steps_per_epoch = math.ceil(len(encoded) / config.batch_size)
    total = max(1, math.ceil(config.epochs * steps_per_epoch))
    if config.max_steps:
        total = min(total, config.max_steps)
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups: dict[tuple[bool, bool], list[Any]] = {}
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            head = not name.startswith(
                (f"{model.base_model_prefix}.encoder.", f"{model.base_model_prefix}.embeddings.")
            )
            groups.setdefault((head, name.endswith(no_decay)), []).append(parameter)
    # the new head (and pooler) learns faster than the pretrained layers
    optimizer = torch.optim.AdamW(
        [
            {
                "params": params,
                "lr": config.learning_rate * (config.head_lr_factor if head else 1.0),
                "weight_decay": 0.0 if exempt else config.weight_decay,
            }
            for (head, exempt), params in groups.items()
        ],
        lr=config.learning_rate,
    )
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(config.warmup_ratio * total), total
    )
    use_bf16 = modeling.bf16_supported() if config.bf16 is None else config.bf16

    def autocast() -> Any:
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16)

    rng = random.Random(config.seed)
    model.train()
    step = 0
    losses: list[float] = []
    started = time.perf_counter()
    bar = tqdm(total=total, desc="fine-tuning", disable=not config.progress)
    try:
        while step < total:
            for batch in _batches(lengths, config.batch_size, rng):
                if step >= total:
                    break
                if frozen:
                    width = max(lengths[i] for i in batch)
                    hidden = torch.zeros((len(batch), width, cached[batch[0]].shape[-1]))
                    mask = torch.zeros((len(batch), width), dtype=torch.long)
                    for row, i in enumerate(batch):
                        hidden[row, : lengths[i]] = cached[i]
                        mask[row, : lengths[i]] = 1
                    with autocast():
                        output = model(inputs_embeds=hidden, attention_mask=mask, labels=y[batch])
                else:
                    ids, mask = padded(batch)
                    with autocast():
                        output = model(input_ids=ids, attention_mask=mask, labels=y[batch])
                output.loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                losses.append(output.loss.detach().item())
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
    finally:
        bar.close()
        if frozen:
            base_model.embeddings = embeddings
            base_model.encoder.layer = layers
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(True)
    info = {
        "input_form": input_form,
        "max_length": config.max_length,
        "frozen_layers": frozen,
        "steps": step,
        "epochs": round(step / steps_per_epoch, 3),
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "head_lr_factor": config.head_lr_factor,
        "bf16_autocast": use_bf16,
        "final_loss": round(float(np.mean(losses[-20:])), 4) if losses else None,
        "encode_seconds": round(encode_seconds, 1),
        "train_seconds": round(time.perf_counter() - started, 1),
        "truncated_share": round(
            sum(1 for n in lengths if n >= config.max_length) / max(1, len(lengths)), 3
        ),
    }
    return model, tokenizer, info
