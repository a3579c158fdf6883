"""Staff and officials' notices are batched: a burst of overdue tickets is one e-mail per person
per period, not one per ticket; residents' messages are never batched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core.clock import utcnow
from core.settings import get_settings
from notify.models import OutboundMessage
from staff import notifications
from staff.models import StaffNotice
from tests import factories
from tests.staff import helpers
from tickets import workflow


@pytest.fixture
def digest_hourly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "staff_digest_minutes", 60)


def alerts(session: Session, count: int) -> list[notifications.Alert]:
    made = []
    for _ in range(count):
        ticket = factories.routed_ticket(session)
        assert ticket.id is not None and ticket.resolve_due_at is not None
        made.append(
            notifications.Alert(
                ticket_id=ticket.id,
                code=ticket.code,
                agency_id=ticket.agency_id,
                kind="escalation",
                deadline="resolve",
                due_at=ticket.resolve_due_at,
            )
        )
    return made


def emails_to(session: Session, recipient: str) -> list[OutboundMessage]:
    return list(
        session.execute(
            select(OutboundMessage).where(OutboundMessage.recipient == recipient)
        ).scalars()
    )


def test_a_burst_of_overdue_tickets_is_one_email_per_official(
    pg_session: Session, digest_hourly: None
) -> None:
    official = helpers.user(pg_session, "official", None, email="official@city.gov")
    head = helpers.user(pg_session, "agency_head", "transport", email="head@transport.gov")
    notifications.notify_deadline_alerts(pg_session, alerts(pg_session, 25))
    assert emails_to(pg_session, official.email) == []  # held for the digest
    assert notifications.send_digests(pg_session) == 2
    for person in (official, head):
        [digest] = emails_to(pg_session, person.email)
        assert digest.kind == "staff_digest" and digest.body.count("\n- ") == 25
    # more alerts within the hour wait; after the hour they come as the next single digest
    notifications.notify_deadline_alerts(pg_session, alerts(pg_session, 3))
    assert notifications.send_digests(pg_session) == 0
    later = utcnow() + timedelta(minutes=61)
    assert notifications.send_digests(pg_session, now=later) == 2
    assert len(emails_to(pg_session, official.email)) == 2
    waiting = pg_session.execute(
        select(StaffNotice).where(StaffNotice.digest_id.is_(None))  # type: ignore[union-attr]
    ).all()
    assert waiting == []


def test_a_repeated_alert_is_held_once(pg_session: Session, digest_hourly: None) -> None:
    helpers.user(pg_session, "official", None, email="official@city.gov")
    made = alerts(pg_session, 1)
    assert notifications.notify_deadline_alerts(pg_session, made) >= 1
    assert notifications.notify_deadline_alerts(pg_session, made) == 0


def test_residents_messages_are_never_batched(pg_session: Session, digest_hourly: None) -> None:
    ticket = factories.routed_ticket(pg_session, reporter_phone="+84901234567")
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=factories.STAFF)
    factories.deliver_events(pg_session)
    sent = emails_to(pg_session, "+84901234567")
    assert {m.kind for m in sent} == {"received", "acknowledged"}
    assert pg_session.execute(select(StaffNotice)).first() is None
