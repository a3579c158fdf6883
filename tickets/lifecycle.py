"""The ticket's states and the moves allowed between them, in one place."""

from __future__ import annotations

from core.errors import IllegalTransition
from tickets.models import TicketState as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.received: frozenset({S.triage, S.routed, S.rejected}),
    S.triage: frozenset({S.routed, S.rejected}),
    # routed -> routed is a transfer to another agency; -> triage sends it back to the desk
    S.routed: frozenset({S.routed, S.triage, S.acknowledged, S.rejected}),
    S.acknowledged: frozenset(
        {S.routed, S.triage, S.in_progress, S.waiting_for_resident, S.resolved, S.rejected}
    ),
    S.in_progress: frozenset({S.routed, S.triage, S.waiting_for_resident, S.resolved, S.rejected}),
    S.waiting_for_resident: frozenset({S.in_progress, S.resolved, S.rejected}),
    # a resident may reopen a resolved ticket (within the reopen window)
    S.resolved: frozenset({S.closed, S.in_progress}),
    S.closed: frozenset(),
    S.rejected: frozenset(),
}

OPEN_STATES = frozenset(
    {S.received, S.triage, S.routed, S.acknowledged, S.in_progress, S.waiting_for_resident}
)
# states in which the agency owns the ticket and the resolve clock runs
CLOCK_STATES = frozenset({S.routed, S.acknowledged, S.in_progress})
FINAL_STATES = frozenset({S.closed, S.rejected})


# "Is it fixed?" -- "No": the resident's answer reopens the ticket even after the reopen window
# has closed it (tickets.workflow.report_not_fixed). No other move leaves a closed ticket.
NOT_FIXED_FROM = frozenset({S.resolved, S.closed})


def check(from_state: str, to_state: str) -> None:
    source, target = S(from_state), S(to_state)
    if target not in TRANSITIONS[source]:
        raise IllegalTransition(
            "A ticket that is %(current)s cannot become %(target)s.",
            current=source.value.replace("_", " "),
            target=target.value.replace("_", " "),
        )


def allowed(from_state: str) -> frozenset[S]:
    return TRANSITIONS[S(from_state)]
