"""A reopened ticket starts a fresh resolve clock: a new deadline by the category's rule, and the
reminder and escalation of that deadline come again when it is missed again.

Roads: 5 working days to resolve, 24 clock hours when urgent. Times are Ho Chi Minh City's
(UTC+7); every expected moment below was counted on the calendar by hand (March 2026 has no
public holiday).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from core.clock import as_utc
from tests import factories
from tickets import sweeps, workflow
from tickets.models import Ticket, TicketEvent, TicketState

STAFF = workflow.Actor(type="staff", id=None, label="agent")


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(utc(3, 2, 2))  # Monday 2 March 2026, 09:00 local


def escalations(session: Session, ticket: Ticket) -> list[TicketEvent]:
    return list(
        session.execute(
            select(TicketEvent).where(
                col(TicketEvent.ticket_id) == ticket.id, col(TicketEvent.kind) == "escalated"
            )
        ).scalars()
    )


def sweep(session: Session, now: datetime) -> dict[str, int]:
    return sweeps.sweep_deadlines(session=session, now=now).counts


def escalated_then_resolved(session: Session, clock: list[datetime]) -> Ticket:
    """Routed Monday 2 March 09:00 local (due Monday 9 March 09:00 local), escalated on
    Tuesday 10 March, resolved on Wednesday 11 March 09:00 local."""
    ticket = factories.routed_ticket(session, category_id="roads")
    assert as_utc(ticket.resolve_due_at) == utc(3, 9, 2)
    workflow.acknowledge(session=session, ticket=ticket, actor=STAFF)
    session.commit()
    clock[0] = utc(3, 10, 2)
    assert sweep(session, clock[0])["resolve_escalations"] == 1
    session.refresh(ticket)
    assert ticket.resolve_overdue and ticket.resolve_escalated_at is not None
    clock[0] = utc(3, 11, 2)
    workflow.resolve(session=session, ticket=ticket, resolution="Đã vá.", actor=STAFF)
    session.commit()
    return ticket


def test_the_deadline_after_a_reopen_is_the_rule_counted_from_the_reopening(
    pg_session: Session, clock: list[datetime]
) -> None:
    ticket = escalated_then_resolved(pg_session, clock)
    # reopened Friday 13 March 15:00 local: Mon 16, Tue 17, Wed 18, Thu 19, Fri 20
    # -> Friday 20 March 15:00 local = 08:00 UTC
    clock[0] = utc(3, 13, 8)
    workflow.reopen(session=pg_session, ticket=ticket, reason="Lại bể rồi.")
    assert ticket.state == TicketState.in_progress
    assert as_utc(ticket.resolve_due_at) == utc(3, 20, 8)
    assert ticket.resolve_overdue is False
    assert ticket.resolve_reminded_at is None and ticket.resolve_escalated_at is None


def test_an_escalated_reopened_ticket_is_escalated_again_when_late_again(
    pg_session: Session, clock: list[datetime]
) -> None:
    ticket = escalated_then_resolved(pg_session, clock)
    clock[0] = utc(3, 13, 8)
    workflow.reopen(session=pg_session, ticket=ticket, reason="Lại bể rồi.")
    pg_session.commit()
    # before the fresh deadline (Friday 20 March 15:00 local): not overdue, no escalation
    clock[0] = utc(3, 20, 7, 59)
    assert sweep(pg_session, clock[0])["resolve_escalations"] == 0
    pg_session.refresh(ticket)
    assert ticket.resolve_overdue is False
    # one minute past it: escalated a second time, once
    clock[0] = utc(3, 20, 8, 1)
    assert sweep(pg_session, clock[0])["resolve_escalations"] == 1
    assert sweep(pg_session, clock[0])["resolve_escalations"] == 0
    pg_session.refresh(ticket)
    assert ticket.resolve_overdue is True
    assert as_utc(ticket.resolve_escalated_at) == utc(3, 20, 8, 1)
    second = escalations(pg_session, ticket)
    assert [e.data["due_at"] for e in second] == [
        utc(3, 9, 2).isoformat(), utc(3, 20, 8).isoformat()
    ]


def test_a_reopened_ticket_is_reminded_again_before_its_fresh_deadline(
    pg_session: Session, clock: list[datetime]
) -> None:
    ticket = escalated_then_resolved(pg_session, clock)
    assert ticket.resolve_reminded_at is None  # escalated without a reminder (it came late)
    pg_session.execute(  # as if a reminder had been sent before the first deadline
        Ticket.__table__.update().where(Ticket.__table__.c.id == ticket.id)  # type: ignore[attr-defined]
        .values(resolve_reminded_at=utc(3, 7, 2))
    )
    pg_session.commit()
    pg_session.refresh(ticket)
    clock[0] = utc(3, 13, 8)
    workflow.reopen(session=pg_session, ticket=ticket, reason="Lại bể rồi.")
    pg_session.commit()
    # Thursday 19 March 15:00 local: 24 h before the fresh deadline, past three quarters
    clock[0] = utc(3, 19, 8)
    assert sweep(pg_session, clock[0])["resolve_reminders"] == 1
    pg_session.refresh(ticket)
    assert as_utc(ticket.resolve_reminded_at) == utc(3, 19, 8)


def test_an_urgent_ticket_reopened_gets_its_urgent_hours_again(
    pg_session: Session, clock: list[datetime]
) -> None:
    ticket = factories.ticket(pg_session)
    ticket.urgent = True
    workflow.route(session=pg_session, ticket=ticket, agency_id="transport",
                          category_id="roads")
    assert as_utc(ticket.resolve_due_at) == utc(3, 3, 2)  # 24 clock hours
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    clock[0] = utc(3, 2, 10)
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Đã rào chắn.", actor=STAFF)
    # reopened Saturday 7 March 10:00 local: 24 clock hours, weekend or not
    clock[0] = utc(3, 7, 3)
    workflow.reopen(session=pg_session, ticket=ticket, reason="Rào chắn bị đổ.")
    assert as_utc(ticket.resolve_due_at) == utc(3, 8, 3)
