"""Closing the loop keeps the door's promise: schedule, ask_if_fixed, confirm_fixed,
report_not_fixed and record_no_answer each write one audit event and emit one named event."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import set_clock, utcnow
from tests import factories
from tests.tickets.test_workflow_events import heard, probes, step  # noqa: F401  (fixture)
from tickets import policy, workflow
from tickets.models import TicketState

STAFF = factories.STAFF
PHONE = "+84901234567"
NAMES = ["ticket.scheduled", "ticket.fix_asked", "ticket.fix_confirmed", "ticket.not_fixed",
         "ticket.fix_unanswered"]


@pytest.fixture
def probed(heard):  # noqa: F811
    """The shared probe subscribes to the core transitions; add closing the loop's events."""
    from core import events

    added = []
    for name in NAMES:
        def handler(*, session, ticket_id, event_id, _name=name):  # type: ignore[no-untyped-def]
            heard.append((_name, ticket_id, event_id))
        entry = events.Subscriber(event=name, task=f"tests.probe.{name}", handler=handler)
        events.SUBSCRIBERS.setdefault(name, []).append(entry)
        events.BY_TASK[entry.task] = entry
        added.append(entry)
    yield heard
    for entry in added:
        events.SUBSCRIBERS[entry.event].remove(entry)
        events.BY_TASK.pop(entry.task)


def test_each_loop_transition_records_once_and_announces_once(pg_session, probed) -> None:
    session = pg_session
    ticket = factories.routed_ticket(session, reporter_phone=PHONE, category_id="lighting")
    workflow.acknowledge(session=session, ticket=ticket, actor=STAFF)
    day = policy.city_today() + timedelta(days=10)
    step(session, ticket, lambda: workflow.schedule(
        session=session, ticket=ticket, day=day, note="Thay cáp", actor=STAFF),
        "ticket.scheduled")
    assert ticket.state == TicketState.in_progress
    step(session, ticket, lambda: workflow.schedule(  # a new date for work already under way
        session=session, ticket=ticket, day=day + timedelta(days=1), note="Dời lịch",
        actor=STAFF), "ticket.scheduled")
    workflow.resolve(session=session, ticket=ticket, resolution="Xong.", actor=STAFF)
    step(session, ticket, lambda: workflow.ask_if_fixed(
        session=session, ticket=ticket, channel="sms"), "ticket.fix_asked")
    step(session, ticket, lambda: workflow.report_not_fixed(
        session=session, ticket=ticket, text="Chưa sửa", channel="sms"), "ticket.not_fixed")
    workflow.resolve(session=session, ticket=ticket, resolution="Xong hẳn.", actor=STAFF)
    step(session, ticket, lambda: workflow.ask_if_fixed(
        session=session, ticket=ticket, channel="sms"), "ticket.fix_asked")
    step(session, ticket, lambda: workflow.confirm_fixed(
        session=session, ticket=ticket, channel="sms", text="Đã sửa"), "ticket.fix_confirmed")

    other = factories.routed_ticket(session, reporter_phone=PHONE, category_id="lighting")
    workflow.acknowledge(session=session, ticket=other, actor=STAFF)
    workflow.resolve(session=session, ticket=other, resolution="Xong.", actor=STAFF)
    workflow.ask_if_fixed(session=session, ticket=other, channel="sms")
    later = utcnow() + timedelta(days=30)
    set_clock(lambda: later)
    try:
        step(session, other, lambda: workflow.record_no_answer(  # type: ignore[arg-type,return-value]
            session=session, ticket=other), "ticket.fix_unanswered")
        queued = len(probes(session))
        assert workflow.record_no_answer(session=session, ticket=other) is None
        assert probes(session)[queued:] == []
    finally:
        set_clock(None)
