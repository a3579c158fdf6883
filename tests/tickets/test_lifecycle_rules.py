"""The lifecycle rules residents are told, each stated in words and checked through the doors
people use (the resident's signed links, the staff actions), never read from the transition
table. A refused move answers with a 4xx and leaves the ticket, its events and its messages as
they were.

Times are Ho Chi Minh City's (UTC+7); the roads category gives 24 hours to acknowledge and 5
working days to resolve; every expected moment is written out by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from core.clock import as_utc
from core.errors import HotlineError
from notify.models import OutboundMessage
from tests import factories
from tickets import links, sweeps, workflow
from tickets.models import Ticket, TicketEvent, TicketState

# Monday 2 March 2026, 09:00 local
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
STAFF = workflow.Actor(type="staff", id=None, label="agent")


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(T0)


def footprint(session: Session, ticket: Ticket) -> tuple[Any, ...]:
    """What a refused move must leave unchanged."""
    session.expire_all()
    fresh = session.get(Ticket, ticket.id)
    assert fresh is not None
    events = session.execute(
        select(func.count()).select_from(TicketEvent).where(col(TicketEvent.ticket_id) == ticket.id)
    ).scalar_one()
    messages = session.execute(
        select(func.count())
        .select_from(OutboundMessage)
        .where(col(OutboundMessage.ticket_id) == ticket.id)
    ).scalar_one()
    return (fresh.state, fresh.resolution, fresh.reopen_count, fresh.rating,
            as_utc(fresh.resolve_due_at), events, messages)


def resolved_ticket(session: Session, clock: list[datetime], **values: Any) -> Ticket:
    ticket = factories.routed_ticket(session, category_id="roads", **values)
    workflow.acknowledge(session=session, ticket=ticket, actor=STAFF)
    clock[0] = T0 + timedelta(days=1)  # Tuesday 3 March, 09:00 local
    workflow.resolve(session=session, ticket=ticket, resolution="Đã vá ổ gà.", actor=STAFF)
    session.commit()
    return ticket


def reopen_link(client: Any, ticket: Ticket, token: str, reason: str = "Lại bể rồi.") -> Any:
    return client.post(
        f"/status/{ticket.code}/reopen", data={"t": token, "reason": reason},
        follow_redirects=False,
    )


# --- a resolved ticket can be reopened only by its resident, within 7 days -------------


def test_the_resident_reopens_a_resolved_ticket_within_seven_days(
    pg_session: Session, pg_client: Any, clock: list[datetime]
) -> None:
    ticket = resolved_ticket(pg_session, clock)
    clock[0] = T0 + timedelta(days=8) - timedelta(minutes=1)  # resolved + 7 days - 1 minute
    answer = reopen_link(pg_client, ticket, links.make_token(ticket, "rate"))
    assert answer.status_code == 303, answer.text
    pg_session.refresh(ticket)
    assert ticket.state == TicketState.in_progress
    assert ticket.reopen_count == 1
    assert ticket.agency_id == "transport"  # back with the same agency


def test_after_seven_days_the_resident_can_no_longer_reopen(
    pg_session: Session, pg_client: Any, clock: list[datetime]
) -> None:
    ticket = resolved_ticket(pg_session, clock)
    before = footprint(pg_session, ticket)
    clock[0] = T0 + timedelta(days=8, minutes=1)  # resolved + 7 days + 1 minute
    answer = reopen_link(pg_client, ticket, links.make_token(ticket, "rate"))
    assert answer.status_code == 409
    assert footprint(pg_session, ticket) == before


def test_only_the_residents_own_link_reopens(
    pg_session: Session, pg_client: Any, clock: list[datetime]
) -> None:
    ticket = resolved_ticket(pg_session, clock)
    other = resolved_ticket(pg_session, clock)
    before = footprint(pg_session, ticket)
    clock[0] = T0 + timedelta(days=2)
    for token in ("", "forged", links.make_token(other, "rate"),
                  links.make_token(ticket, "answer")):
        answer = reopen_link(pg_client, ticket, token)
        assert answer.status_code == 403, token
    assert footprint(pg_session, ticket) == before


def test_staff_cannot_reopen(pg_session: Session, clock: list[datetime]) -> None:
    from staff import flows
    from tests.staff import helpers

    ticket = resolved_ticket(pg_session, clock)
    agent = helpers.user(pg_session, "agent", "transport", email="agent@example.org")
    pg_session.commit()
    before = footprint(pg_session, ticket)
    # "start" would put the resolved ticket back to work: a reopening without the resident,
    # without the window and without a fresh deadline
    for action in ("reopen", "start", "acknowledge", "resolve"):
        with pytest.raises(HotlineError) as refused:
            flows.perform(session=pg_session, user=agent, ticket=ticket, action=action,
                          payload={"resolution": "again", "reason": "again"})
        assert 400 <= refused.value.status_code < 500, action
        pg_session.rollback()
    assert footprint(pg_session, ticket) == before


def test_a_closed_ticket_cannot_be_reopened(
    pg_session: Session, pg_client: Any, clock: list[datetime]
) -> None:
    ticket = resolved_ticket(pg_session, clock)
    # the sweep closes it once the 7 days have passed
    clock[0] = T0 + timedelta(days=8, minutes=1)
    assert sweeps.close_resolved(session=pg_session, now=clock[0]) == 1
    before = footprint(pg_session, ticket)
    assert before[0] == TicketState.closed
    answer = reopen_link(pg_client, ticket, links.make_token(ticket, "rate"))
    assert answer.status_code == 409
    assert footprint(pg_session, ticket) == before
    # nor through the service, whatever the clock says
    clock[0] = T0 + timedelta(days=2)
    pg_session.refresh(ticket)
    with pytest.raises(HotlineError):
        workflow.reopen(session=pg_session, ticket=ticket, reason="Lại bể rồi.")
    pg_session.rollback()
    assert footprint(pg_session, ticket) == before


# --- a rejected ticket is finished -----------------------------------------------------


def rejected_ticket(session: Session) -> Ticket:
    ticket = factories.routed_ticket(session, category_id="roads", reporter_phone="+84903123456")
    workflow.acknowledge(session=session, ticket=ticket, actor=STAFF)
    workflow.reject(session=session, ticket=ticket, reason="spam", actor=STAFF)
    session.commit()
    return ticket


def test_a_rejected_ticket_cannot_be_resolved(pg_session: Session, clock: list[datetime]) -> None:
    ticket = rejected_ticket(pg_session)
    before = footprint(pg_session, ticket)
    with pytest.raises(HotlineError) as refused:
        workflow.resolve(session=pg_session, ticket=ticket, resolution="Đã xử lý.", actor=STAFF)
    assert refused.value.status_code == 409
    pg_session.rollback()
    assert footprint(pg_session, ticket) == before
    assert before[1] is None  # no resolution text was kept


def test_a_rejected_ticket_cannot_be_worked_on_reopened_rated_or_answered(
    pg_session: Session, pg_client: Any, clock: list[datetime]
) -> None:
    ticket = rejected_ticket(pg_session)
    before = footprint(pg_session, ticket)
    refusals = [
        lambda: workflow.start_work(session=pg_session, ticket=ticket, actor=STAFF),
        lambda: workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF),
        lambda: workflow.request_information(
            session=pg_session, ticket=ticket, question="Số nhà?", actor=STAFF),
        lambda: workflow.transfer(session=pg_session, ticket=ticket, agency_id="drainage",
                                 reason="wrong agency", actor=STAFF),
        lambda: workflow.reopen(session=pg_session, ticket=ticket, reason="Chưa xử lý"),
        lambda: workflow.rate(session=pg_session, ticket=ticket, rating=1),
    ]
    for refuse in refusals:
        with pytest.raises(HotlineError):
            refuse()
        pg_session.rollback()
    assert reopen_link(pg_client, ticket, links.make_token(ticket, "rate")).status_code == 409
    answer = pg_client.post(
        f"/status/{ticket.code}/answer",
        data={"t": links.make_token(ticket, "answer"), "text": "Số 12"}, follow_redirects=False,
    )
    assert answer.status_code == 409
    assert footprint(pg_session, ticket) == before


# --- waiting for the resident pauses the resolve clock; the answer resumes it -------------


def test_waiting_for_the_resident_pauses_the_resolve_clock_and_the_answer_resumes_it(
    pg_session: Session, clock: list[datetime]
) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads",
                                     reporter_phone="+84903123456")
    # routed Monday 2 March 09:00 local: due Monday 9 March 09:00 local
    assert as_utc(ticket.resolve_due_at) == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    # asked Wednesday 4 March 09:00 local
    clock[0] = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    workflow.request_information(session=pg_session, ticket=ticket, question="Số nhà?",
                                actor=STAFF)
    assert ticket.state == TicketState.waiting_for_resident
    # while waiting, the deadline passes without an escalation
    clock[0] = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    pg_session.commit()
    assert sweeps.sweep_deadlines(session=pg_session, now=clock[0]).counts[
        "resolve_escalations"] == 0
    # answered Tuesday 10 March 09:00 local, 6 days (144 h) later: the deadline moves by the
    # time spent waiting, to Sunday 15 March 09:00 local, and the agency works again
    workflow.take_answer(session=pg_session, ticket=ticket, text="Số 12",
                                     channel="web")
    assert ticket.state == TicketState.in_progress
    assert as_utc(ticket.resolve_due_at) == datetime(2026, 3, 15, 2, 0, tzinfo=UTC)
    assert ticket.paused_seconds == 144 * 3600 and ticket.paused_at is None
    pg_session.commit()
    # the clock runs again: one minute after the moved deadline it escalates
    clock[0] = datetime(2026, 3, 15, 2, 1, tzinfo=UTC)
    assert sweeps.sweep_deadlines(session=pg_session, now=clock[0]).counts[
        "resolve_escalations"] == 1


def test_an_answer_when_nobody_waits_moves_no_deadline(
    pg_session: Session, clock: list[datetime]
) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads")
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    clock[0] = T0 + timedelta(days=2)
    workflow.take_answer(session=pg_session, ticket=ticket, text="Thêm ảnh",
                                     channel="web")
    assert ticket.state == TicketState.acknowledged
    assert as_utc(ticket.resolve_due_at) == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    assert ticket.paused_seconds == 0


def test_resolving_while_waiting_ends_the_pause(pg_session: Session, clock: list[datetime]) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads",
                                     reporter_phone="+84903123456")
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.request_information(session=pg_session, ticket=ticket, question="Số nhà?",
                                actor=STAFF)
    clock[0] = T0 + timedelta(hours=5)
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Đã tìm ra, đã vá.",
                    actor=STAFF)
    assert ticket.paused_at is None and ticket.paused_seconds == 5 * 3600


# --- passing a ticket around never buys time -------------------------------------------


def test_a_transfer_keeps_the_residents_resolve_deadline(
    pg_session: Session, clock: list[datetime]
) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads")
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    clock[0] = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # Wednesday 4 March, 09:00 local
    workflow.transfer(session=pg_session, ticket=ticket, agency_id="urban_infrastructure",
                     reason="Cầu thuộc khu đô thị", actor=STAFF)
    assert ticket.agency_id == "urban_infrastructure"
    # still Monday 9 March 09:00 local; the new agency has 24 h to acknowledge
    assert as_utc(ticket.resolve_due_at) == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    assert as_utc(ticket.ack_due_at) == datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    assert ticket.acknowledged_at is None and ticket.transfer_count == 1


def test_a_resolved_ticket_cannot_be_transferred(
    pg_session: Session, clock: list[datetime]
) -> None:
    ticket = resolved_ticket(pg_session, clock)
    before = footprint(pg_session, ticket)
    with pytest.raises(HotlineError):
        workflow.transfer(session=pg_session, ticket=ticket, agency_id="drainage",
                         reason="wrong agency", actor=STAFF)
    pg_session.rollback()
    assert footprint(pg_session, ticket) == before


# --- one rating per answer -------------------------------------------------------------


def test_a_resident_rates_each_resolution_once(
    pg_session: Session, clock: list[datetime]
) -> None:
    ticket = resolved_ticket(pg_session, clock)
    workflow.rate(session=pg_session, ticket=ticket, rating=2)
    with pytest.raises(HotlineError):
        workflow.rate(session=pg_session, ticket=ticket, rating=5)
    assert ticket.rating == 2
    # reopened and resolved again: the new answer may be rated
    clock[0] = T0 + timedelta(days=2)
    workflow.reopen(session=pg_session, ticket=ticket, reason="Lại bể rồi.")
    with pytest.raises(HotlineError):  # nothing to rate while the agency works on it
        workflow.rate(session=pg_session, ticket=ticket, rating=5)
    clock[0] = T0 + timedelta(days=3)
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Đã vá lại.", actor=STAFF)
    workflow.rate(session=pg_session, ticket=ticket, rating=5)
    assert ticket.rating == 5
