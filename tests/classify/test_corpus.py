"""The corpus: validation, normalisation, the fixed train/dev split, the data hash."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from classify import corpus
from classify.corpus import CorpusError, Example
from classify.train import prepare_data
from tests.classify.conftest import CORRECTION, synthetic_records, write_corpus


def test_normalize_and_fold() -> None:
    assert corpus.normalize("  Đèn   ĐƯỜNG\thư \n") == "đèn đường hư"
    # NFD input (decomposed marks) normalises to the same NFC text
    assert corpus.normalize("đe\u0300n") == "đèn"
    assert corpus.strip_diacritics("Đèn đường hư, không có nước") == "Den duong hu, khong co nuoc"
    assert corpus.fold("Đèn ĐƯỜNG hư") == corpus.fold("den duong hu") == "den duong hu"
    assert corpus.has_diacritics("cháy") and not corpus.has_diacritics("chay")


def test_validation_lists_every_bad_line(tmp_path: Path) -> None:
    good = {"text": "ổ gà", "lang": "vi", "category": "roads", "urgent": False, "style": "sms"}
    lines = [
        json.dumps(good, ensure_ascii=False),
        json.dumps({**good, "category": "potholes"}),
        json.dumps({**good, "lang": "fr"}),
        "{not json",
        json.dumps({**good, "text": "  "}),
    ]
    (tmp_path / "roads.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError) as raised:
        corpus.load_corpus(tmp_path)
    problems = raised.value.problems
    assert len(problems) == 4
    assert any("roads.jsonl:2" in p and "potholes" in p for p in problems)
    assert any("roads.jsonl:3" in p and "lang" in p for p in problems)
    assert any("roads.jsonl:4" in p and "JSON" in p for p in problems)


def test_missing_corpus_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        corpus.load_corpus(tmp_path)


def test_shipped_corpus_is_valid() -> None:
    examples = corpus.load_corpus()
    known = set(corpus.category_ids())
    assert examples
    assert {e.category for e in examples} <= known
    assert {e.lang for e in examples} <= {"vi", "en"}


def test_the_holdout_set_is_valid_balanced_and_never_in_the_corpus() -> None:
    holdout = corpus.read_labelled_file(corpus.HOLDOUT_FILE)
    assert {e.category for e in holdout} == set(corpus.category_ids())
    assert {e.lang for e in holdout} == {"vi", "en"}
    trained_on = {corpus.fold(e.text) for e in corpus.load_corpus()}
    assert not [e.text for e in holdout if corpus.fold(e.text) in trained_on]


def _keys(examples: list[Example]) -> set[str]:
    return {e.key() for e in examples}


def test_split_is_fixed_and_disjoint() -> None:
    examples = corpus.load_corpus()
    train, dev = corpus.split(examples)
    shuffled = list(examples)
    random.Random(7).shuffle(shuffled)
    train2, dev2 = corpus.split(shuffled)
    assert _keys(dev) == _keys(dev2) and _keys(train) == _keys(train2)
    assert not _keys(train) & _keys(dev)
    assert len(train) + len(dev) == len(examples)
    assert 0.12 < len(dev) / len(examples) < 0.28
    sizes = corpus.counts(examples)["category"]
    categories = {c for c, n in sizes.items() if n >= 2}
    assert {e.category for e in dev} >= categories, "every category needs dev examples"


def test_split_does_not_move_examples_when_data_grows() -> None:
    examples = [Example(f"ổ gà trước nhà số {i} đường Lê Lợi", "vi", "roads") for i in range(400)]
    train_small, dev_small = corpus.split(examples[:200])
    train_all, dev_all = corpus.split(examples)
    first = _keys(examples[:200])
    assert _keys(dev_all) & first == _keys(dev_small)
    assert _keys(train_all) & first == _keys(train_small)


def test_text_with_and_without_diacritics_is_on_the_same_side() -> None:
    texts = [f"đèn đường số {i} ở phường Bến Nghé không sáng" for i in range(200)]
    for text in texts:
        assert corpus._bucket(text) == corpus._bucket(corpus.strip_diacritics(text).upper())
    # and the hash really splits (~20 % dev)
    share = sum(corpus._bucket(t) < corpus.DEV_PERCENT for t in texts) / len(texts)
    assert 0.1 < share < 0.3


def test_every_category_gets_a_dev_example() -> None:
    texts = [t for t in (f"ổ gà số {i}" for i in range(100))
             if corpus._bucket(t) >= corpus.DEV_PERCENT][:3]  # the hash puts none in dev
    examples = [Example(t, "vi", "roads") for t in texts] + [Example("một mình", "vi", "land")]
    train, dev = corpus.split(examples)
    assert [e.category for e in dev] == ["roads"]  # topped up; one example stays in train
    assert len(train) == 3 and {e.category for e in train} == {"roads", "land"}


def test_limit_per_category_is_deterministic() -> None:
    records = synthetic_records(10)
    examples = [Example(r["text"], r["lang"], r["category"]) for r in records]
    limited = corpus.limit_per_category(examples, 3)
    again = corpus.limit_per_category(list(reversed(examples)), 3)
    assert _keys(limited) == _keys(again)
    assert max(corpus.counts(limited)["category"].values()) == 3


def test_data_hash_is_order_free_and_content_sensitive() -> None:
    a = Example("ổ gà", "vi", "roads", False)
    b = Example("no water", "en", "water_supply", True)
    assert corpus.data_hash([a, b]) == corpus.data_hash([b, a])
    assert corpus.data_hash([a, b]) != corpus.data_hash([a, Example("no water", "en", "other")])


def test_corrections_join_training_data_and_change_the_hash(tmp_path: Path) -> None:
    directory = write_corpus(tmp_path / "corpus", synthetic_records(10))
    plain = prepare_data(directory, None, None)
    corrected = prepare_data(
        directory,
        [CORRECTION, {"text": "x", "lang": "vi", "category": "no_such_category"}],
        None,
    )
    texts = {e.text for e in corrected["train"]}
    assert CORRECTION["text"] in texts
    assert CORRECTION["text"] not in {e.text for e in plain["train"]}
    assert corrected["data_hash"] != plain["data_hash"]
    assert corrected["extra_used"] == 1 and corrected["extra_skipped"] == 1
    assert len(corrected["train"]) == len(plain["train"]) + 1
    assert corrected["dev"] == plain["dev"]


def test_augmentation_adds_folded_vietnamese_copies() -> None:
    examples = [
        Example("đèn đường hư", "vi", "lighting"),
        Example("no water", "en", "water_supply"),
        Example("den duong hu", "vi", "lighting"),
    ]
    augmented = corpus.augment_without_diacritics(examples)
    assert [e.text for e in augmented[3:]] == ["den duong hu"]
    assert augmented[3].category == "lighting"
