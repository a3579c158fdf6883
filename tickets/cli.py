"""Wires staff corrections (tickets whose category a person set) into `hotline classify train`.

classify sits below tickets and cannot read tickets itself; this room hands it the provider.
"""

from __future__ import annotations

from pathlib import Path

import typer

from classify import cli as classify_cli
from tickets import corrections
from tickets import duplicates_eval as duplicates_eval_module


def register(app: typer.Typer) -> None:
    classify_cli.corrections_provider = corrections.provider
    duplicates_app = typer.Typer(help="Likely duplicates of reports (issue 16).")

    @duplicates_app.command("eval")
    def duplicates_eval(
        data: Path = typer.Option(duplicates_eval_module.PAIRS, help="labelled pairs (JSONL)"),
        threshold: float | None = typer.Option(None, help="default: the served threshold"),
    ) -> None:
        """Precision and recall of the suggestion on a labelled pair set."""
        result = duplicates_eval_module.evaluate(
            duplicates_eval_module.load(data), threshold=threshold
        )
        typer.echo(
            f"pairs {result['pairs']}  threshold {result['threshold']:.2f}  "
            f"precision {result['precision']:.3f}  recall {result['recall']:.3f}"
        )
        for kind, right in result["by_kind"].items():
            typer.echo(f"  {kind:28s} {right} right")

    app.add_typer(duplicates_app, name="duplicates")
