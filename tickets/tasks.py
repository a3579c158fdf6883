"""Tracker tasks: explicit names, ids as arguments, safe to run twice."""

from __future__ import annotations

import logging

from sqlmodel import Session

from core.db import session_scope
from core.events import subscriber
from core.tasks import task
from tickets import duplicates, processing, service, sweeps
from tickets.classifier_port import load_classifier

log = logging.getLogger(__name__)


@subscriber("ticket.filed", name="tickets.process")
def process(*, session: Session, ticket_id: int, event_id: int | None = None) -> str:
    """Classify a new ticket and route it, or send it to the triage desk."""
    return processing.process_ticket(
        session=session, ticket_id=ticket_id, classifier=load_classifier()
    )


def embed(*, session: Session, ticket_id: int, event_id: int | None = None) -> bool:
    """Store the sentence embedding of a report's description (tickets.duplicates), once:
    after processing (its own task, so that loading the model never delays routing)."""
    ticket = service.get_ticket(session=session, ticket_id=ticket_id)
    try:
        return duplicates.embed_ticket(session=session, ticket=ticket)
    except (ImportError, OSError) as error:  # no base model installed: no duplicate finding
        log.warning("no embedding for ticket %s: %s", ticket_id, error)
        return False


subscriber("ticket.routed", name="tickets.embed_routed")(embed)
subscriber("ticket.sent_to_triage", name="tickets.embed_triaged")(embed)


@task("tickets.sweep_deadlines", every_seconds=60)
def sweep_deadlines() -> dict[str, int]:
    """Reminders, escalations and closures, each recorded once (commits per batch)."""
    with session_scope() as session:
        return sweeps.sweep_deadlines(session=session).counts
