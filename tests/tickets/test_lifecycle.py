"""The lifecycle: every allowed move is recorded, every other move is refused."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import Session

from core.errors import IllegalTransition
from tests import factories
from tickets import lifecycle
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
    ticket = factories.ticket(session)
    path = [TicketState.triage, TicketState.routed, TicketState.acknowledged,
            TicketState.in_progress, TicketState.waiting_for_resident, TicketState.in_progress,
            TicketState.resolved, TicketState.closed]
    for target in path:
        before = ticket.state
        event = tickets_service.change_state(session=session, ticket=ticket, to_state=target)
        assert (event.from_state, event.to_state) == (before, target)
    kinds = session.query(TicketEvent).filter(TicketEvent.ticket_id == ticket.id).count()
    assert kinds == 1 + len(path)  # "created" plus one per move
    assert ticket.state == TicketState.closed


def test_an_illegal_transition_changes_nothing(session: Session) -> None:
    ticket = factories.ticket(session)
    events_before = len(tickets_service.events(session=session, ticket=ticket, public_only=False))
    with pytest.raises(IllegalTransition, match="cannot become resolved"):
        tickets_service.change_state(session=session, ticket=ticket, to_state="resolved")
    assert ticket.state == TicketState.received
    events_after = len(tickets_service.events(session=session, ticket=ticket, public_only=False))
    assert events_after == events_before
