"""The honest figures, on test sets written apart from the training data, with the version
that serves first (the TF-IDF baseline and the emergency detector, trained here on the real
corpus in well under a minute of CPU; the transformer is too slow to train in a test):

- classify/data/holdout.jsonl: category accuracy per language (2026-12-05: en 0.965, vi 1.000;
  the floors sit a little under);
- classify/data/emergency_holdout.jsonl: emergencies caught by the rules and the learned
  detector together (72 of 72; the rules alone 37) and the false alarms on its 62 hard
  negatives (10; 14 before the rules' veto and the burst-main negatives of issue 15) and on the
  228 ordinary complaints of the category holdout (15, several of them real hazards: a sparking
  power line, a gas smell)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from classify import emergency_model, registry
from classify.corpus import HOLDOUT_FILE, read_labelled_file
from classify.emergency import detect as rules_detect
from classify.evaluate import evaluate
from classify.predictor import Predictor

pytestmark = pytest.mark.slow

ACCURACY_FLOOR = {"en": 0.94, "vi": 0.97}
EMERGENCY_RECALL_FLOOR = 1.0
HARD_NEGATIVE_ALARMS_CEILING = 12  # of 62 (today 10)
ORDINARY_ALARM_RATE_CEILING = 0.10


@pytest.fixture(scope="session")
def corpus_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from classify import train

    root = tmp_path_factory.mktemp("corpus-baseline")
    result = train.train_baseline(models_root=root)
    return result.path


def test_the_baseline_trains_in_well_under_a_minute_of_cpu(corpus_baseline: Path) -> None:
    meta = json.loads((corpus_baseline / "meta.json").read_text("utf-8"))
    assert meta["kind"] == "baseline"
    # CPU time of this process (the detector's second process adds about as much, in parallel)
    assert meta["training_cpu_seconds"] < 45, meta["training_cpu_seconds"]


def test_holdout_accuracy_per_language_stays_above_its_floor(corpus_baseline: Path) -> None:
    report = evaluate(Predictor(corpus_baseline), read_labelled_file(HOLDOUT_FILE),
                      source="holdout")
    by_lang = report["models"]["served"]["by_lang"]
    for lang, floor in ACCURACY_FLOOR.items():
        assert by_lang[lang]["accuracy"] >= floor, (lang, by_lang[lang], report["confused"])


def test_no_emergency_of_the_emergency_holdout_is_missed(corpus_baseline: Path) -> None:
    detector = emergency_model.load(corpus_baseline / emergency_model.FILE)
    examples = emergency_model.read_labelled(emergency_model.HOLDOUT_FILE)
    assert len(examples) >= 120
    assert sum(e.emergency for e in examples) >= 60
    report = emergency_model.evaluate(detector, examples)
    assert report["combined"]["recall"] >= EMERGENCY_RECALL_FLOOR, report["missed"]
    assert report["combined"]["false_alarms"] <= HARD_NEGATIVE_ALARMS_CEILING, (
        report["false_alarm_texts"])
    # the rules were not tuned on this set and miss what has no fire/crime/medical words
    assert report["rules"]["recall"] < report["combined"]["recall"]


def test_ordinary_complaints_rarely_raise_the_alarm(corpus_baseline: Path) -> None:
    detector = emergency_model.load(corpus_baseline / emergency_model.FILE)
    texts = [e.text for e in read_labelled_file(HOLDOUT_FILE)]
    flagged = [t for t, kind in zip(texts, detector.kinds(texts), strict=True)
               if kind is not None or rules_detect(t) is not None]
    assert len(flagged) / len(texts) <= ORDINARY_ALARM_RATE_CEILING, flagged


@pytest.mark.parametrize("text", [
    # what the rules miss (the two misses that started issue 15, and their kin)
    "sap gian giao o cong trinh, may cong nhan bi de ben duoi, cuu voi",
    "uh hello, a tree fell on a man on my street, he's stuck under it, please hurry",
    "Mùi gas nồng nặc trong chung cư, bình gas bị xì, người già còn trong nhà",
    "dây điện đứt rơi xuống đường đang tóe lửa, người đi qua lại",
])
def test_the_served_detector_answers_at_intake(
    text: str, corpus_baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings
    from intake import emergency as intake_emergency
    from tests.classify.conftest import link_copy

    root = tmp_path / "models"
    root.mkdir()
    assert rules_detect(text) is None
    monkeypatch.setenv("MODELS_ROOT", str(root))
    monkeypatch.setenv("MODEL_RECHECK_SECONDS", "0")
    get_settings.cache_clear()
    emergency_model.reset()
    assert intake_emergency.detect(text) is None  # no model yet: the rules alone
    link_copy(corpus_baseline, root / corpus_baseline.name)
    registry.activate(root, corpus_baseline.name, reason="test")
    assert intake_emergency.detect(text) is not None  # the served version's detector
    started = time.process_time()
    for _ in range(20):
        intake_emergency.detect(text)
    assert (time.process_time() - started) / 20 < 0.05  # cheap enough for every report


def test_a_detector_alarm_is_marked_on_the_prediction(corpus_baseline: Path) -> None:
    predictor = Predictor(corpus_baseline)
    text = "xe container lat de len xe taxi, tai xe ket ben trong, mau chay nhieu"
    prediction = predictor.predict([text])[0]
    assert prediction.emergency and prediction.urgent
    assert prediction.emergency_kind in emergency_model.KINDS
    calm: Any = predictor.predict(["đèn đường hẻm 12 không sáng cả tuần nay"])[0]
    assert not calm.emergency
