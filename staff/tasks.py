"""Staff-side periodic work: the deadline sweep, and clearing expired log-in sessions."""

from __future__ import annotations

from core.db import session_scope
from core.tasks import task
from staff import notifications
from staff import service as staff_service
from tickets import sweeps


@task("tickets.sweep_deadlines", every_seconds=60)
def sweep_deadlines() -> dict[str, int]:
    with session_scope() as session:
        report = sweeps.sweep_deadlines(
            session=session, notifier=notifications.notify_deadline_alerts
        )
    return report.counts


@task("staff.purge_sessions", every_seconds=3600)
def purge_sessions() -> int:
    with session_scope() as session:
        return staff_service.purge_expired_sessions(session=session)
