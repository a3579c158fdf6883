"""With a real Celery worker on a real Redis: the sweep's e-mails are delivered once, and a
second sweep queues nothing."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import utcnow
from notify.models import OutboundMessage
from tests import factories
from tests.core.test_worker import celery_worker, redis_server, wait_for  # noqa: F401
from tests.staff import helpers

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def test_escalation_mail_is_sent_once_by_the_worker(
    celery_worker: subprocess.Popen[bytes],  # noqa: F811
    committed_pg: Engine,
) -> None:
    from core import tasks

    with Session(committed_pg, expire_on_commit=False) as session:
        helpers.user(session, "agency_head", "transport", email="head@example.org")
        helpers.user(session, "official", None, email="official@example.org")
        ticket = factories.routed_ticket(session, category_id="roads")
        ticket.ack_due_at = utcnow() - timedelta(minutes=1)
        session.add(ticket)
        session.commit()

    assert tasks.run("tickets.sweep_deadlines", {})["ack_escalations"] == 1

    def statuses() -> list[str]:
        with Session(committed_pg) as session:
            return list(
                session.execute(
                    select(OutboundMessage.status)
                    .where(OutboundMessage.ticket_id == ticket.id)
                    .order_by(OutboundMessage.recipient)
                ).scalars()
            )

    wait_for(lambda: statuses() == ["sent", "sent"], timeout=60, what="the worker to send")
    assert tasks.run("tickets.sweep_deadlines", {})["ack_escalations"] == 0
    with Session(committed_pg) as session:
        rows = session.execute(
            select(OutboundMessage.recipient, OutboundMessage.attempts).where(
                OutboundMessage.ticket_id == ticket.id
            )
        ).all()
    assert sorted(rows) == [("head@example.org", 1), ("official@example.org", 1)]
