"""The model registry: the served version, promote with a dev gate, rollback, servers and
workers switching versions without a restart, and what happens without any model."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from classify import cli, registry
from classify.predictor import Predictor, load_latest
from tests.classify.conftest import link_copy

runner = CliRunner()


def as_version(tiny_model: Path, root: Path, name: str, accuracy: float | None = None) -> Path:
    """A copy of the tiny model under ``name``, with its dev accuracy (every language) set."""
    target = link_copy(tiny_model, root / name)
    meta_file = target / "meta.json"
    meta = json.loads(meta_file.read_text("utf-8"))
    meta["version"] = name
    if accuracy is not None:
        served = meta["dev"]["served"]
        served["accuracy"] = served["macro_f1"] = accuracy
        for figures in served["by_lang"].values():
            figures["accuracy"] = accuracy
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    return target


A, B, C = ("20260101T000000Z-aaaaaaaa", "20260102T000000Z-bbbbbbbb",
           "20260103T000000Z-cccccccc")


def test_the_active_file_names_the_served_version(tiny_model: Path, models_root: Path) -> None:
    as_version(tiny_model, models_root, A, 0.8)
    as_version(tiny_model, models_root, B, 0.9)
    assert registry.active_version(models_root) == B  # no pointer yet: the newest
    registry.activate(models_root, A, reason="test")
    assert (models_root / "active").read_text("utf-8").strip() == A
    assert registry.active_version(models_root) == A
    assert load_latest(models_root=models_root).version == A
    assert not list(models_root.glob(".active.*"))  # the temporary file was renamed
    with pytest.raises(registry.RegistryError):
        registry.activate(models_root, "20260109T000000Z-missing", reason="test")
    assert registry.active_version(models_root) == A


def test_promote_refuses_a_drop_in_dev_figures_unless_forced(
    tiny_model: Path, models_root: Path
) -> None:
    as_version(tiny_model, models_root, A, 0.90)
    as_version(tiny_model, models_root, B, 0.88)  # 2 points worse
    as_version(tiny_model, models_root, C, 0.898)  # within the 0.5-point tolerance
    registry.activate(models_root, A, reason="test")

    result = runner.invoke(cli.app, ["promote", B, "--models-root", str(models_root)])
    assert result.exit_code == 1 and "drops" in result.stderr and "--force" in result.stderr
    assert registry.active_version(models_root) == A

    result = runner.invoke(cli.app, ["promote", C, "--models-root", str(models_root)])
    assert result.exit_code == 0, result.output
    assert registry.active_version(models_root) == C

    result = runner.invoke(cli.app, ["promote", B, "--force", "--models-root", str(models_root)])
    assert result.exit_code == 0, result.output
    assert registry.active_version(models_root) == B
    assert registry.history(models_root)[-1]["reason"].endswith("(forced)")


def test_rollback_walks_back_the_activations(tiny_model: Path, models_root: Path) -> None:
    for name in (A, B, C):
        as_version(tiny_model, models_root, name, 0.9)
    result = runner.invoke(cli.app, ["rollback", "--models-root", str(models_root)])
    assert result.exit_code == 1 and "nothing to roll back" in result.stderr
    registry.activate(models_root, A, reason="test")
    registry.promote(models_root, B)
    registry.promote(models_root, C)
    result = runner.invoke(cli.app, ["rollback", "--models-root", str(models_root)])
    assert result.exit_code == 0, result.output
    assert registry.active_version(models_root) == B
    assert registry.rollback(models_root) == A
    with pytest.raises(registry.RegistryError):
        registry.rollback(models_root)


def test_versions_lists_every_version_and_marks_the_served_one(
    tiny_model: Path, models_root: Path
) -> None:
    as_version(tiny_model, models_root, A, 0.8)
    as_version(tiny_model, models_root, B, 0.9)
    registry.activate(models_root, A, reason="test")
    result = runner.invoke(cli.app, ["versions", "--models-root", str(models_root)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"  {B}") and lines[1].startswith(f"* {A}")
    rows = json.loads(runner.invoke(
        cli.app, ["versions", "--json", "--models-root", str(models_root)]).stdout)
    assert [(r["version"], r["active"]) for r in rows] == [(B, False), (A, True)]
    assert rows[1]["dev"]["accuracy"] == 0.8


def test_a_running_port_switches_versions_without_a_restart(
    tiny_model: Path, models_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings
    from tickets import classifier_port

    as_version(tiny_model, models_root, A, 0.9)
    as_version(tiny_model, models_root, B, 0.9)
    registry.activate(models_root, A, reason="test")
    monkeypatch.setenv("MODELS_ROOT", str(models_root))
    monkeypatch.setenv("MODEL_RECHECK_SECONDS", "0")
    get_settings.cache_clear()
    classifier_port.reset()
    classify = classifier_port.load_classifier()
    assert classify is not None
    first = classify("đèn tín hiệu giao thông bị hỏng")
    assert first is not None and first.model_version == A

    registry.promote(models_root, B)
    second = classify("đèn tín hiệu giao thông bị hỏng")  # the same callable, no reload call
    assert second is not None and second.model_version == B
    assert first.model_version == A  # what was classified keeps its version

    registry.rollback(models_root)
    third = classify("đèn tín hiệu giao thông bị hỏng")
    assert third is not None and third.model_version == A


def test_the_port_rechecks_at_most_every_recheck_interval(
    tiny_model: Path, models_root: Path
) -> None:
    from tickets.classifier_port import ServedModel

    as_version(tiny_model, models_root, A, 0.9)
    as_version(tiny_model, models_root, B, 0.9)
    registry.activate(models_root, A, reason="test")
    served = ServedModel(models_root, recheck_seconds=3600)
    assert served.current().version == A
    registry.promote(models_root, B)
    assert served.current().version == A  # within the interval: no look at the disk
    served._checked -= 7200
    assert served.current().version == B


def test_predictions_during_a_switch_all_succeed(tiny_model: Path, models_root: Path) -> None:
    from tickets.classifier_port import ServedModel

    as_version(tiny_model, models_root, A, 0.9)
    as_version(tiny_model, models_root, B, 0.9)
    registry.activate(models_root, A, reason="test")
    served = ServedModel(models_root, recheck_seconds=0)
    seen: list[str] = []
    errors: list[BaseException] = []
    stop = time.monotonic() + 5

    def work() -> None:
        try:
            while time.monotonic() < stop and len(seen) < 40:
                seen.append(served.current().predict(["ổ gà"])[0].model_version)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    registry.promote(models_root, B)
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert set(seen) <= {A, B} and served.current().version == B


# --------------------------------------------------------------------------- no model at all


def _port_with(monkeypatch: pytest.MonkeyPatch, root: Path, policy: str) -> Any:
    from core.settings import get_settings
    from tickets import classifier_port

    monkeypatch.setenv("MODELS_ROOT", str(root))
    monkeypatch.setenv("CLASSIFIER_WITHOUT_MODEL", policy)
    get_settings.cache_clear()
    classifier_port.reset()
    return classifier_port


def test_without_a_model_fail_means_an_error_not_silent_triage(
    models_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _port_with(monkeypatch, models_root, "fail")
    classify = port.load_classifier()
    assert classify is not None  # never None: reports are not sent to triage silently
    with pytest.raises(port.ModelUnavailable):
        classify("ổ gà")


def test_without_a_model_a_worker_trains_the_baseline_once(
    models_root: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classify import train as training

    port = _port_with(monkeypatch, models_root, "train")
    real = training.train_baseline
    calls: list[int] = []

    def small_baseline(**kwargs: Any) -> Any:
        calls.append(1)
        return real(corpus_dir=corpus_dir, **kwargs)

    monkeypatch.setattr(training, "train_baseline", small_baseline)
    classify = port.load_classifier()
    assert classify is not None
    first = classify("đèn đường không sáng cả tuần")
    assert first is not None and first.model_version.endswith("-baseline")
    assert registry.pointer(models_root) == first.model_version
    second = classify("rác không ai thu gom")
    assert second is not None and second.model_version == first.model_version
    assert calls == [1]


def test_without_a_model_triage_only_when_chosen(
    models_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _port_with(monkeypatch, models_root, "triage")
    assert port.load_classifier() is None


# --------------------------------------------------------------------------- first start


def test_ensure_model_serves_a_baseline_in_seconds_and_fine_tunes_in_the_background(
    models_root: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classify import train as training

    real = training.train_baseline
    monkeypatch.setattr(training, "train_baseline",
                        lambda **kwargs: real(**{**kwargs, "corpus_dir": corpus_dir}))
    monkeypatch.setattr(training, "train", lambda **kwargs: pytest.fail("trained a transformer"))
    started: list[Path] = []
    monkeypatch.setattr(cli, "start_background_finetune",
                        lambda root, **kwargs: started.append(root) or 1)

    began = time.perf_counter()
    result = runner.invoke(cli.app, ["ensure-model", "--models-root", str(models_root)])
    elapsed = time.perf_counter() - began
    assert result.exit_code == 0, result.output + repr(result.exception)
    active = registry.active_version(models_root)
    assert active is not None and active.endswith("-baseline")
    assert not (models_root / active / "transformer").exists()
    assert elapsed < 60, elapsed  # TF-IDF only: no torch, no transformer
    assert started == [models_root]
    predictor = Predictor(models_root / active)
    assert predictor.mode == "baseline" and predictor.runtime == "none"
    assert predictor.predict(["đèn đường không sáng"])[0].model_version == active

    # a second start: the model is there, the fine-tuning still missing, so it is resumed
    result = runner.invoke(cli.app, ["ensure-model", "--models-root", str(models_root)])
    assert result.exit_code == 0 and "model present" in result.stdout
    assert started == [models_root, models_root]


def test_the_background_fine_tuning_is_promoted_when_it_passes_the_dev_checks(
    tiny_model: Path, models_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classify import train as training

    as_version(tiny_model, models_root, A, 0.5)
    registry.activate(models_root, A, reason="test")

    def finished(**kwargs: Any) -> Any:
        path = as_version(tiny_model, models_root, B, 0.7)
        return training.TrainResult(version=B, path=path,
                                    meta=json.loads((path / "meta.json").read_text("utf-8")))

    monkeypatch.setattr(training, "train", finished)
    result = runner.invoke(cli.app, ["improve", "--models-root", str(models_root)])
    assert result.exit_code == 0, result.output
    assert registry.active_version(models_root) == B

    def worse(**kwargs: Any) -> Any:
        path = as_version(tiny_model, models_root, C, 0.4)
        return training.TrainResult(version=C, path=path,
                                    meta=json.loads((path / "meta.json").read_text("utf-8")))

    monkeypatch.setattr(training, "train", worse)
    result = runner.invoke(cli.app, ["improve", "--models-root", str(models_root)])
    assert result.exit_code == 1 and "not promoted" in result.stderr
    assert registry.active_version(models_root) == B


def test_make_run_starts_the_server_at_once_and_trains_everything_in_the_background(
    models_root: Path, corpus_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classify import train as training

    started: list[dict[str, Any]] = []
    monkeypatch.setattr(cli, "start_background_finetune",
                        lambda root, **kwargs: started.append({"root": root, **kwargs}) or 1)
    monkeypatch.setattr(training, "train_baseline", lambda **kwargs: pytest.fail("waited"))
    result = runner.invoke(cli.app, ["ensure-model", "--no-wait", "--models-root",
                                     str(models_root)])
    assert result.exit_code == 0, result.output
    assert started == [{"root": models_root, "baseline_first": True}]
    assert registry.active_version(models_root) is None

    # the background process: the baseline first (served at once), then the transformer
    real = training.TrainResult
    monkeypatch.setattr(training, "train_baseline", lambda **kwargs: real(
        version=A, path=as_version(tiny_model, models_root, A, 0.5), meta={
            "dev": {"served": {"accuracy": 0.5, "macro_f1": 0.5, "by_lang": {}}},
            "serving": {"mode": "baseline", "transformer_weight": 0.0},
            "threshold": 0.5, "training_seconds": 1}))
    served_during_training: list[str | None] = []

    def full(**kwargs: Any) -> Any:
        served_during_training.append(registry.active_version(models_root))
        path = as_version(tiny_model, models_root, B, 0.8)
        return real(version=B, path=path,
                    meta=json.loads((path / "meta.json").read_text("utf-8")))

    monkeypatch.setattr(training, "train", full)
    result = runner.invoke(cli.app, ["improve", "--baseline-first", "--models-root",
                                     str(models_root)])
    assert result.exit_code == 0, result.output
    assert served_during_training == [A]
    assert registry.active_version(models_root) == B
    assert [r["version"] for r in registry.history(models_root)] == [A, B]


class ConstantPipeline:
    """Stands for a trained pipeline: P(emergency) 0.5 for every text, the kind "rescue"."""

    classes_ = [False, True]

    def predict_proba(self, texts: list[str]) -> Any:
        import numpy as np

        return np.full((len(texts), 2), 0.5)

    def predict(self, texts: list[str]) -> list[str]:
        return ["rescue" for _ in texts]


def with_detector(version: Path, *, threshold: float) -> None:
    """A learned emergency detector in the version that flags every text (threshold under
    0.5) or none (above)."""
    from classify import emergency_model

    emergency_model.save(
        emergency_model.Detector(ConstantPipeline(), ConstantPipeline(), threshold),
        version / emergency_model.FILE,
    )


def test_promote_refuses_a_version_that_catches_fewer_emergencies(
    tiny_model: Path, models_root: Path
) -> None:
    from classify import emergency, emergency_model

    with_detector(as_version(tiny_model, models_root, A, 0.90), threshold=0.4)  # catches all
    with_detector(as_version(tiny_model, models_root, B, 0.95), threshold=0.6)  # rules alone
    with_detector(as_version(tiny_model, models_root, C, 0.90), threshold=0.3)
    registry.activate(models_root, A, reason="test")
    holdout = emergency_model.read_labelled(emergency_model.HOLDOUT_FILE)
    assert any(e.emergency and emergency.detect(e.text) is None for e in holdout)
    assert registry.emergency_recall(models_root / A) == 1.0

    result = runner.invoke(cli.app, ["promote", B, "--models-root", str(models_root)])
    assert result.exit_code == 1, result.output  # better on dev, but misses emergencies
    assert "emergency recall" in result.stderr and "--force" in result.stderr
    assert registry.active_version(models_root) == A
    with pytest.raises(registry.RegistryError, match="emergency recall"):
        registry.promote(models_root, B)

    registry.promote(models_root, C)  # the same recall: allowed
    assert registry.active_version(models_root) == C
    registry.promote(models_root, B, force=True)
    assert registry.active_version(models_root) == B
