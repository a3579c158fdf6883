"""The deadline sweep on PostgreSQL with a pinned clock: reminders, escalations, once each."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from notify.models import OutboundMessage
from tests import factories
from tests.staff import helpers
from tickets import sweeps, workflow
from tickets.models import Ticket, TicketEvent

# Monday 2 March 2026, 09:00 in Ho Chi Minh City: roads get 24 h to acknowledge and
# 5 working days to resolve (due Monday 9 March, same time)
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
STAFF = workflow.Actor(type="staff", id=None, label="agent")


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(T0)


@pytest.fixture
def people(pg_session: Session) -> dict[str, object]:
    return {
        "agent": helpers.user(pg_session, "agent", "transport", email="agent@example.org"),
        "head": helpers.user(pg_session, "agency_head", "transport", email="head@example.org"),
        "other": helpers.user(pg_session, "agent", "drainage", email="other@example.org"),
        "official": helpers.user(pg_session, "official", None, email="official@example.org"),
    }


def sweep(session: Session) -> dict[str, int]:
    """One sweep, then its events delivered to their subscribers (staff notices)."""
    counts = sweeps.sweep_deadlines(session=session).counts
    factories.deliver_events(session)
    return counts


def events(session: Session, ticket: Ticket, kind: str) -> list[TicketEvent]:
    return list(
        session.execute(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
        ).scalars()
    )


def staff_mail(session: Session, ticket: Ticket, kind: str) -> list[str]:
    return sorted(
        session.execute(
            select(OutboundMessage.recipient).where(
                OutboundMessage.ticket_id == ticket.id, OutboundMessage.kind == kind
            )
        ).scalars()
    )


def routed(session: Session) -> Ticket:
    ticket = factories.routed_ticket(session, category_id="roads")
    session.commit()
    return ticket


def test_nothing_happens_before_three_quarters_of_the_time(pg_session, clock, people) -> None:
    ticket = routed(pg_session)
    clock[0] = T0 + timedelta(hours=17, minutes=59)
    assert sum(sweep(pg_session).values()) == 0
    assert events(pg_session, ticket, "reminder") == []


def test_acknowledgement_reminder_at_75_percent_once(pg_session, clock, people) -> None:
    ticket = routed(pg_session)
    clock[0] = T0 + timedelta(hours=18, minutes=1)
    assert sweep(pg_session)["ack_reminders"] == 1
    pg_session.refresh(ticket)
    assert ticket.ack_reminded_at == clock[0]
    assert not ticket.ack_overdue
    assert len(events(pg_session, ticket, "reminder")) == 1
    # the agency's staff are told (it has no e-mail of its own); not the other agency
    assert staff_mail(pg_session, ticket, "staff_reminder") == [
        "agent@example.org",
        "head@example.org",
    ]
    clock[0] += timedelta(minutes=1)
    assert sum(sweep(pg_session).values()) == 0
    assert len(events(pg_session, ticket, "reminder")) == 1
    assert len(staff_mail(pg_session, ticket, "staff_reminder")) == 2


def test_missed_acknowledgement_escalates_to_head_and_officials_once(
    pg_session, clock, people
) -> None:
    ticket = routed(pg_session)
    clock[0] = T0 + timedelta(hours=24, minutes=1)
    counts = sweep(pg_session)
    assert counts["ack_escalations"] == 1
    assert counts["ack_reminders"] == 0  # past the deadline: escalation, not a late reminder
    pg_session.refresh(ticket)
    assert ticket.ack_overdue and ticket.ack_escalated_at == clock[0]
    escalated = events(pg_session, ticket, "escalated")
    assert len(escalated) == 1 and escalated[0].public
    assert escalated[0].data["deadline"] == "acknowledge"
    assert staff_mail(pg_session, ticket, "staff_escalation") == [
        "head@example.org",
        "official@example.org",
    ]
    clock[0] += timedelta(hours=1)
    assert sweep(pg_session)["ack_escalations"] == 0
    assert len(events(pg_session, ticket, "escalated")) == 1
    assert len(staff_mail(pg_session, ticket, "staff_escalation")) == 2


def test_acknowledged_ticket_gets_no_acknowledgement_alerts(pg_session, clock, people) -> None:
    ticket = routed(pg_session)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    pg_session.commit()
    clock[0] = T0 + timedelta(hours=30)
    counts = sweep(pg_session)
    assert counts["ack_escalations"] == 0 and counts["ack_reminders"] == 0


def test_resolution_reminder_and_escalation_at_the_right_moments(pg_session, clock, people) -> None:
    ticket = routed(pg_session)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    pg_session.commit()
    due = ticket.resolve_due_at
    assert due == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    three_quarters = T0 + (due - T0) * 0.75
    clock[0] = three_quarters - timedelta(minutes=5)
    assert sweep(pg_session)["resolve_reminders"] == 0
    clock[0] = three_quarters + timedelta(minutes=1)
    assert sweep(pg_session)["resolve_reminders"] == 1
    clock[0] = due - timedelta(minutes=1)
    assert sweep(pg_session)["resolve_escalations"] == 0
    clock[0] = due + timedelta(minutes=1)
    assert sweep(pg_session)["resolve_escalations"] == 1
    pg_session.refresh(ticket)
    assert ticket.resolve_overdue
    assert sum(sweep(pg_session).values()) == 0


def test_waiting_for_the_resident_pauses_the_clock(pg_session, clock, people) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads", reporter_phone="+84901234567")
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    pg_session.commit()
    due = ticket.resolve_due_at
    clock[0] = T0 + timedelta(days=1)
    workflow.request_information(
        session=pg_session, ticket=ticket, question="Which house number?", actor=STAFF
    )
    pg_session.commit()
    # the deadline passes while the agency waits: no escalation
    clock[0] = due + timedelta(days=1)
    assert sum(sweep(pg_session).values()) == 0
    # the resident answers two days after the old deadline: the deadline moves by the pause
    workflow.take_answer(
        session=pg_session, ticket=ticket, text="Number 12", channel="web"
    )
    pg_session.commit()
    pg_session.refresh(ticket)
    assert ticket.state == "in_progress"
    assert ticket.resolve_due_at == due + (clock[0] - (T0 + timedelta(days=1)))
    assert sweep(pg_session)["resolve_escalations"] == 0


def test_sweep_works_in_batches(pg_session, clock, people) -> None:
    tickets = [routed(pg_session) for _ in range(5)]
    clock[0] = T0 + timedelta(hours=25)
    counts = sweeps.sweep_deadlines(session=pg_session, batch=2).counts
    assert counts["ack_escalations"] == 5
    assert (
        pg_session.execute(
            select(func.count())
            .select_from(Ticket)
            .where(
                Ticket.id.in_([t.id for t in tickets]),
                Ticket.ack_overdue,  # type: ignore[union-attr]
            )
        ).scalar_one()
        == 5
    )


def test_the_task_is_registered_every_minute() -> None:
    from core import tasks

    tasks.discover_tasks()
    assert tasks.PERIODIC["tickets.sweep_deadlines"].every_seconds == 60


def test_a_retried_delivery_sends_each_staff_message_once(pg_session, clock, people) -> None:
    from notify import senders
    from notify import service as notify_service

    ticket = routed(pg_session)
    clock[0] = T0 + timedelta(hours=25)
    sweep(pg_session)
    queued = list(
        pg_session.execute(
            select(OutboundMessage).where(
                OutboundMessage.ticket_id == ticket.id,
                OutboundMessage.kind == "staff_escalation",
            )
        ).scalars()
    )
    assert len(queued) == 2
    senders.ConsoleSender.sent.clear()
    for _attempt in range(2):  # the task delivered twice (a retry, a second worker)
        for message in queued:
            notify_service.deliver(session=pg_session, message_id=message.id)
            pg_session.commit()
    assert sorted(m["to"] for m in senders.ConsoleSender.sent) == [
        "head@example.org",
        "official@example.org",
    ]
    assert "chưa được tiếp nhận" in senders.ConsoleSender.sent[0]["subject"]  # staff speak vi


def test_resolved_tickets_close_when_the_reopen_window_passes(pg_session, clock, people) -> None:
    ticket = routed(pg_session)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Patched.", actor=STAFF)
    pg_session.commit()
    clock[0] += timedelta(days=6)
    assert sweep(pg_session)["closed"] == 0
    clock[0] += timedelta(days=1, minutes=1)
    assert sweep(pg_session)["closed"] == 1
    pg_session.refresh(ticket)
    assert ticket.state == "closed" and ticket.closed_at == clock[0]
    assert len(events(pg_session, ticket, "closed")) == 1
    assert sweep(pg_session)["closed"] == 0


def test_the_registered_task_sweeps_committed_tickets(committed_pg, clock) -> None:
    from core import runner, tasks

    with Session(committed_pg, expire_on_commit=False) as session:
        helpers.user(session, "agency_head", "transport", email="head@example.org")
        ticket = routed(session)
    clock[0] = T0 + timedelta(hours=25)
    counts = tasks.run("tickets.sweep_deadlines", {})
    assert counts["ack_escalations"] == 1
    assert tasks.run("tickets.sweep_deadlines", {})["ack_escalations"] == 0
    runner.drain()  # the worker runs the subscribers of the sweep's events
    with Session(committed_pg) as session:
        assert staff_mail(session, ticket, "staff_escalation") == ["head@example.org"]


def test_the_sweep_runs_on_both_databases(session, clock) -> None:
    """The embedded default sweeps its SQLite file every minute with the same code."""
    ticket = routed(session)
    clock[0] = T0 + timedelta(hours=18, minutes=30)
    assert sweep(session)["ack_reminders"] == 1
    clock[0] = T0 + timedelta(hours=24, minutes=1)
    counts = sweep(session)
    assert counts["ack_escalations"] == 1 and counts["ack_reminders"] == 0
    session.refresh(ticket)
    assert ticket.ack_overdue
    assert sum(sweep(session).values()) == 0
