"""The workflow door's promise: each transition writes exactly one audit event and emits exactly
one named event (to each of its subscribers), in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from core import events
from core.clock import set_clock
from core.outbox import OutboxMessage
from tests import factories
from tickets import workflow
from tickets.models import Ticket, TicketEvent

STAFF = factories.STAFF
PHONE = "+84901234567"
PROBE = "tests.probe"


@pytest.fixture
def heard() -> list[tuple[str, int, int | None]]:
    """A subscriber to every transition's event, registered for this test only."""
    received: list[tuple[str, int, int | None]] = []
    names = [
        "ticket.filed", "ticket.sent_to_triage", "ticket.routed", "ticket.transferred",
        "ticket.acknowledged", "ticket.work_started", "ticket.info_requested",
        "ticket.info_received", "ticket.resolved", "ticket.rejected", "ticket.reopened",
        "ticket.closed", "ticket.rated",
    ]
    added = []
    for name in names:
        def handler(*, session: Session, ticket_id: int, event_id: int | None,
                    _name: str = name) -> None:
            received.append((_name, ticket_id, event_id))
        entry = events.Subscriber(event=name, task=f"{PROBE}.{name}", handler=handler)
        events.SUBSCRIBERS.setdefault(name, []).append(entry)
        events.BY_TASK[entry.task] = entry
        added.append(entry)
    yield received
    for entry in added:
        events.SUBSCRIBERS[entry.event].remove(entry)
        events.BY_TASK.pop(entry.task)


def audit_count(session: Session, ticket: Ticket) -> int:
    return session.execute(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    ).scalar_one()


def probes(session: Session) -> list[OutboxMessage]:
    return list(
        session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.task.like(f"{PROBE}.%"))  # type: ignore[attr-defined]
            .order_by(OutboxMessage.id)  # type: ignore[arg-type]
        ).scalars()
    )


def step(session: Session, ticket: Ticket, action: Callable[[], TicketEvent], name: str) -> None:
    """Run one transition; exactly one audit event and one probe row must come of it."""
    audits, queued = audit_count(session, ticket), len(probes(session))
    event = action()
    assert audit_count(session, ticket) == audits + 1, name
    rows = probes(session)[queued:]
    assert [(r.task, r.args) for r in rows] == [
        (f"{PROBE}.{name}", {"ticket_id": ticket.id, "event_id": event.id})
    ], name
    assert workflow.event_name(event.kind) == name


def test_every_transition_records_once_and_announces_once(pg_session, heard) -> None:
    session = pg_session
    queued = len(probes(session))
    ticket = factories.ticket(session, reporter_phone=PHONE)
    assert [r.task for r in probes(session)[queued:]] == [f"{PROBE}.ticket.filed"]
    assert audit_count(session, ticket) == 1
    other = factories.ticket(session)

    step(session, ticket, lambda: workflow.send_to_triage(
        session=session, ticket=ticket, reason="test"), "ticket.sent_to_triage")
    step(session, ticket, lambda: workflow.set_category(
        session=session, ticket=ticket, category_id="roads", actor=STAFF), "ticket.routed")
    step(session, ticket, lambda: workflow.transfer(
        session=session, ticket=ticket, agency_id="urban_infrastructure", reason="Theirs.",
        actor=STAFF), "ticket.transferred")
    step(session, ticket, lambda: workflow.acknowledge(
        session=session, ticket=ticket, actor=STAFF), "ticket.acknowledged")
    step(session, ticket, lambda: workflow.start_work(
        session=session, ticket=ticket, actor=STAFF), "ticket.work_started")
    step(session, ticket, lambda: workflow.request_information(
        session=session, ticket=ticket, question="Which house?", actor=STAFF),
        "ticket.info_requested")
    step(session, ticket, lambda: workflow.take_answer(
        session=session, ticket=ticket, text="Number 42.", channel="web"),
        "ticket.info_received")
    step(session, ticket, lambda: workflow.resolve(
        session=session, ticket=ticket, resolution="Patched.", actor=STAFF), "ticket.resolved")
    step(session, ticket, lambda: workflow.rate(
        session=session, ticket=ticket, rating=4), "ticket.rated")
    step(session, ticket, lambda: workflow.reopen(
        session=session, ticket=ticket, reason="Still broken."), "ticket.reopened")
    step(session, ticket, lambda: workflow.resolve(
        session=session, ticket=ticket, resolution="Patched again.", actor=STAFF),
        "ticket.resolved")
    step(session, ticket, lambda: workflow.close(
        session=session, ticket=ticket, reason="test"), "ticket.closed")
    step(session, other, lambda: workflow.reject(
        session=session, ticket=other, reason="duplicate", duplicate_of=ticket.code,
        actor=STAFF), "ticket.rejected")

    factories.deliver_events(session)
    assert [name for name, _, _ in heard].count("ticket.resolved") == 2
    assert {ticket_id for _, ticket_id, _ in heard} == {ticket.id, other.id}


def test_a_refused_transition_records_and_announces_nothing(pg_session, heard) -> None:
    ticket = factories.routed_ticket(pg_session)
    audits, queued = audit_count(pg_session, ticket), len(probes(pg_session))
    with pytest.raises(Exception, match="cannot become resolved"):
        workflow.resolve(session=pg_session, ticket=ticket, resolution="x", actor=STAFF)
    assert audit_count(pg_session, ticket) == audits
    assert probes(pg_session)[queued:] == []


def test_a_retried_delivery_files_once_and_announces_once(pg_session, heard) -> None:
    report = factories.report(channel="sms", external_id="SM" + "1" * 32)
    first = workflow.file(session=pg_session, report=report)
    queued = len(probes(pg_session))
    again = workflow.file(session=pg_session, report=factories.report(
        channel="sms", external_id="SM" + "1" * 32))
    assert again.id == first.id
    assert probes(pg_session)[queued:] == []


def test_a_rollback_drops_the_announcement(pg_engine, heard) -> None:
    with Session(pg_engine) as session:
        ticket = factories.ticket(session)
        assert probes(session)
        session.rollback()
        assert session.get(Ticket, ticket.id) is None
        assert probes(session) == []


def test_the_sweep_closes_through_the_workflow_with_an_event(pg_session, heard) -> None:
    """Closing after the reopen window leaves the audit event and the `ticket.closed` event
    that a bulk UPDATE would skip."""
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    set_clock(lambda: start)
    try:
        ticket = factories.routed_ticket(pg_session, reporter_phone=PHONE)
        workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
        workflow.resolve(session=pg_session, ticket=ticket, resolution="Done.", actor=STAFF)
        later = start + timedelta(days=7, minutes=1)
        set_clock(lambda: later)
        from tickets import sweeps

        queued = len(probes(pg_session))
        assert sweeps.close_resolved(session=pg_session, now=later) == 1
        closed = pg_session.execute(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "closed"
            )
        ).scalar_one()
        assert (closed.from_state, closed.to_state, closed.data["reason"]) == (
            "resolved", "closed", "reopen_window_passed"
        )
        assert [(r.task, r.args) for r in probes(pg_session)[queued:]] == [
            (f"{PROBE}.ticket.closed", {"ticket_id": ticket.id, "event_id": closed.id})
        ]
        assert sweeps.close_resolved(session=pg_session, now=later) == 0
    finally:
        set_clock(None)


def test_a_staff_note_never_reaches_a_public_surface(pg_client, pg_session) -> None:
    """Internal notes are private events: the status page and the JSON API leave them out."""
    ticket = factories.routed_ticket(pg_session)
    workflow.add_note(
        session=pg_session, ticket=ticket, text="Ghi chú nội bộ: gọi nhà thầu", actor=STAFF
    )
    page = pg_client.get(f"/status/{ticket.code}?lang=vi").text
    data = pg_client.get(f"/api/v1/reports/{ticket.code}").json()
    assert "nội bộ" not in page and "nhà thầu" not in page
    assert "note" not in [event["kind"] for event in data["timeline"]]
    assert "nội bộ" not in str(data)
