"""Deadlines are set when a ticket is routed, and pausing for the resident stops the clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from core.clock import as_utc
from routing.models import Category
from tests import factories
from tickets import deadlines, workflow
from tickets.models import TicketState

# a Monday morning in Ho Chi Minh City (01:00 UTC = 08:00 local), no holiday that week
MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(MONDAY)


def test_routing_sets_24h_to_acknowledge_and_the_category_days_to_resolve(
    session: Session, clock: list[datetime]
) -> None:
    ticket = factories.routed_ticket(session, category_id="roads")
    category = session.get(Category, "roads")
    assert category is not None
    assert as_utc(ticket.ack_due_at) == MONDAY + timedelta(hours=24)
    expected = deadlines.add_working_days(MONDAY, category.resolve_working_days,
                                          timezone="Asia/Ho_Chi_Minh", country="VN",
                                          working_days=(0, 1, 2, 3, 4))
    assert as_utc(ticket.resolve_due_at) == expected
    assert as_utc(ticket.resolve_due_at) > MONDAY + timedelta(days=category.resolve_working_days)


def test_urgent_tickets_must_be_resolved_in_24_hours(session: Session,
                                                     clock: list[datetime]) -> None:
    ticket = factories.ticket(session)
    ticket.urgent = True
    workflow.route(session=session, ticket=ticket, agency_id="transport",
                          category_id="roads")
    assert as_utc(ticket.resolve_due_at) == MONDAY + timedelta(hours=24)


def test_working_days_skip_weekends_and_public_holidays() -> None:
    friday = datetime(2026, 3, 6, 3, 0, tzinfo=UTC)
    assert deadlines.add_working_days(friday, 1, timezone="Asia/Ho_Chi_Minh", country="VN",
                                      working_days=(0, 1, 2, 3, 4)).weekday() == 0
    # 30 April and 1 May 2026 (Thursday, Friday) are public holidays in Viet Nam
    wednesday = datetime(2026, 4, 29, 3, 0, tzinfo=UTC)
    due = deadlines.add_working_days(wednesday, 1, timezone="Asia/Ho_Chi_Minh", country="VN",
                                     working_days=(0, 1, 2, 3, 4))
    assert due.date() == datetime(2026, 5, 4).date()


def test_waiting_for_the_resident_pauses_the_resolution_clock(
    session: Session, clock: list[datetime]
) -> None:
    ticket = factories.routed_ticket(session)
    due = as_utc(ticket.resolve_due_at)
    ticket.reporter_phone = "+84901234567"
    workflow.acknowledge(session=session, ticket=ticket, actor=factories.STAFF)
    workflow.request_information(
        session=session, ticket=ticket, question="Which house?", actor=factories.STAFF
    )
    clock[0] = MONDAY + timedelta(hours=30)
    workflow.take_answer(session=session, ticket=ticket, text="Number 42.", channel="web")
    assert as_utc(ticket.resolve_due_at) == due + timedelta(hours=30)
    assert ticket.paused_seconds == 30 * 3600
    assert ticket.paused_at is None


def test_a_transfer_restarts_acknowledgement_but_keeps_the_resolution_deadline(
    session: Session, clock: list[datetime]
) -> None:
    ticket = factories.routed_ticket(session, category_id="roads")
    due = as_utc(ticket.resolve_due_at)
    clock[0] = MONDAY + timedelta(hours=5)
    event = workflow.route(session=session, ticket=ticket, agency_id="urban_infrastructure",
                                  category_id=None)
    assert event.kind == "transferred"
    assert ticket.transfer_count == 1
    assert as_utc(ticket.ack_due_at) == clock[0] + timedelta(hours=24)
    assert as_utc(ticket.resolve_due_at) == due
    assert ticket.state == TicketState.routed
