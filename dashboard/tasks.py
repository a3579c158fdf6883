"""The dashboard's periodic task: keep the daily roll-ups current."""

from __future__ import annotations

from core.db import session_scope
from core.tasks import task
from dashboard import rollup


@task("dashboard.refresh_rollups", every_seconds=60)
def refresh_rollups() -> int:
    """Recompute the roll-up days touched since the last run (idempotent; safe to run twice)."""
    with session_scope() as session:
        return rollup.refresh(session=session)
