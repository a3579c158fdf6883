"""Tracker tasks: explicit names, ids as arguments, safe to run twice."""

from __future__ import annotations

from sqlmodel import Session

from core.db import session_scope
from core.events import subscriber
from core.tasks import task
from tickets import processing, sweeps
from tickets.classifier_port import load_classifier


@subscriber("ticket.filed", name="tickets.process")
def process(*, session: Session, ticket_id: int, event_id: int | None = None) -> str:
    """Classify a new ticket and route it, or send it to the triage desk."""
    return processing.process_ticket(
        session=session, ticket_id=ticket_id, classifier=load_classifier()
    )


@task("tickets.sweep_deadlines", every_seconds=60)
def sweep_deadlines() -> dict[str, int]:
    """Reminders, escalations and closures, each recorded once (commits per batch)."""
    with session_scope() as session:
        return sweeps.sweep_deadlines(session=session).counts
