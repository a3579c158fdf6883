"""The lifecycle: every allowed move is recorded, every other move is refused."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import Session

from core.errors import IllegalTransition
from tests import factories
from tickets import lifecycle, workflow
from tickets import service as tickets_service
from tickets.models import TicketEvent, TicketState

ALL_STATES = list(TicketState)
PAIRS = list(itertools.product(ALL_STATES, ALL_STATES))


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_check_allows_exactly_the_listed_transitions(source: TicketState,
                                                     target: TicketState) -> None:
    if target in lifecycle.TRANSITIONS[source]:
        lifecycle.check(source, target)
    else:
        with pytest.raises(IllegalTransition):
            lifecycle.check(source, target)


def test_final_states_have_no_way_out() -> None:
    assert all(not lifecycle.TRANSITIONS[state] for state in lifecycle.FINAL_STATES)


def test_each_transition_writes_an_event_with_both_states(session: Session) -> None:
    ticket = factories.ticket(session, reporter_phone="+84901234567")
    steps = [
        (TicketState.triage, lambda: workflow.send_to_triage(
            session=session, ticket=ticket, reason="test")),
        (TicketState.routed, lambda: workflow.route(
            session=session, ticket=ticket, agency_id="transport", category_id="roads")),
        (TicketState.acknowledged, lambda: workflow.acknowledge(
            session=session, ticket=ticket, actor=factories.STAFF)),
        (TicketState.in_progress, lambda: workflow.start_work(
            session=session, ticket=ticket, actor=factories.STAFF)),
        (TicketState.waiting_for_resident, lambda: workflow.request_information(
            session=session, ticket=ticket, question="Where?", actor=factories.STAFF)),
        (TicketState.in_progress, lambda: workflow.take_answer(
            session=session, ticket=ticket, text="Here.", channel="web")),
        (TicketState.resolved, lambda: workflow.resolve(
            session=session, ticket=ticket, resolution="Done.", actor=factories.STAFF)),
        (TicketState.closed, lambda: workflow.close(
            session=session, ticket=ticket, reason="test")),
    ]
    for target, step in steps:
        before = ticket.state
        event = step()
        assert (event.from_state, event.to_state) == (before, target)
    kinds = session.query(TicketEvent).filter(TicketEvent.ticket_id == ticket.id).count()
    assert kinds == 1 + len(steps)  # "created" plus one per move
    assert ticket.state == TicketState.closed


def test_an_illegal_transition_changes_nothing(session: Session) -> None:
    ticket = factories.ticket(session)
    events_before = len(tickets_service.events(session=session, ticket=ticket, public_only=False))
    with pytest.raises(IllegalTransition, match="cannot become resolved"):
        workflow.resolve(
            session=session, ticket=ticket, resolution="Done.", actor=factories.STAFF
        )
    assert ticket.state == TicketState.received
    events_after = len(tickets_service.events(session=session, ticket=ticket, public_only=False))
    assert events_after == events_before
