"""Tracker tasks: explicit names, ids as arguments, safe to run twice."""

from __future__ import annotations

from core.db import session_scope
from core.tasks import task
from tickets import processing
from tickets.classifier_port import load_classifier


@task("tickets.process")
def process(*, ticket_id: int) -> str:
    with session_scope() as session:
        return processing.process_ticket(
            session=session, ticket_id=ticket_id, classifier=load_classifier()
        )
