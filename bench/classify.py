"""Benchmark of the served classifier version: training time (from its meta.json), load time,
prediction latency (one text, a batch of 32: the whole ``predict``, with the embedding as the
tracker asks for it), throughput, model size, and beside them the raw PyTorch forward pass of
the same fine-tuned transformer on the same texts (tokenized beforehand, padded to the batch's
longest): what serving with torch cannot beat. The transformer runs in onnxruntime when the
version has an ONNX export (``--runtime torch`` to compare).

    .venv/bin/python bench/classify.py [--models-root DIR] [--version V] [--runs N]
        [--threads N] [--runtime onnx|torch] [--accuracy] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# Run as `python bench/classify.py`, Python puts bench/ first on sys.path, where this file
# would shadow the classify package (`from classify import registry` finds this script):
# drop bench/ and put the repository root first, whether or not PYTHONPATH names it.
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() not in (HERE, ROOT)]
sys.path.insert(0, str(ROOT))

SAMPLES = [
    "Đèn đường trước nhà số 12 hẻm 45 Lê Văn Sỹ tắt cả tuần nay, tối om rất nguy hiểm.",
    "den duong truoc nha so 12 hem 45 le van sy tat ca tuan nay",
    "ko co nuoc may 2 ngay roi, Q8",
    "Mặt đường Nguyễn Hữu Thọ có ổ gà lớn, xe máy té liên tục, đề nghị sửa gấp.",
    "The karaoke bar next door plays music until 2am every night.",
    "Garbage has not been collected on my street in Binh Thanh for a week.",
    "Trường thu thêm nhiều khoản phí không rõ ràng đầu năm học.",
    "Hồ sơ cấp sổ đỏ của tôi nộp từ tháng 3 đến giờ chưa có kết quả.",
]


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _timed(function: Any, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _raw_forward(
    predictor: Any, single: list[str], batch: list[str], runs: int
) -> tuple[list[float], list[float]]:
    """The transformer's forward pass alone on pre-tokenized input: what serving cannot beat."""
    import torch

    from classify import modeling

    model, tokenizer = modeling.load_transformer(predictor.path / modeling.TRANSFORMER_DIR)
    modeling.limit_threads(predictor.threads)
    info = predictor.meta.get("transformer") or {}
    max_length = int(info.get("max_length", 64))

    def encoded(texts: list[str]) -> Any:
        forms = modeling.model_input(texts, info.get("input_form", "normalized"))
        return tokenizer(forms, truncation=True, max_length=max_length, padding=True,
                         return_tensors="pt")

    one, many = encoded(single), encoded(batch)
    with torch.inference_mode():
        model(**one)
        single_times = _timed(lambda: model(**one), runs)
        batch_times = _timed(lambda: model(**many), max(3, runs // 4))
    return single_times, batch_times


def _dev_accuracy(predictor: Any, path: Path, threads: int | None) -> dict[str, Any]:
    """The served category's accuracy on the dev split, overall and per language, with the
    predictor's runtime and, for a version with a transformer, with torch."""
    from classify.evaluate import dev_examples
    from classify.predictor import Predictor

    examples = dev_examples()
    texts = [e.text for e in examples]
    predictors = {predictor.runtime: predictor}
    if predictor.has_transformer and predictor.runtime != "torch":
        predictors["torch"] = Predictor(path, threads=threads, runtime="torch")
    out: dict[str, Any] = {}
    for name, each in predictors.items():
        predicted = [p.category for p in each.predict(texts, embed=False)]
        right = [p == e.category for p, e in zip(predicted, examples, strict=True)]
        by_lang = {}
        for lang in sorted({e.lang for e in examples}):
            mine = [r for r, e in zip(right, examples, strict=True) if e.lang == lang]
            by_lang[lang] = round(sum(mine) / len(mine), 4)
        out[name] = {"accuracy": round(sum(right) / len(right), 4), "by_lang": by_lang}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-root", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=100, help="timed runs per measurement")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default 2)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--version", default=None, help="a version (default: the served one)")
    parser.add_argument("--runtime", choices=("onnx", "torch"), default=None,
                        help="the transformer's runtime (default: settings, onnx)")
    parser.add_argument("--no-embedding", action="store_true",
                        help="predict without the embedding (the tracker asks for it)")
    parser.add_argument("--accuracy", action="store_true",
                        help="also the dev accuracy of the served runtime and of torch "
                             "(speed must not cost accuracy; a minute or more)")
    args = parser.parse_args(argv)

    from classify import registry
    from classify.predictor import Predictor

    if args.models_root is None:
        from core.settings import get_settings

        args.models_root = Path(get_settings().models_root)
    try:
        path = (args.models_root / args.version if args.version
                else registry.active_path(args.models_root))
    except FileNotFoundError as error:
        print(f"error: {error}; run `hotline classify train` first", file=sys.stderr)
        return 1

    started = time.perf_counter()
    predictor = Predictor(path, threads=args.threads, runtime=args.runtime)
    load_seconds = time.perf_counter() - started
    embed = not args.no_embedding
    predictor.predict(SAMPLES[:2], embed=embed)  # warm-up

    single = _timed(lambda: predictor.predict([SAMPLES[0]], embed=embed), args.runs)
    batch = [SAMPLES[i % len(SAMPLES)] + f" ({i})" for i in range(32)]
    batched = _timed(lambda: predictor.predict(batch, embed=embed), max(3, args.runs // 4))
    if predictor.has_transformer:
        raw_single, raw_batched = _raw_forward(predictor, [SAMPLES[0]], batch, args.runs)
    else:
        raw_single, raw_batched = [float("nan")], [float("nan")]
    accuracy = _dev_accuracy(predictor, path, args.threads) if args.accuracy else None
    meta = predictor.meta
    sizes = {
        "total": _size(path),
        **{p.name: (_size(p) if p.is_dir() else p.stat().st_size) for p in path.iterdir()},
    }
    figures = {
        "model_version": predictor.version,
        "mode": predictor.mode,
        "runtime": predictor.runtime,
        "with_embedding": embed,
        "training_seconds": meta.get("training_seconds"),
        "training_timings": meta.get("timings"),
        "train_examples": meta.get("counts", {}).get("train"),
        "load_seconds": round(load_seconds, 3),
        "single_ms_median": round(1000 * statistics.median(single), 1),
        "single_ms_p90": round(1000 * _quantile(single, 0.90), 1),
        "single_ms_p99": round(1000 * _quantile(single, 0.99), 1),
        "batch32_ms_median": round(1000 * statistics.median(batched), 1),
        "throughput_per_second": round(32 / statistics.median(batched), 1),
        "raw_forward_single_ms_median": round(1000 * statistics.median(raw_single), 1),
        "raw_forward_single_ms_p99": round(1000 * _quantile(raw_single, 0.99), 1),
        "raw_forward_throughput_per_second": round(32 / statistics.median(raw_batched), 1),
        "size_bytes": sizes,
        "dev_accuracy": accuracy,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    mb = 1024 * 1024
    print(f"model            {figures['model_version']} (serving {figures['mode']}, "
          f"transformer in {figures['runtime']}"
          f"{', with the embedding' if embed else ''})")
    print(f"training         {figures['training_seconds']} s on {figures['train_examples']} "
          f"examples  {figures['training_timings']}")
    print(f"load             {figures['load_seconds']:.2f} s")
    print(f"predict 1 text   {figures['single_ms_median']} ms p50, "
          f"{figures['single_ms_p90']} ms p90, {figures['single_ms_p99']} ms p99  "
          f"(raw forward pass: {figures['raw_forward_single_ms_median']} ms p50, "
          f"{figures['raw_forward_single_ms_p99']} ms p99)")
    print(f"predict 32 texts {figures['batch32_ms_median']} ms median "
          f"({figures['throughput_per_second']} texts/s; raw forward pass: "
          f"{figures['raw_forward_throughput_per_second']} texts/s)")
    if accuracy is not None:
        for runtime, value in accuracy.items():
            langs = ", ".join(f"{lang} {v:.4f}" for lang, v in value["by_lang"].items())
            print(f"dev accuracy     {value['accuracy']:.4f} with {runtime} ({langs})")
    print(f"size             {sizes['total'] / mb:.1f} MB  (" + ", ".join(
        f"{name} {size / mb:.1f} MB" for name, size in sizes.items() if name != "total") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
