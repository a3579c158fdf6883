"""Fixtures for the classifier tests: a small synthetic corpus and one tiny trained model.

The tiny model is trained once per session through the real CLI (`train --max-steps 3` on
4 examples per category, from the packaged MiniLM checkpoint), with a corrections provider that
adds one staff correction. It proves the pipeline, not accuracy.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from classify.corpus import strip_diacritics

# category id -> (Vietnamese phrase, English phrase)
PHRASES = {
    "roads": ("mặt đường có ổ gà rất sâu", "a deep pothole in the road"),
    "traffic": ("đèn tín hiệu giao thông bị hỏng", "the traffic light is broken"),
    "lighting": ("đèn đường không sáng cả tuần", "the street lamp has been out all week"),
    "drainage": ("mưa xong là ngập nước, cống bị nghẹt", "the street floods, the drain is clogged"),
    "waste": ("rác không ai thu gom, bốc mùi", "garbage has not been collected for days"),
    "pollution": ("karaoke hát ồn ào đến khuya", "loud karaoke noise late at night"),
    "water_supply": ("nhà tôi mất nước máy hai ngày", "no tap water at my house for two days"),
    "electricity": ("cúp điện liên tục không báo trước", "repeated power outages without notice"),
    "construction": ("nhà bên xây dựng không có giấy phép", "a house built without a permit"),
    "land": ("tranh chấp ranh giới đất với hàng xóm", "a land boundary dispute with a neighbour"),
    "public_order": ("quán lấn chiếm vỉa hè bày bàn ghế", "a shop occupies the whole sidewalk"),
    "security": ("có người tụ tập sử dụng ma túy", "people gather to use drugs at night"),
    "public_admin": ("hồ sơ hành chính bị trễ hẹn", "my application file at the ward is late"),
    "health": ("quán ăn mất vệ sinh an toàn thực phẩm", "an unhygienic food stall made us sick"),
    "education": ("trường thu thêm nhiều khoản phí", "the school charges extra fees"),
    "trees_parks": ("cây xanh nghiêng sắp đổ", "a leaning tree is about to fall"),
    "social_welfare": ("chưa nhận được trợ cấp người cao tuổi", "my pension has not been paid"),
    "consumer": ("cửa hàng bán hàng giả, nâng giá", "the shop sells fake goods and overcharges"),
    "other": ("tôi muốn góp ý chung cho thành phố", "a general suggestion for the city"),
}
PLACES = ["Lê Lợi", "Nguyễn Trãi", "Hai Bà Trưng", "Võ Văn Kiệt", "Cách Mạng Tháng Tám",
          "Điện Biên Phủ", "Phan Đăng Lưu", "Trường Chinh", "Lý Thường Kiệt", "Âu Cơ"]


def synthetic_records(per_category: int = 10) -> list[dict[str, Any]]:
    """Labelled records of every category: vi, vi without diacritics and en, several places."""
    records = []
    for category, (vi, en) in PHRASES.items():
        for i in range(per_category):
            place = PLACES[i % len(PLACES)]
            if i % 3 == 0:
                text, lang = f"{vi} ở đường {place}, số {i + 1}, đề nghị xử lý", "vi"
            elif i % 3 == 1:
                text = strip_diacritics(f"{vi} tại đường {place} số {i + 1}, mong giúp")
                lang = "vi"
            else:
                text = f"{en} on {strip_diacritics(place)} street no. {i + 1}, please help"
                lang = "en"
            records.append(
                {"text": text, "lang": lang, "category": category, "urgent": i % 4 == 0,
                 "style": "web"}
            )
    return records


def write_corpus(directory: Path, records: list[dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    by_category: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_category.setdefault(record["category"], []).append(record)
    for category, items in by_category.items():
        (directory / f"{category}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items), encoding="utf-8"
        )
    return directory


CORRECTION = {
    "text": "bãi xe tự phát chiếm hết lòng đường trước chợ, xin dẹp giúp",
    "lang": "vi",
    "category": "public_order",
    "source": "staff",
}


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"), synthetic_records())


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    """A model version trained by `classify train` in a few seconds: its directory."""
    from typer.testing import CliRunner

    from classify import cli

    root = tmp_path_factory.mktemp("models")
    calls: list[int] = []

    def provider() -> list[dict[str, Any]]:
        calls.append(1)
        return [CORRECTION]

    previous = cli.corrections_provider
    cli.corrections_provider = provider
    try:
        result = CliRunner().invoke(
            cli.app,
            ["train", "--limit-per-category", "4", "--max-steps", "3", "--batch-size", "8",
             "--max-length", "32", "--no-progress", "--corpus", str(corpus_dir),
             "--models-root", str(root), "--with-corrections",
             # 190 synthetic texts teach no detector: tests/classify/test_holdout.py trains
             # the real one on the corpus
             "--no-emergency-detector"],
        )
    finally:
        cli.corrections_provider = previous
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert calls == [1], "train did not ask the corrections provider"
    versions = [p for p in root.iterdir() if (p / "meta.json").exists()]
    assert len(versions) == 1, versions
    return versions[0]


@pytest.fixture(scope="session")
def tiny_predictor(tiny_model: Path) -> Any:
    from classify.predictor import Predictor

    return Predictor(tiny_model)


def link_copy(source: Path, target: Path) -> Path:
    """A cheap copy of a model version (hard links where the filesystem allows)."""

    def copy(src: str, dst: str) -> None:
        if Path(src).name == "meta.json":  # tests rewrite it: never share its inode
            shutil.copy2(src, dst)
            return
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=copy)
    return target


@pytest.fixture
def models_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "models"
    root.mkdir()
    yield root
