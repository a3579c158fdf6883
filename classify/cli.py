"""`hotline classify ...`: train, evaluate, predict, ensure a model exists.

``register`` mounts ``app`` under `hotline classify`; tickets/cli.py sets
``corrections_provider`` (staff corrections from the database, added to the training data).
Also runnable alone: ``python -m classify``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from classify.corpus import CorpusError, read_labelled_file
from classify.emergency import explain
from core.settings import get_settings

app = typer.Typer(
    help="Train, evaluate and run the complaint classifier.",
    no_args_is_help=True,
    add_completion=False,
)

# Set by tickets/cli.py: returns staff corrections (dicts with text, lang, category).
corrections_provider: Callable[[], list[dict[str, Any]]] | None = None

ModelsRoot = Annotated[
    Path | None,
    typer.Option("--models-root", help="Model versions directory (default: settings)"),
]
PREDICT_FIELDS = ("category", "agency", "confidence", "urgent", "emergency", "emergency_kind",
                  "model_version")


def _models_root(value: Path | None) -> Path:
    if value is not None:
        return value

    return Path(get_settings().models_root)


def _corrections() -> list[dict[str, Any]]:
    if corrections_provider is None:
        return []
    corrections = list(corrections_provider() or [])
    if corrections:
        typer.echo(f"adding {len(corrections)} staff correction(s) to the training data", err=True)
    return corrections


def _train(models_root: Path, corpus_dir: Path | None = None, **options: Any) -> Any:
    from classify import train as training  # lazy: scikit-learn, and torch to train

    config = training.TrainConfig(**{k: v for k, v in options.items() if v is not None})
    try:
        return training.train(
            models_root=models_root, config=config, extra_examples=_corrections(),
            corpus_dir=corpus_dir,
        )
    except (CorpusError, FileNotFoundError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error


def _summary(result: Any) -> str:
    meta = result.meta
    dev = meta["dev"]
    parts = [f"model {result.version} written to {result.path}"]
    for key in ("transformer", "baseline", "served"):
        figures = dev[key]
        langs = ", ".join(
            f"{lang} {v['accuracy']:.3f}" for lang, v in figures.get("by_lang", {}).items()
            if v["accuracy"] is not None
        )
        if figures["accuracy"] is not None:
            parts.append(
                f"  dev {key:11} accuracy {figures['accuracy']:.3f}  macro-F1 "
                f"{figures['macro_f1']:.3f}  ({langs})"
            )
    serving = meta["serving"]
    weights = serving.get("transformer_weight_by_language") or {
        "all": serving["transformer_weight"]
    }
    shares = ", ".join(f"{lang} {w}" for lang, w in weights.items())
    parts.append(
        f"  serving {serving['mode']} (transformer weight {shares}), "
        f"threshold {meta['threshold']:.3f}, trained in {meta['training_seconds']:.0f} s"
    )
    return "\n".join(parts)


@app.command("train")
def train_command(
    epochs: Annotated[float | None, typer.Option(help="Transformer epochs")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Stop after this many steps")] = None,
    limit_per_category: Annotated[
        int | None, typer.Option(help="At most N train (and N dev) examples per category")
    ] = None,
    base: Annotated[
        Path | None, typer.Option(help="Base checkpoint dir (default: settings, then MiniLM)")
    ] = None,
    models_root: ModelsRoot = None,
    seed: Annotated[int, typer.Option(help="Random seed")] = 42,
    max_length: Annotated[int | None, typer.Option(help="Tokens per text")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Peak learning rate")] = None,
    frozen_layers: Annotated[
        int | None, typer.Option(help="Bottom encoder layers kept frozen (cached)")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size")] = None,
    precision_target: Annotated[
        float | None,
        typer.Option(help="Dev precision the confidence threshold must reach (default 0.95)"),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars")] = True,
    corpus: Annotated[
        Path | None, typer.Option(help="Corpus directory of *.jsonl (default: the shipped one)")
    ] = None,
) -> None:
    """Train a new model version (transformer, baseline, ensemble, urgency)."""
    result = _train(
        _models_root(models_root), corpus_dir=corpus, epochs=epochs, max_steps=max_steps,
        limit_per_category=limit_per_category, base_model_dir=base, seed=seed,
        max_length=max_length, learning_rate=learning_rate, frozen_layers=frozen_layers,
        batch_size=batch_size, precision_target=precision_target, progress=progress,
    )
    typer.echo(_summary(result))


@app.command("ensure-model")
def ensure_model(models_root: ModelsRoot = None) -> None:
    """Train a model only when none exists yet (first start)."""
    from classify.predictor import versions  # lazy: scikit-learn

    root = _models_root(models_root)
    found = versions(root)
    if found:
        typer.echo(f"model present: {found[0].name}")
        return
    typer.echo(f"no model under {root}: training one (a few minutes on a laptop)", err=True)
    typer.echo(_summary(_train(root)))


def _load(models_root: Path | None) -> Any:
    from classify.predictor import load_latest  # lazy: scikit-learn

    root = _models_root(models_root)
    try:
        return load_latest(models_root=root)
    except FileNotFoundError as error:
        typer.echo(f"error: {error}; run `hotline classify train` first", err=True)
        raise typer.Exit(1) from error


@app.command("eval")
def eval_command(
    data: Annotated[
        Path | None,
        typer.Option(help="JSON lines with text, lang, category, optional urgent (default: dev)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    models_root: ModelsRoot = None,
) -> None:
    """Evaluate the latest model: served, transformer alone and baseline side by side."""
    from classify.evaluate import dev_examples, evaluate, format_report  # lazy: scikit-learn

    predictor = _load(models_root)
    try:
        examples = read_labelled_file(data) if data is not None else dev_examples()
    except (CorpusError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    report = evaluate(predictor, examples, source=str(data) if data else "dev split")
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_report(report))


def _read_requests(stream: TextIO, errors: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            errors.append({"line": number, "error": f"invalid JSON: {error.msg}"})
            continue
        if not isinstance(record, dict):
            errors.append({"line": number, "error": "expected a JSON object"})
            continue
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            errors.append({"line": number, "error": "'text' must be a non-empty string"})
            continue
        yield {"line": number, "text": text, "id": record.get("id")}


@app.command("predict")
def predict_command(
    models_root: ModelsRoot = None,
    batch_size: Annotated[int, typer.Option(help="Texts per batch")] = 32,
) -> None:
    """Read JSON lines with a "text" key on stdin; write one JSON line per input."""
    predictor = _load(models_root)
    errors: list[dict[str, Any]] = []
    reported = 0

    def flush(batch: list[dict[str, Any]]) -> None:
        nonlocal reported
        for error in errors[reported:]:
            typer.echo(json.dumps(error, ensure_ascii=False), err=True)
        reported = len(errors)
        if not batch:
            return
        for request, prediction in zip(
            batch, predictor.predict([r["text"] for r in batch]), strict=True
        ):
            out = {key: getattr(prediction, key) for key in PREDICT_FIELDS}
            out["confidence"] = round(out["confidence"], 4)
            if request["id"] is not None:
                out = {"id": request["id"], **out}
            typer.echo(json.dumps(out, ensure_ascii=False))

    batch: list[dict[str, Any]] = []
    for request in _read_requests(sys.stdin, errors):
        batch.append(request)
        if len(batch) >= batch_size:
            flush(batch)
            batch = []
    flush(batch)
    if errors:
        raise typer.Exit(2)


@app.command("emergency")
def emergency_command(text: Annotated[str, typer.Argument(help="A report text")]) -> None:
    """What the emergency rules make of a text (fire, crime, medical or none)."""
    typer.echo(json.dumps(explain(text), ensure_ascii=False, indent=2))


def register(hotline: typer.Typer) -> None:
    hotline.add_typer(app, name="classify", help="Train, evaluate and run the model.")


def main() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app(prog_name="python -m classify")


if __name__ == "__main__":
    main()
