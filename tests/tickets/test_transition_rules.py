"""The transitions named by issue 19 (tickets/workflow.py), in the details a resident or an
agency relies on; PostgreSQL, the clock pinned (Monday 2 March 2026, 09:00 in the city).

- Every transition stamps the ticket (updated, acknowledged once, resolved, closed and
  reopened from closed) and records who moved it from which state to which.
- A resolution records its words (trimmed), its outcome and the reopen count, and clears the
  previous "is it fixed?" answer; an outcome that is not a resolution is refused, naming it.
- A transfer goes to an active agency other than the current one, with the reason; a transfer
  to the hotline desk sends the ticket back to triage.
- The agency may ask a resident it can reach (phone, e-mail, or the Zalo chat); an answer when
  nobody waits joins the ticket and moves no state.
- Staff cannot put a resolved ticket back to work; only the resident's reopening can, and it
  counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from core.errors import Conflict, InvalidInput
from routing.models import Agency
from tests import factories
from tickets import workflow
from tickets.models import Ticket, TicketState

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
STAFF = workflow.Actor(type="staff", id=7, label="Agent Lan")
PHONE = "+84901234567"


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(T0)


@pytest.fixture
def ticket(pg_session: Session, clock: list[datetime]) -> Ticket:
    return factories.routed_ticket(pg_session, category_id="roads", reporter_phone=PHONE)


def test_each_transition_stamps_the_ticket_and_records_who_and_from_where(
    pg_session: Session, ticket: Ticket, clock: list[datetime]
) -> None:
    clock[0] = T0 + timedelta(hours=1)
    event = workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    assert (event.from_state, event.to_state, event.kind) == ("routed", "acknowledged",
                                                              "acknowledged")
    assert (event.actor_type, event.actor_id, event.actor_label) == ("staff", 7, "Agent Lan")
    assert event.created_at == clock[0] and event.public is True
    assert ticket.acknowledged_at == clock[0] and ticket.updated_at == clock[0]
    assert event.data == {"agency_id": "transport"}

    clock[0] = T0 + timedelta(hours=2)
    started = workflow.start_work(session=pg_session, ticket=ticket, actor=STAFF)
    assert (started.kind, started.from_state, started.to_state) == (
        "work_started", "acknowledged", "in_progress"
    )
    assert ticket.updated_at == clock[0]

    clock[0] = T0 + timedelta(hours=3)
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Done.", actor=STAFF)
    assert ticket.resolved_at == clock[0] and ticket.closed_at is None

    clock[0] = T0 + timedelta(days=8)
    workflow.close(session=pg_session, ticket=ticket, reason="reopen_window_passed")
    assert ticket.state == TicketState.closed and ticket.closed_at == clock[0]


def test_acknowledged_at_keeps_the_first_acknowledgement(
    pg_session: Session, ticket: Ticket, clock: list[datetime]
) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    first = ticket.acknowledged_at
    ticket.state = TicketState.in_progress  # as if the work went on, then came back
    clock[0] = T0 + timedelta(days=1)
    workflow._transition(session=pg_session, ticket=ticket, to_state=TicketState.acknowledged,
                         kind="acknowledged", checked=True)
    assert ticket.acknowledged_at == first == T0


def test_a_closed_ticket_that_comes_back_is_no_longer_closed(
    pg_session: Session, ticket: Ticket, clock: list[datetime]
) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Done.", actor=STAFF)
    workflow.close(session=pg_session, ticket=ticket, reason="reopen_window_passed")
    assert ticket.closed_at == T0
    workflow._transition(session=pg_session, ticket=ticket, to_state=TicketState.in_progress,
                         kind="not_fixed", checked=True)
    assert ticket.closed_at is None


def test_a_resolution_records_its_words_outcome_and_reopen_count(
    pg_session: Session, ticket: Ticket
) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    ticket.fix_answer, ticket.fix_asked_at, ticket.fix_answered_at = "not_fixed", T0, T0  # type: ignore[assignment]
    ticket.reopen_count = 1
    event = workflow.resolve(session=pg_session, ticket=ticket, resolution="  Đã vá.  ",
                             actor=STAFF, outcome="cannot_be_done")
    assert (ticket.resolution, ticket.outcome) == ("Đã vá.", "cannot_be_done")
    assert (event.kind, event.message, event.data) == (
        "resolved", "Đã vá.", {"reopen_count": 1, "outcome": "cannot_be_done"}
    )
    assert (ticket.fix_answer, ticket.fix_asked_at, ticket.fix_answered_at) == (None, None, None)


@pytest.mark.parametrize("outcome", ["scheduled", "x" * 60])
def test_an_outcome_that_is_not_a_resolution_is_refused(
    pg_session: Session, ticket: Ticket, outcome: str
) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    with pytest.raises(InvalidInput) as refused:
        workflow.resolve(session=pg_session, ticket=ticket, resolution="Done.", actor=STAFF,
                         outcome=outcome)
    assert refused.value.field == "outcome"
    assert refused.value.values == {"value": outcome[:40]}
    assert ticket.state == TicketState.acknowledged and ticket.resolution is None


def test_a_transfer_carries_its_reason_and_the_agency_it_leaves(
    pg_session: Session, ticket: Ticket
) -> None:
    event = workflow.transfer(session=pg_session, ticket=ticket, agency_id="drainage",
                              reason="  Cống, không phải đường.  ", actor=STAFF)
    assert (event.kind, event.message) == ("transferred", "Cống, không phải đường.")
    assert event.data["from_agency_id"] == "transport"
    assert event.data["reason"] == "Cống, không phải đường."
    assert event.data["agency_id"] == "drainage" and ticket.agency_id == "drainage"


def test_a_transfer_to_an_inactive_agency_is_refused(pg_session: Session, ticket: Ticket) -> None:
    agency = pg_session.get(Agency, "drainage")
    assert agency is not None
    agency.active = False
    pg_session.add(agency)
    pg_session.flush()
    with pytest.raises(InvalidInput) as refused:
        workflow.transfer(session=pg_session, ticket=ticket, agency_id="drainage",
                          reason="Cống.", actor=STAFF)
    assert (refused.value.field, refused.value.values) == ("agency_id", {"value": "drainage"})
    assert ticket.agency_id == "transport"


def test_a_transfer_to_the_hotline_desk_sends_the_ticket_back_to_triage(
    pg_session: Session, ticket: Ticket
) -> None:
    event = workflow.transfer(session=pg_session, ticket=ticket, agency_id="hotline_desk",
                              reason="Not ours.", actor=STAFF)
    assert (event.kind, event.to_state) == ("sent_to_triage", "triage")
    assert event.data == {"reason": "transferred_back"}
    assert (event.actor_type, event.actor_id) == ("staff", 7)
    assert ticket.agency_id == "hotline_desk"


@pytest.mark.parametrize(
    ("contact", "reachable"),
    [
        ({"reporter_email": "lan@example.vn"}, True),
        ({"channel": "zalo"}, True),  # followed in the Zalo chat
        ({}, False),
    ],
)
def test_the_agency_may_ask_only_a_resident_it_can_reach(
    pg_session: Session, clock: list[datetime], contact: dict[str, str], reachable: bool
) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads", **contact)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    if reachable:
        event = workflow.request_information(session=pg_session, ticket=ticket,
                                             question=" Số nhà? ", actor=STAFF)
        assert (event.kind, event.message, ticket.state) == (
            "info_requested", "Số nhà?", "waiting_for_resident"
        )
        assert ticket.paused_at == T0
    else:
        with pytest.raises(Conflict) as refused:
            workflow.request_information(session=pg_session, ticket=ticket, question="Số nhà?",
                                         actor=STAFF)
        assert refused.value.field == "question"
        assert ticket.state == TicketState.acknowledged


def test_an_answer_nobody_waits_for_joins_the_ticket(pg_session: Session, ticket: Ticket) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    event = workflow.take_answer(session=pg_session, ticket=ticket, text="Thêm ảnh.",
                                 channel="sms")
    assert (event.kind, event.message, event.data) == ("info_received", "Thêm ảnh.",
                                                       {"channel": "sms"})
    assert (event.actor_type, event.from_state, event.to_state) == (
        "resident", "acknowledged", "acknowledged"
    )
    assert ticket.state == TicketState.acknowledged


def test_the_awaited_answer_resumes_the_work(
    pg_session: Session, ticket: Ticket, clock: list[datetime]
) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.request_information(session=pg_session, ticket=ticket, question="Số nhà?",
                                 actor=STAFF)
    clock[0] = T0 + timedelta(hours=5)
    event = workflow.take_answer(session=pg_session, ticket=ticket, text="Số 12.", channel="web")
    assert (event.kind, event.from_state, event.to_state) == (
        "info_received", "waiting_for_resident", "in_progress"
    )
    assert (event.actor_type, event.message, event.data) == ("resident", "Số 12.",
                                                             {"channel": "web"})
    assert ticket.paused_at is None and ticket.paused_seconds == 5 * 3600


def test_staff_cannot_put_a_resolved_ticket_back_to_work(
    pg_session: Session, ticket: Ticket
) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Done.", actor=STAFF)
    with pytest.raises(Conflict) as refused:
        workflow.start_work(session=pg_session, ticket=ticket, actor=STAFF)
    assert refused.value.message == "Only the resident can reopen a resolved report."
    assert ticket.state == TicketState.resolved


def test_a_reopening_counts_and_says_so(
    pg_session: Session, ticket: Ticket, clock: list[datetime]
) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Done.", actor=STAFF)
    clock[0] = T0 + timedelta(days=7)  # the last moment of the window
    event = workflow.reopen(session=pg_session, ticket=ticket, reason=" Lại bể. ")
    assert (event.kind, event.message, event.data) == ("reopened", "Lại bể.",
                                                       {"reopen_count": 1})
    assert (event.actor_type, event.to_state) == ("resident", "in_progress")
    assert ticket.reopen_count == 1
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Done again.", actor=STAFF)
    clock[0] += timedelta(days=7, seconds=1)
    with pytest.raises(Conflict) as refused:
        workflow.reopen(session=pg_session, ticket=ticket, reason="Again.")
    assert refused.value.message == "A report can be reopened only within 7 days of its resolution."
    assert ticket.reopen_count == 1 and ticket.state == TicketState.resolved


def test_each_reopening_is_counted(
    pg_session: Session, ticket: Ticket, clock: list[datetime]
) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    for count in (1, 2):
        workflow.resolve(session=pg_session, ticket=ticket, resolution="Done.", actor=STAFF)
        event = workflow.reopen(session=pg_session, ticket=ticket, reason="Lại bể.")
        assert ticket.reopen_count == count and event.data == {"reopen_count": count}
