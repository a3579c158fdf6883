"""The `classify` commands through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from classify import cli
from classify.corpus import category_ids
from tests.classify.conftest import link_copy, synthetic_records

runner = CliRunner()


@pytest.fixture
def served_root(tiny_model: Path, models_root: Path) -> Path:
    link_copy(tiny_model, models_root / tiny_model.name)
    return models_root


def test_predict_writes_one_line_per_input_and_reports_bad_lines(
    served_root: Path, tiny_model: Path
) -> None:
    stdin = "\n".join([
        json.dumps({"text": "đèn đường không sáng", "id": 7}, ensure_ascii=False),
        "{this is not json",
        json.dumps({"txt": "no text key"}),
        "",
        json.dumps({"text": "There's a fire in the karaoke bar right now"}),
        json.dumps(["not", "an", "object"]),
    ]) + "\n"
    result = runner.invoke(cli.app, ["predict", "--models-root", str(served_root)], input=stdin)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 2
    for row in out:
        assert {"category", "agency", "confidence", "urgent", "emergency",
                "model_version"} <= set(row)
        assert row["category"] in category_ids()
        assert 0.0 <= row["confidence"] <= 1.0
        assert row["model_version"] == tiny_model.name
    assert out[0]["id"] == 7
    assert out[1]["emergency"] is True
    errors = [json.loads(line) for line in result.stderr.splitlines()]
    assert [e["line"] for e in errors] == [2, 3, 6]
    assert all(e["error"] for e in errors)


def test_predict_all_good_exits_zero(served_root: Path) -> None:
    result = runner.invoke(cli.app, ["predict", "--models-root", str(served_root)],
                           input='{"text": "ổ gà"}\n{"text": "no water"}\n')
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2


def test_predict_without_model_fails_cleanly(models_root: Path) -> None:
    result = runner.invoke(cli.app, ["predict", "--models-root", str(models_root)],
                           input='{"text": "ổ gà"}\n')
    assert result.exit_code == 1
    assert "no complete model" in result.stderr


def test_eval_json_structure(served_root: Path, tmp_path: Path, tiny_model: Path) -> None:
    data = tmp_path / "eval.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                            for r in synthetic_records(3)), encoding="utf-8")
    result = runner.invoke(
        cli.app, ["eval", "--data", str(data), "--json", "--models-root", str(served_root)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["model_version"] == tiny_model.name
    assert report["n"] == 3 * len(category_ids())
    assert set(report["models"]) == {"served", "transformer", "baseline"}
    for figures in report["models"].values():
        assert 0.0 <= figures["accuracy"] <= 1.0 and 0.0 <= figures["macro_f1"] <= 1.0
        assert set(figures["by_lang"]) == {"vi", "en"}
    assert set(report["per_category"]) >= set(category_ids())
    assert {"precision", "recall", "f1", "support"} <= set(report["per_category"]["roads"])
    assert 0.0 <= report["urgency"]["recall"] <= 1.0
    assert isinstance(report["confused"], list)
    assert {"threshold", "coverage", "precision"} <= set(report["auto_routed"])
    assert set(report["vi_without_diacritics"]) == {"served", "transformer", "baseline"}

    table = runner.invoke(cli.app, ["eval", "--data", str(data), "--models-root",
                                    str(served_root)])
    assert table.exit_code == 0 and "macro-F1" in table.stdout and "roads" in table.stdout


def test_eval_rejects_an_invalid_file(served_root: Path, tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "x", "lang": "de", "category": "roads"}\n', encoding="utf-8")
    result = runner.invoke(cli.app, ["eval", "--data", str(data), "--models-root",
                                     str(served_root)])
    assert result.exit_code == 2
    assert "lang" in result.stderr


def test_ensure_model_trains_only_without_a_model(
    served_root: Path, models_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classify import train as training

    calls: list[dict[str, Any]] = []

    def fake_train(**kwargs: Any) -> Any:
        calls.append(kwargs)
        raise RuntimeError("must not train")

    monkeypatch.setattr(training, "train", fake_train)
    monkeypatch.setattr(training, "train_baseline", fake_train)
    result = runner.invoke(cli.app, ["ensure-model", "--no-background", "--models-root",
                                     str(served_root)])
    assert result.exit_code == 0 and "model present" in result.stdout
    assert calls == []

    empty = tmp_path / "empty"
    result = runner.invoke(cli.app, ["ensure-model", "--no-background", "--models-root",
                                     str(empty)])
    assert len(calls) == 1 and calls[0]["models_root"] == empty


def test_train_adds_corrections_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classify import train as training

    seen: list[dict[str, Any]] = []

    class Stop(Exception):
        pass

    def fake_train(**kwargs: Any) -> Any:
        seen.append(kwargs)
        raise Stop

    monkeypatch.setattr(training, "train", fake_train)
    correction = {"text": "cột điện nghiêng", "lang": "vi", "category": "electricity"}
    monkeypatch.setattr(cli, "corrections_provider", lambda: [correction])
    result = runner.invoke(cli.app, ["train", "--models-root", str(tmp_path), "--epochs", "2",
                                     "--seed", "5", "--base", str(tmp_path),
                                     "--with-corrections"])
    assert isinstance(result.exception, Stop)
    assert seen[0]["extra_examples"] == [correction]
    assert seen[0]["config"].epochs == 2 and seen[0]["config"].seed == 5
    assert seen[0]["config"].base_model_dir == tmp_path

    result = runner.invoke(cli.app, ["train", "--models-root", str(tmp_path)])
    assert isinstance(result.exception, Stop)
    assert seen[1]["extra_examples"] == []


def test_train_takes_the_number_of_torch_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classify import train as training

    seen: list[Any] = []

    class Stop(Exception):
        pass

    def fake_train(**kwargs: Any) -> Any:
        seen.append(kwargs["config"])
        raise Stop

    monkeypatch.setattr(training, "train", fake_train)
    for extra in (["--threads", "1"], []):
        result = runner.invoke(cli.app, ["train", "--models-root", str(tmp_path), *extra])
        assert isinstance(result.exception, Stop)
    assert [config.threads for config in seen] == [1, training.TrainConfig().threads]
