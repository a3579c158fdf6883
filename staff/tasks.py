"""Staff-side work: deadline notices (subscribers, in staff.notifications), and clearing expired
log-in sessions."""

from __future__ import annotations

from core.db import session_scope
from core.tasks import task
from staff import notifications  # its subscribers register on import
from staff import service as staff_service


@task("staff.purge_sessions", every_seconds=3600)
def purge_sessions() -> int:
    with session_scope() as session:
        return staff_service.purge_expired_sessions(session=session)


@task("staff.send_digests", every_seconds=60)
def send_digests() -> int:
    """Staff and officials' notices, batched: at most one e-mail per person per period."""
    with session_scope() as session:
        return notifications.send_digests(session)
