"""`hotline classify ...`: train, evaluate, predict, ensure a model exists, and the model
registry (versions, promote, rollback).

``register`` mounts ``app`` under `hotline classify`; tickets/cli.py sets
``corrections_provider`` (staff corrections from the database, added to the training data
with ``--with-corrections``). Also runnable alone: ``python -m classify``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from classify import emergency_model, registry
from classify.corpus import HOLDOUT_FILE, CorpusError, read_labelled_file
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


def _corrections(wanted: bool = True) -> list[dict[str, Any]]:
    if not wanted or corrections_provider is None:
        return []
    corrections = list(corrections_provider() or [])
    if corrections:
        typer.echo(f"adding {len(corrections)} staff correction(s) to the training data", err=True)
    return corrections


def _train(
    models_root: Path, corpus_dir: Path | None = None, *, with_corrections: bool = False,
    baseline_only: bool = False, **options: Any,
) -> Any:
    from classify import train as training  # lazy: scikit-learn, and torch to train

    config = training.TrainConfig(**{k: v for k, v in options.items() if v is not None})
    function = training.train_baseline if baseline_only else training.train
    try:
        return function(
            models_root=models_root, config=config,
            extra_examples=_corrections(with_corrections), corpus_dir=corpus_dir,
        )
    except (CorpusError, FileNotFoundError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error


def _summary(result: Any) -> str:
    meta = result.meta
    dev = meta["dev"]
    parts = [f"model {result.version} written to {result.path}"]
    for key in ("transformer", "baseline", "served"):
        if key not in dev:
            continue
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
    threads: Annotated[
        int | None,
        typer.Option(help="torch threads (default 2; 1 on a machine others keep busy, where "
                          "two threads wait on each other)"),
    ] = None,
    precision_target: Annotated[
        float | None,
        typer.Option(help="Dev precision the confidence threshold must reach (default 0.95)"),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars")] = True,
    corpus: Annotated[
        Path | None, typer.Option(help="Corpus directory of *.jsonl (default: the shipped one)")
    ] = None,
    with_corrections: Annotated[
        bool, typer.Option(help="Add the staff corrections stored in the database")
    ] = False,
    baseline_only: Annotated[
        bool, typer.Option(help="Only the fast TF-IDF models (seconds, no transformer)")
    ] = False,
    promote: Annotated[
        bool, typer.Option(help="Serve the new version if its dev figures do not drop")
    ] = False,
    onnx: Annotated[bool, typer.Option(help="Export the transformer for onnxruntime")] = True,
    emergency_detector: Annotated[
        bool, typer.Option(help="Train the learned emergency detector (beside the rules)")
    ] = True,
    int8: Annotated[
        bool, typer.Option(help="Serve the 8-bit ONNX model unless it costs dev accuracy")
    ] = True,
) -> None:
    """Train a new model version (transformer, baseline, ensemble, urgency, emergencies).

    The first version under MODELS_ROOT is served at once; a later one only once promoted
    (--promote here, or `hotline classify promote <version>` after `eval --compare`)."""

    root = _models_root(models_root)
    result = _train(
        root, corpus_dir=corpus, with_corrections=with_corrections,
        baseline_only=baseline_only, epochs=epochs, max_steps=max_steps,
        limit_per_category=limit_per_category, base_model_dir=base, seed=seed,
        max_length=max_length, learning_rate=learning_rate, frozen_layers=frozen_layers,
        batch_size=batch_size, threads=threads, precision_target=precision_target,
        progress=progress,
        onnx=None if onnx else False,
        emergency_detector=None if emergency_detector else False,
        int8=None if int8 else False,
    )
    typer.echo(_summary(result))
    _after_training(root, result.version, promote=promote)


def _after_training(root: Path, version: str, *, promote: bool) -> None:
    active = registry.pointer(root)
    if active is None:
        registry.activate(root, version, reason="first version")
        typer.echo(f"serving {version} (the first version)")
        return
    active_meta = _meta(root / active)
    problems = registry.promotion_problems(_meta(root / version), active_meta)
    problems += registry.emergency_problems(root / version, root / active)
    typer.echo(_comparison(active, active_meta, version, _meta(root / version)))
    if promote and not problems:
        registry.promote(root, version)
        typer.echo(f"serving {version} (was {active})")
    elif problems:
        typer.echo(f"not promoted: {'; '.join(problems)}", err=True)
    else:
        typer.echo(f"still serving {active}: `hotline classify promote {version}` to switch")


def _meta(path: Path) -> dict[str, Any]:
    from classify.predictor import read_meta  # lazy: scikit-learn

    return read_meta(path)


def _comparison(
    before: str, before_meta: dict[str, Any], after: str, after_meta: dict[str, Any]
) -> str:
    old, new = registry.dev_figures(before_meta), registry.dev_figures(after_meta)
    lines = [f"dev figures: active {before} -> new {after}"]
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        delta = f"{(b - a) * 100:+.1f} points" if a is not None and b is not None else ""
        lines.append(f"  {key:14} {_fmt(a):>7} -> {_fmt(b):>7}  {delta}")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def start_background_finetune(root: Path, *, baseline_first: bool = False) -> int | None:
    """Start `python -m classify improve` detached (it outlives this command); its pid.
    Its output goes to MODELS_ROOT/background-training.log."""
    import subprocess

    root.mkdir(parents=True, exist_ok=True)
    log_path = root / registry.BACKGROUND_LOG
    command = [sys.executable, "-m", "classify", "improve", "--models-root", str(root)]
    if baseline_first:
        command.append("--baseline-first")
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=str(Path(__file__).resolve().parent.parent),
        )
    return int(process.pid)


def _has_full_version(root: Path) -> bool:
    from classify.predictor import versions  # lazy: scikit-learn

    return any((path / "transformer").is_dir() for path in versions(root))


def _baseline_if_missing(root: Path) -> str:
    """The served version, after training and activating the baseline when there is none."""
    with registry.training_lock(root, name=registry.BASELINE_LOCK_FILE):
        active = registry.active_version(root)
        if active is None:
            result = _train(root, baseline_only=True)
            registry.activate(root, result.version, reason="first start: baseline")
            typer.echo(_summary(result))
            active = result.version
    return active


@app.command("ensure-model")
def ensure_model(
    models_root: ModelsRoot = None,
    background: Annotated[
        bool, typer.Option(help="Fine-tune the transformer in a background process")
    ] = True,
    wait: Annotated[
        bool, typer.Option(help="Wait for the baseline (--no-wait: it is trained in the "
                                "background too, and the server starts at once)")
    ] = True,
) -> None:
    """First start: train the fast baseline (seconds) and serve it; then fine-tune the
    transformer in a background process, which the servers switch to when it passes the dev
    checks. With a model already, only resume a missing fine-tuning."""
    root = _models_root(models_root)
    active = registry.active_version(root)
    if active is not None:
        typer.echo(f"model present: {active}")
    elif not wait:
        pid = start_background_finetune(root, baseline_first=True)
        typer.echo(f"no model under {root}: the baseline and then the transformer are trained "
                   f"in the background (pid {pid}, log {root / registry.BACKGROUND_LOG}); "
                   "a report filed meanwhile waits for the baseline")
        return
    else:
        typer.echo(f"no model under {root}: training the fast baseline first", err=True)
        active = _baseline_if_missing(root)
    if background and not _has_full_version(root):
        with registry.training_lock(root, wait=False) as free:
            busy = not free
        if busy:
            typer.echo("the transformer is being fine-tuned in the background already")
            return
        pid = start_background_finetune(root)
        typer.echo(f"fine-tuning the transformer in the background (pid {pid}, log "
                   f"{root / registry.BACKGROUND_LOG}); servers switch to it when it is ready")


@app.command("improve", hidden=True)
def improve_command(
    models_root: ModelsRoot = None,
    baseline_first: Annotated[
        bool, typer.Option(help="Train and serve the baseline first when there is no model")
    ] = False,
) -> None:
    """Fine-tune the transformer and serve it if it passes the dev checks (the background
    half of ensure-model). Does nothing while another training holds the lock."""
    root = _models_root(models_root)
    if baseline_first:
        _baseline_if_missing(root)
    with registry.training_lock(root, wait=False) as held:
        if not held:
            typer.echo("another training is running: nothing to do")
            return
        result = _train(root, progress=False)
        typer.echo(_summary(result))
        active = registry.pointer(root)
        if active is None:
            registry.activate(root, result.version, reason="background fine-tuning")
            typer.echo(f"serving {result.version}")
            return
        try:
            registry.promote(root, result.version, reason="background fine-tuning")
        except registry.RegistryError as error:
            typer.echo(f"not promoted: {error}", err=True)
            raise typer.Exit(1) from error
        typer.echo(f"serving {result.version} (was {active})")


@app.command("versions")
def versions_command(
    models_root: ModelsRoot = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """The trained versions, newest first; * marks the served one."""
    root = _models_root(models_root)
    rows = registry.describe(root)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo(f"no model version under {root}")
        return
    for row in rows:
        dev = row["dev"]
        langs = "  ".join(f"{k.split()[0]} {v:.3f}" for k, v in dev.items() if " " in k)
        typer.echo(
            f"{'*' if row['active'] else ' '} {row['version']:40} {row['kind']:8} "
            f"dev acc {_fmt(dev.get('accuracy'))}  macro-F1 {_fmt(dev.get('macro_f1'))}  "
            f"{langs}  corrections {row['corrections']}"
            + ("  onnx" if row["onnx"] else "")
        )


@app.command("promote")
def promote_command(
    version: Annotated[str, typer.Argument(help="The version to serve")],
    models_root: ModelsRoot = None,
    force: Annotated[
        bool, typer.Option(help="Serve it even if dev figures or emergency recall drop")
    ] = False,
) -> None:
    """Serve VERSION from now on (running servers and workers switch within seconds).
    Refused when its dev figures drop below the served version's, or its emergency recall on
    the unseen emergency set does, unless --force."""
    root = _models_root(models_root)
    try:
        previous = registry.promote(root, version, force=force)
    except registry.RegistryError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"serving {version} (was {previous})")


@app.command("rollback")
def rollback_command(models_root: ModelsRoot = None) -> None:
    """Serve again the version that was served before the current one."""
    root = _models_root(models_root)
    try:
        current = registry.active_version(root)
        version = registry.rollback(root)
    except registry.RegistryError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"serving {version} (was {current})")


def _load(models_root: Path | None, version: str | None = None) -> Any:
    from classify.predictor import Predictor, load_latest  # lazy: scikit-learn

    root = _models_root(models_root)
    try:
        if version is not None:
            if not (root / version / "meta.json").exists():
                raise FileNotFoundError(f"no complete model version {version!r} under {root}")
            return Predictor(root / version)
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
    version: Annotated[
        str | None, typer.Option(help="Evaluate this version (default: the served one)")
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(help="A candidate version: the served one and it side by side on dev "
                          "and the holdout (the effect of promoting it)"),
    ] = None,
) -> None:
    """Evaluate a model: served, transformer alone and baseline side by side."""
    from classify.evaluate import dev_examples, evaluate, format_report  # lazy: scikit-learn

    if compare is not None:
        _compare(models_root, version, compare, as_json=as_json)
        return
    predictor = _load(models_root, version)
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


def _compare(models_root: Path | None, version: str | None, candidate: str,
             *, as_json: bool) -> None:
    """Accuracy per language of the served (or --version) and the candidate on dev and the
    holdout: what promoting the candidate would change."""
    from classify.evaluate import dev_examples, evaluate  # lazy: scikit-learn

    before, after = _load(models_root, version), _load(models_root, candidate)
    sets = {"dev": dev_examples(), "holdout": read_labelled_file(HOLDOUT_FILE)}
    results: dict[str, dict[str, Any]] = {}
    for name, examples in sets.items():
        results[name] = {}
        for predictor in (before, after):
            served = evaluate(predictor, examples, source=name)["models"]["served"]
            results[name][predictor.version] = {
                "accuracy": served["accuracy"], "macro_f1": served["macro_f1"],
                **{f"{lang} accuracy": v["accuracy"]
                   for lang, v in served.get("by_lang", {}).items()},
            }
    if as_json:
        typer.echo(json.dumps(results, indent=2))
        return
    typer.echo(f"{before.version} (served) -> {after.version}")
    for name, by_version in results.items():
        old, new = by_version[before.version], by_version[after.version]
        typer.echo(f"{name}:")
        for key in old:
            a, b = old[key], new.get(key)
            delta = f"{(b - a) * 100:+.1f} points" if a is not None and b is not None else ""
            typer.echo(f"  {key:14} {_fmt(a):>7} -> {_fmt(b):>7}  {delta}")
    typer.echo("(dev of the candidate includes any corrected texts removed from dev)")


@app.command("emergency-eval")
def emergency_eval_command(
    data: Annotated[
        Path | None, typer.Option(help="JSON lines with text, emergency (default: the holdout)")
    ] = None,
    models_root: ModelsRoot = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Emergency recall and false alarms: the rules, the served version's learned detector,
    and both (as served), on classify/data/emergency_holdout.jsonl by default."""
    root = _models_root(models_root)
    detector = None
    try:
        path = registry.active_path(root) / emergency_model.FILE
        detector = emergency_model.load(path) if path.exists() else None
    except FileNotFoundError:
        pass
    examples = emergency_model.read_labelled(data or emergency_model.HOLDOUT_FILE)
    report = emergency_model.evaluate(detector, examples)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{report['n']} texts, {report['emergencies']} emergencies; detector "
               f"threshold {report['threshold']}")
    for key in ("rules", "detector", "combined"):
        figures = report[key]
        typer.echo(f"  {key:9} recall {figures['recall']:.3f} ({figures['caught']}), "
                   f"false alarms {figures['false_alarms']} "
                   f"({figures['false_alarm_rate']:.1%} of non-emergencies)")
    for text in report["missed"]:
        typer.echo(f"  missed: {text[:100]}")
    for text in report["false_alarm_texts"]:
        typer.echo(f"  false alarm: {text[:100]}")


@app.command("emergency-threshold")
def emergency_threshold_command(
    folds: Annotated[int, typer.Option(help="Cross-validation folds")] = 5,
) -> None:
    """The learned detector's threshold by cross-validation on its training data alone (the
    highest at which every out-of-fold emergency the rules miss is flagged); minutes of CPU.
    The emergency holdout is never read: it stays an unseen set."""
    from classify.corpus import load_corpus

    report = emergency_model.cross_validate(load_corpus(), folds=folds)
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    typer.echo(f"threshold {report['threshold']} (in use: {emergency_model.DEFAULT_THRESHOLD})")


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
