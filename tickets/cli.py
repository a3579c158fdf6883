"""Wires staff corrections (tickets whose category a person set) into `hotline classify train`.

classify sits below tickets and cannot read tickets itself; this room hands it the provider.
"""

from __future__ import annotations

from pathlib import Path

import typer

from classify import cli as classify_cli
from tickets import corrections, duplicates
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

    @duplicates_app.command("backfill")
    def duplicates_backfill(
        batch: int = typer.Option(64, min=1, help="texts per model call and per commit"),
        limit: int | None = typer.Option(None, min=1, help="stop after this many tickets"),
        everything: bool = typer.Option(
            False, "--all", help="closed and merged tickets too (never candidates)"
        ),
    ) -> None:
        """Embed existing tickets that have no embedding of the current model, newest first
        (resumable: committed per batch; a second run goes on with those still missing).
        By default only tickets that can be duplicate candidates: open or resolved, not
        merged."""
        from core.db import session_scope

        with session_scope() as session:
            done = duplicates.backfill(
                session=session, batch=batch, limit=limit, everything=everything,
                progress=lambda n: typer.echo(f"{n} tickets embedded"),
            )
        typer.echo(f"done: {done} tickets embedded")

    app.add_typer(duplicates_app, name="duplicates")
