"""The learned emergency detector's veto: a report the rules place in the past, as a risk or as
recurring, with nothing urgent or present in it, raises no alarm below VETOED_THRESHOLD.

Stand-in pipelines (a fixed P(emergency) for every text) isolate the decision from training."""

from __future__ import annotations

from typing import Any

import numpy as np

from classify import emergency_model
from classify.emergency import context

PAST = "There was a fire in the workers' dormitory two weeks ago and nobody came to check."
RECURRING = "Tối nào cũng có khói đen từ xưởng bên cạnh bay vào nhà."
NOW = "A man is trapped under the fallen tree right now, please send help."
PAST_BUT_NOW = "Tuần trước đã báo rồi, bây giờ dây điện đứt rơi xuống nước, cứu với!"


class Confident:
    """P(emergency) 0.4: over the threshold, under the veto's."""

    classes_ = [False, True]

    def predict_proba(self, texts: list[str]) -> Any:
        return np.tile([0.6, 0.4], (len(texts), 1))

    def predict(self, texts: list[str]) -> list[str]:
        return ["rescue" for _ in texts]


class Sure(Confident):
    """P(emergency) at the veto's own threshold."""

    def predict_proba(self, texts: list[str]) -> Any:
        p = emergency_model.VETOED_THRESHOLD
        return np.tile([1 - p, p], (len(texts), 1))


def detector(*, veto: bool) -> emergency_model.Detector:
    return emergency_model.Detector(Confident(), Confident(), 0.3, veto=veto)


def test_an_alarm_is_vetoed_for_a_past_or_recurring_report() -> None:
    kinds = detector(veto=True).kinds([PAST, RECURRING, NOW, PAST_BUT_NOW])
    assert kinds == [None, None, "rescue", "rescue"]


def test_a_detector_saved_before_the_veto_keeps_its_decisions(tmp_path: Any) -> None:
    import joblib

    path = tmp_path / emergency_model.FILE
    joblib.dump({"pipeline": Confident(), "kinds": Confident(), "threshold": 0.3}, path)
    old = emergency_model.load(path)
    assert old.veto is False
    assert old.kinds([PAST, NOW]) == ["rescue", "rescue"]
    emergency_model.save(detector(veto=True), path)
    assert emergency_model.load(path).veto is True


def test_a_confident_alarm_is_never_vetoed() -> None:
    sure = emergency_model.Detector(Sure(), Sure(), 0.5)
    assert sure.kinds([PAST, RECURRING]) == ["rescue", "rescue"]


def test_the_rules_context_says_when_a_text_is_placed_elsewhere_in_time() -> None:
    assert context(PAST).vetoed and context(RECURRING).vetoed
    assert not context(NOW).vetoed and not context(PAST_BUT_NOW).vetoed


def test_the_threshold_command_keeps_every_out_of_fold_emergency_and_never_reads_the_holdout(
    monkeypatch: Any,
) -> None:
    """`hotline classify emergency-threshold`: cross-validated on the training files alone (the
    corpus' calm complaints left out here to keep it to seconds), the threshold is the highest
    (to 0.01) at which every out-of-fold emergency the rules miss is still flagged."""
    import json
    import math
    from pathlib import Path

    from typer.testing import CliRunner

    from classify import cli, corpus

    read: list[str] = []
    real = emergency_model.read_labelled

    def spy(path: Any, *args: Any, **kwargs: Any) -> Any:
        read.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(emergency_model, "read_labelled", spy)
    monkeypatch.setattr(corpus, "load_corpus", lambda *a, **k: [])
    result = CliRunner().invoke(cli.app, ["emergency-threshold", "--folds", "2"])
    assert result.exit_code == 0, result.output
    body, _, last = result.output.rpartition("\nthreshold ")
    report = json.loads(body)
    assert read and emergency_model.HOLDOUT_FILE.name not in read
    assert set(read) <= {p.name for p in emergency_model.TRAIN_FILES}
    threshold = report["threshold"]
    assert last.startswith(f"{threshold} (in use: {emergency_model.DEFAULT_THRESHOLD})")
    at = {row["threshold"]: row for row in report["at"]}
    assert report["left_by_the_rules"] > 0
    assert at[threshold]["missed"] == len(report["vetoed_emergencies"])  # none catchable missed
    lowest = report["lowest_emergency_scores"][0]  # rounded to 0.001
    assert threshold <= lowest + 0.0005 and threshold > lowest - 0.0105
    assert threshold == math.floor(threshold * 100 + 1e-9) / 100
