"""The reporters of merged duplicates follow the master ticket (issue 16): when the master is
resolved, each of them gets its resolution, in their own language, on their own channel."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from core.events import subscriber
from core.settings import get_settings
from notify import service
from notify.reactions import _load, _short
from tickets import codes, links
from tickets.models import Ticket


@subscriber("ticket.resolved", name="notify.resolution_to_merged_reporters")
def resolution_to_merged_reporters(
    *, session: Session, ticket_id: int, event_id: int | None
) -> int:
    """One message per merged duplicate (dedupe key: the master's resolution event), so a
    second run queues nothing. Returns how many were queued (or already were)."""
    master, event = _load(session, ticket_id, event_id)
    merged = session.execute(
        select(Ticket).where(col(Ticket.duplicate_of_id) == master.id).order_by(col(Ticket.id))
    ).scalars()
    settings = get_settings()
    queued = 0
    for duplicate in merged:
        message = service.message_resident(
            session=session,
            ticket=duplicate,
            kind="master_resolved",
            values={
                "master": codes.display(master.code),
                "resolution": _short(event.message),
                "link": links.status_url(master.code, settings=settings, lang=duplicate.language),
            },
            dedupe_key=f"master_resolved:{event.id}",
        )
        queued += message is not None
    return queued
