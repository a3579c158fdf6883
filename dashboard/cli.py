"""`hotline demo-data --tickets N`: a living dashboard for a new user, and data for benchmarks."""

from __future__ import annotations

import typer

from core.db import session_scope
from dashboard import demo


def register(app: typer.Typer) -> None:
    @app.command("demo-data")
    def demo_data(
        tickets: int = typer.Option(10_000, "--tickets", min=1, max=50_000_000,
                                    help="How many tickets to add over the past year."),
        seed: int = typer.Option(1022, help="Random seed (the same seed gives the same data)."),
    ) -> None:
        """Fill the database with realistic tickets over the past year, then the roll-ups."""
        def progress(done: int) -> None:
            typer.echo(f"  {done} tickets written", err=True)

        with session_scope() as session:
            timings = demo.load(session=session, count=tickets, seed=seed, progress=progress)
        typer.echo(
            f"added {int(timings['tickets'])} tickets and {int(timings['events'])} events "
            f"in {timings['load_seconds']:.1f} s; roll-ups rebuilt in "
            f"{timings['rollup_seconds']:.1f} s"
        )
