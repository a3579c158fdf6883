"""Honest outcomes: a resolution says fixed, not our responsibility or cannot be done; a
committed date becomes the tracked deadline, announced and shown publicly; the estimate of time
to fix on the status page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.clock import as_utc, set_clock
from core.errors import Conflict, InvalidInput
from core.outbox import OutboxMessage
from tests import factories
from tickets import estimate, policy, workflow
from tickets.models import Outcome, TicketEvent, TicketState

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 10:00 in the city


@pytest.fixture(autouse=True)
def _clock():
    set_clock(lambda: NOW)
    yield
    set_clock(None)


def acknowledged(session, **values):
    ticket = factories.routed_ticket(session, category_id="lighting", **values)
    workflow.acknowledge(session=session, ticket=ticket, actor=factories.STAFF)
    return ticket


def test_a_scheduled_date_becomes_the_deadline_with_one_event(session) -> None:
    ticket = acknowledged(session, reporter_phone="+84901234567")
    day = NOW.date() + timedelta(days=20)
    event = workflow.schedule(session=session, ticket=ticket, day=day,
                              note="Thay cáp ngầm", actor=factories.STAFF)
    assert ticket.state == TicketState.in_progress and ticket.outcome == Outcome.scheduled
    assert ticket.scheduled_for == day
    # the end of that day in the city (UTC+7): the next day at 00:00 local = 17:00 UTC
    assert as_utc(ticket.resolve_due_at) == datetime(2026, 12, 23, 17, 0, tzinfo=UTC)
    assert event.kind == "scheduled" and event.data["scheduled_for"] == day.isoformat()
    tasks = [row.task for row in session.execute(select(OutboxMessage)).scalars()
             if row.args.get("event_id") == event.id]
    assert tasks == ["notify.schedule_to_resident"]
    assert not policy.is_overdue(ticket, NOW + timedelta(days=20))
    assert policy.is_overdue(ticket, datetime(2026, 12, 23, 17, 1, tzinfo=UTC))


def test_a_past_date_cannot_be_scheduled(session) -> None:
    ticket = acknowledged(session)
    with pytest.raises(InvalidInput):
        workflow.schedule(session=session, ticket=ticket, day=NOW.date() - timedelta(days=1),
                          note="x", actor=factories.STAFF)


def test_a_resolution_records_its_outcome(session) -> None:
    ticket = acknowledged(session)
    event = workflow.resolve(session=session, ticket=ticket, resolution="Không thể làm",
                             outcome="cannot_be_done", actor=factories.STAFF)
    assert ticket.outcome == Outcome.cannot_be_done and event.data["outcome"] == "cannot_be_done"
    with pytest.raises(InvalidInput):
        workflow.resolve(session=session, ticket=acknowledged(session), resolution="x",
                         outcome="maybe", actor=factories.STAFF)


def test_asking_a_not_fixed_resolution_is_refused(session) -> None:
    ticket = acknowledged(session)
    workflow.resolve(session=session, ticket=ticket, resolution="Không thuộc thẩm quyền",
                     outcome="not_responsible", actor=factories.STAFF)
    with pytest.raises(Conflict):
        workflow.ask_if_fixed(session=session, ticket=ticket, channel="sms")


def test_the_scheduled_date_shows_on_the_public_page(client, session) -> None:
    ticket = acknowledged(session)
    workflow.schedule(session=session, ticket=ticket, day=NOW.date() + timedelta(days=3),
                      note="Thay bóng", actor=factories.STAFF)
    page = client.get(f"/status/{ticket.code}?lang=vi")
    assert 'id="scheduled-for"' in page.text and "06/12/2026" in page.text
    events = session.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                       TicketEvent.kind == "scheduled")).all()
    assert len(events) == 1


def _resolved_in(session, days: float, area_id: str = "26743") -> None:
    ticket = factories.routed_ticket(session, category_id="lighting", area_id=area_id)
    ticket.state = TicketState.resolved
    ticket.created_at = NOW - timedelta(days=30)
    ticket.resolved_at = ticket.created_at + timedelta(days=days)
    session.add(ticket)
    session.flush()


def test_the_estimate_is_the_median_and_quartiles_of_recent_resolutions(client, session) -> None:
    for days in range(1, 13):  # 1 .. 12 days
        _resolved_in(session, days)
    ticket = factories.routed_ticket(session, category_id="lighting")
    found = estimate.estimate(session=session, ticket=ticket)
    assert found is not None and found.reports == 12 and found.scope == "ward"
    assert found.median_days == pytest.approx(6.5)
    # inclusive quartiles of 1..12: 3.75 and 9.25
    assert (found.low_days, found.high_days) == (pytest.approx(3.75), pytest.approx(9.25))
    page = client.get(f"/status/{ticket.code}?lang=en")
    assert 'id="estimate"' in page.text and "About 6.5 days" in page.text
    assert "not a promise" in page.text


def test_too_few_resolutions_give_no_estimate(session) -> None:
    for days in range(1, 5):
        _resolved_in(session, days)
    ticket = factories.routed_ticket(session, category_id="lighting")
    assert estimate.estimate(session=session, ticket=ticket) is None
