"""`hotline places read` and `hotline places eval`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from places import cli


def app() -> typer.Typer:
    root = typer.Typer()
    cli.register(root)

    @root.command()
    def noop() -> None:  # a second command, so that "places" is a sub-command
        pass

    return root


def test_read_answers_one_json_line_per_text_and_a_bad_line_says_so() -> None:
    lines = [
        json.dumps({"text": "Đèn đường hư trước hẻm 45 Lê Văn Sỹ, phường 13, Phú Nhuận"}),
        "not json",
        json.dumps({"text": "Karaoke ồn ào cả đêm"}),
    ]
    result = CliRunner().invoke(app(), ["places", "read"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert len(answers) == 3
    assert answers[0] == {
        "ward_code": "27073", "ward": "Phường Phú Nhuận", "candidates": ["27073"],
        "address": "hẻm 45 Lê Văn Sỹ, phường 13, Phú Nhuận", "confidence": 0.9,
    }
    assert answers[1]["line"] == 2 and "error" in answers[1]
    assert answers[2] == {"ward_code": None, "ward": None, "candidates": [], "address": None,
                          "confidence": 0.0}


def test_eval_reports_accuracy_per_language_and_unknown_precision(tmp_path: Path) -> None:
    data = tmp_path / "set.jsonl"
    rows = [
        {"text": "cây đổ P.Bến Thành", "lang": "vi", "kind": "sms", "ward_code": "26743"},
        {"text": "tree down in Ben Thanh ward", "lang": "en", "kind": "today",
         "ward_code": "26743"},
        {"text": "tree down in ward 99", "lang": "en", "kind": "former", "ward_code": "26743"},
        {"text": "karaoke all night", "lang": "en", "kind": "none", "ward_code": None},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = CliRunner().invoke(app(), ["places", "eval", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ward_accuracy"]["vi"] == {"n": 1, "right": 1, "rate": 1.0}
    assert report["ward_accuracy"]["en"] == {"n": 2, "right": 1, "rate": 0.5}
    assert report["unknown_answers"] == 2 and report["unknown_precision"] == 0.5
    assert report["per_kind"]["former"]["right"] == 0


def test_the_shipped_evaluation_set_meets_the_issue_targets() -> None:
    from places import evaluate, service

    report = evaluate.evaluate(service.reader(79), evaluate.load())
    texts = sum(report.__dict__[part]["all"].total for part in ("ward", "ambiguous", "no_place"))
    assert texts >= 300
    for language in ("vi", "vi_plain", "en"):
        assert report.ward[language].rate >= 0.9, language
    assert report.wrong_ward_on_no_place == 0
