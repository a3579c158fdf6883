"""The deadline sweep's rules in detail (tickets/sweeps.py), PostgreSQL, the clock pinned.

- A reminder is an internal step (not public) with the deadline it is about; an escalation is
  public, marks the ticket overdue, and says which deadline passed, when it was due and which
  agency held the ticket. Each is announced once, by name (`ticket.reminded`,
  `ticket.escalated`), with its own audit event.
- The reminder comes when three quarters of the agency's own time are gone: time the clock
  stood still while waiting for the resident is not the agency's.
- A category's own clocks count (48 hours to acknowledge: reminded at 36 hours), and so do
  urgent tickets' clock hours and tickets without a category.
- Many tickets due at the same moment are all reminded, however small the batch.
- The resolve clock runs in every clock state: a ticket in progress past its deadline is
  escalated.

Expected moments are written out: Monday 2 March 2026, 09:00 in the city is 02:00 UTC; roads
get 24 hours to acknowledge and 5 working days to resolve (Monday 9 March, 09:00).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from routing.models import Category
from tests import factories
from tickets import sweeps, workflow
from tickets.models import Ticket, TicketEvent

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
STAFF = workflow.Actor(type="staff", id=None, label="agent")


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(T0)


@pytest.fixture
def announced(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int | None]]:
    """The sweep's announcements: (event name, ticket id, audit event id)."""
    made: list[tuple[str, int, int | None]] = []

    real = sweeps.events.emit

    def emit(*, session: Session, event: str, ticket_id: int, event_id: int | None = None,
             **rest: Any) -> list[Any]:
        if event in ("ticket.reminded", "ticket.escalated"):
            made.append((event, ticket_id, event_id))
        return real(session=session, event=event, ticket_id=ticket_id, event_id=event_id,
                    **rest)

    monkeypatch.setattr(sweeps.events, "emit", emit)
    return made


def steps(session: Session, ticket: Ticket, kind: str) -> list[TicketEvent]:
    return list(session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
    ).scalars())


def test_a_reminder_is_internal_and_an_escalation_public_each_announced_once(
    pg_session: Session, clock: list[datetime], announced: list[Any]
) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads")
    clock[0] = T0 + timedelta(hours=18, minutes=1)
    assert sweeps.sweep_deadlines(session=pg_session).counts == {
        "ack_reminders": 1, "ack_escalations": 0, "resolve_reminders": 0,
        "resolve_escalations": 0, "closed": 0,
    }
    [reminder] = steps(pg_session, ticket, "reminder")
    assert (reminder.public, reminder.actor_type) == (False, "system")
    assert reminder.created_at == clock[0]
    assert reminder.data == {"deadline": "acknowledge", "due_at": "2026-03-03T02:00:00+00:00",
                             "agency_id": "transport"}
    assert announced == [("ticket.reminded", ticket.id, reminder.id)]

    clock[0] = T0 + timedelta(hours=24, minutes=1)
    assert sweeps.sweep_deadlines(session=pg_session).counts["ack_escalations"] == 1
    [escalation] = steps(pg_session, ticket, "escalated")
    assert (escalation.public, escalation.actor_type) == (True, "system")
    assert escalation.data == {"deadline": "acknowledge", "due_at": "2026-03-03T02:00:00+00:00",
                               "agency_id": "transport", "overdue": True}
    assert announced[1:] == [("ticket.escalated", ticket.id, escalation.id)]
    pg_session.refresh(ticket)
    assert ticket.ack_overdue is True and ticket.resolve_overdue is False
    assert ticket.ack_escalated_at == clock[0]


def test_time_spent_waiting_for_the_resident_is_not_the_agencys(
    pg_session: Session, clock: list[datetime], announced: list[Any]
) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads",
                                     reporter_phone="+84901234567")
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    clock[0] = T0 + timedelta(days=1)
    workflow.request_information(session=pg_session, ticket=ticket, question="Where?",
                                 actor=STAFF)
    clock[0] = T0 + timedelta(days=3)  # two days of waiting
    workflow.take_answer(session=pg_session, ticket=ticket, text="Number 12", channel="web")
    # the agency's time is still Monday 09:00 to Monday 9 March 09:00 (seven days); the
    # deadline moved by the two days waited, to Wednesday 11 March 09:00, and a quarter of
    # the agency's time (42 hours) before it is Monday 9 March 15:00 in the city
    assert ticket.resolve_due_at == datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
    reminder_at = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    clock[0] = reminder_at - timedelta(minutes=1)
    assert sweeps.sweep_deadlines(session=pg_session).counts["resolve_reminders"] == 0
    clock[0] = reminder_at
    assert sweeps.sweep_deadlines(session=pg_session).counts["resolve_reminders"] == 1
    [reminder] = steps(pg_session, ticket, "reminder")
    assert reminder.data["deadline"] == "resolve"


@pytest.fixture
def slow_category(pg_session: Session) -> Category:
    category = Category(
        id="test_slow", name_en="Slow", name_vi="Chậm", default_agency_id="transport",
        resolve_working_days=10, acknowledge_hours=48, urgent_resolve_hours=4,
    )
    pg_session.add(category)
    pg_session.flush()
    return category


def test_a_categorys_own_hours_set_its_reminder(
    pg_session: Session, clock: list[datetime], slow_category: Category, announced: list[Any]
) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="test_slow")
    assert ticket.ack_due_at == T0 + timedelta(hours=48)
    clock[0] = T0 + timedelta(hours=35, minutes=59)
    assert sweeps.sweep_deadlines(session=pg_session).counts["ack_reminders"] == 0
    clock[0] = T0 + timedelta(hours=36)
    assert sweeps.sweep_deadlines(session=pg_session).counts["ack_reminders"] == 1


def test_an_urgent_ticket_is_reminded_at_three_quarters_of_its_hours(
    pg_session: Session, clock: list[datetime], slow_category: Category, announced: list[Any]
) -> None:
    ticket = factories.ticket(pg_session)
    ticket.urgent = True
    workflow.send_to_triage(session=pg_session, ticket=ticket, reason="test")
    workflow.route(session=pg_session, ticket=ticket, agency_id="transport",
                   category_id="test_slow")
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    assert ticket.resolve_due_at == T0 + timedelta(hours=4)
    clock[0] = T0 + timedelta(hours=2, minutes=59)
    assert sweeps.sweep_deadlines(session=pg_session).counts["resolve_reminders"] == 0
    clock[0] = T0 + timedelta(hours=3)
    assert sweeps.sweep_deadlines(session=pg_session).counts["resolve_reminders"] == 1


def test_a_ticket_without_a_category_is_reminded_too(
    pg_session: Session, clock: list[datetime], announced: list[Any]
) -> None:
    ticket = factories.ticket(pg_session)
    workflow.send_to_triage(session=pg_session, ticket=ticket, reason="test")
    workflow.route(session=pg_session, ticket=ticket, agency_id="transport", category_id=None)
    assert ticket.category_id is None and ticket.ack_due_at == T0 + timedelta(hours=24)
    clock[0] = T0 + timedelta(hours=18)
    assert sweeps.sweep_deadlines(session=pg_session).counts["ack_reminders"] == 1
    # resolve: the default five working days, to Monday 9 March 09:00; a quarter of those
    # seven days (42 hours) before is Saturday 7 March 15:00 in the city
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    assert ticket.resolve_due_at == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    clock[0] = datetime(2026, 3, 7, 8, 0, tzinfo=UTC) - timedelta(minutes=1)
    assert sweeps.sweep_deadlines(session=pg_session).counts["resolve_reminders"] == 0
    clock[0] += timedelta(minutes=1)
    assert sweeps.sweep_deadlines(session=pg_session).counts["resolve_reminders"] == 1


def test_every_ticket_due_at_once_is_reminded_whatever_the_batch(
    pg_session: Session, clock: list[datetime], announced: list[Any]
) -> None:
    tickets = [factories.routed_ticket(pg_session, category_id="roads") for _ in range(5)]
    for ticket in tickets:
        ticket.ack_due_at = T0 + timedelta(hours=24)  # the same moment for all
        pg_session.add(ticket)
    pg_session.flush()
    clock[0] = T0 + timedelta(hours=18)
    counts = sweeps.sweep_deadlines(session=pg_session, batch=2).counts
    assert counts["ack_reminders"] == 5
    assert sorted(ticket_id for _name, ticket_id, _e in announced) == sorted(
        t.id for t in tickets  # type: ignore[misc]
    )


def test_a_ticket_in_progress_past_its_deadline_is_escalated(
    pg_session: Session, clock: list[datetime], announced: list[Any]
) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads")
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.start_work(session=pg_session, ticket=ticket, actor=STAFF)
    clock[0] = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # the deadline itself: not yet late
    assert sweeps.sweep_deadlines(session=pg_session).counts["resolve_escalations"] == 0
    clock[0] += timedelta(seconds=1)
    counts = sweeps.sweep_deadlines(session=pg_session).counts
    assert counts["resolve_escalations"] == 1 and counts["ack_escalations"] == 0
    [escalation] = steps(pg_session, ticket, "escalated")
    assert escalation.data["deadline"] == "resolve"
    assert escalation.data["due_at"] == "2026-03-09T02:00:00+00:00"
    pg_session.refresh(ticket)
    assert ticket.resolve_overdue is True and ticket.ack_overdue is False
