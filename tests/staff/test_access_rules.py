"""Who may see and change a ticket, rule by rule, on the check functions themselves (no database:
fast enough for mutation testing). tests/staff/test_access.py checks the same through the pages
and the API.

- An agent or agency head sees and acts on their own agency's tickets, and no other's.
- Staff of an agency never set a ticket's category: that is the triage desk's job.
- The triage desk sees what waits to be sorted (state triage, or held by the hotline desk) and
  acts only on what the desk holds.
- City officials read every ticket and change none.
- An administrator sees and does everything.
"""

from __future__ import annotations

import pytest

from core.errors import Forbidden
from routing.taxonomy import TRIAGE_AGENCY
from staff import service
from staff.models import StaffUser
from tickets.models import Ticket, TicketState


def person(role: str, agency_id: str | None) -> StaffUser:
    return StaffUser(email=f"{role}@example.org", name=role, password_hash="x", role=role,
                     agency_id=agency_id)


def ticket(agency_id: str | None, state: str = TicketState.routed) -> Ticket:
    return Ticket(code="ABCD2345", channel="web", state=state, description="x",
                  agency_id=agency_id)


OURS = ticket("transport")
THEIRS = ticket("drainage")
AT_DESK = ticket(TRIAGE_AGENCY, TicketState.triage)
SORTING = ticket(None, TicketState.triage)  # in triage, no agency yet
SENT_ON = ticket("drainage", TicketState.routed)  # the desk routed it to an agency


def allowed(check: object, *args: object, **kwargs: object) -> bool:
    try:
        check(*args, **kwargs)  # type: ignore[operator]
    except Forbidden:
        return False
    return True


@pytest.mark.parametrize("role", ["agent", "agency_head"])
def test_agency_staff_see_and_act_on_their_own_agency_only(role: str) -> None:
    user = person(role, "transport")
    assert service.can_view(user, OURS) and allowed(service.check_act, user, OURS)
    for other in (THEIRS, AT_DESK, SORTING):
        assert not service.can_view(user, other)
        assert not allowed(service.check_view, user, other)
        assert not allowed(service.check_act, user, other)


@pytest.mark.parametrize("role", ["agent", "agency_head"])
def test_agency_staff_never_set_the_category(role: str) -> None:
    user = person(role, "transport")
    assert not allowed(service.check_act, user, OURS, triage=True)


def test_staff_without_an_agency_see_nothing() -> None:
    user = person("agent", None)
    unassigned = ticket(None)
    assert not service.can_view(user, unassigned)
    assert not service.can_view(user, OURS)


def test_the_triage_desk_sees_what_waits_to_be_sorted() -> None:
    desk = person("triage_agent", TRIAGE_AGENCY)
    assert service.can_view(desk, AT_DESK) and service.can_view(desk, SORTING)
    assert service.can_view(desk, ticket(TRIAGE_AGENCY, TicketState.received))
    assert not service.can_view(desk, SENT_ON)
    assert not allowed(service.check_view, desk, OURS)


def test_the_triage_desk_acts_only_on_what_it_holds() -> None:
    desk = person("triage_agent", TRIAGE_AGENCY)
    assert allowed(service.check_act, desk, AT_DESK)
    assert allowed(service.check_act, desk, AT_DESK, triage=True)
    # sees a ticket in triage that another agency still holds, but does not act on it
    held_elsewhere = ticket("drainage", TicketState.triage)
    assert service.can_view(desk, held_elsewhere)
    assert not allowed(service.check_act, desk, held_elsewhere)
    assert not allowed(service.check_act, desk, SENT_ON)


def test_officials_read_everything_and_change_nothing() -> None:
    official = person("official", None)
    for any_ticket in (OURS, THEIRS, AT_DESK, SORTING):
        assert service.can_view(official, any_ticket)
        assert allowed(service.check_view, official, any_ticket)
        assert not allowed(service.check_act, official, any_ticket)
        assert not allowed(service.check_act, official, any_ticket, triage=True)


def test_an_administrator_sees_and_does_everything() -> None:
    admin = person("admin", None)
    for any_ticket in (OURS, THEIRS, AT_DESK, SORTING):
        assert service.can_view(admin, any_ticket)
        assert allowed(service.check_act, admin, any_ticket)
        assert allowed(service.check_act, admin, any_ticket, triage=True)


def test_refusals_say_why_in_words() -> None:
    """The exact catalog keys: a changed text would lose its Vietnamese translation."""
    refusals = [
        (lambda: service.check_act(person("official", None), OURS),
         "City officials can read tickets but not change them."),
        (lambda: service.check_act(person("agent", "transport"), OURS, triage=True),
         "Only the triage desk sets the category of a ticket."),
        (lambda: service.check_view(person("agent", "transport"), THEIRS),
         "This ticket belongs to another agency."),
        (lambda: service.check_act(person("triage_agent", TRIAGE_AGENCY),
                                   ticket("drainage", TicketState.triage)),
         "This ticket belongs to another agency."),
    ]
    for refuse, message in refusals:
        with pytest.raises(Forbidden) as refused:
            refuse()
        assert refused.value.message == message
