"""`hotline load-data`: the default taxonomy and wards."""

from __future__ import annotations

import typer

from core.db import session_scope
from routing import service as routing_service


def register(app: typer.Typer) -> None:
    @app.command("load-data")
    def load_data() -> None:
        """Load the default taxonomy (categories, agencies, deadlines) and wards; idempotent."""
        with session_scope() as session:
            counts = routing_service.load_default_data(session=session)
        typer.echo("loaded " + ", ".join(f"{n} {what}" for what, n in counts.items()))
