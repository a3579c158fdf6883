"""One entry for every staff action on a ticket, shared by the pages and the JSON API.

It checks who may act (staff.service.check_act) before calling the workflow (tickets.workflow).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from core.dates import parse_date
from core.errors import Conflict, Forbidden, InvalidInput
from staff import service
from staff.models import Role, StaffUser
from tickets import service as tickets_service
from tickets import workflow
from tickets.models import ActorType, Ticket, TicketEvent, TicketState

ACTIONS = (
    "acknowledge",
    "start",
    "transfer",
    "request_info",
    "note",
    "resolve",
    "schedule",
    "reject",
    "categorize",
    "merge",
    "unmerge",
    "set_place",
)


def actor_of(user: StaffUser) -> tickets_service.Actor:
    return tickets_service.Actor(type=ActorType.staff, id=user.id, label=user.name)


def load_ticket(*, session: Session, user: StaffUser, ticket_id: int, for_update: bool) -> Ticket:
    ticket = tickets_service.get_ticket(session=session, ticket_id=ticket_id, for_update=for_update)
    service.check_view(user, ticket)
    return ticket


def _str(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("This field must be text.", field=key)
    return value


def perform(
    *, session: Session, user: StaffUser, ticket: Ticket, action: str, payload: Mapping[str, Any]
) -> TicketEvent:
    if action not in ACTIONS:
        raise InvalidInput("Unknown action %(value)s.", field="action", value=action)
    if action in ("merge", "unmerge"):
        return _merge(session=session, user=user, ticket=ticket, action=action, payload=payload)
    service.check_act(
        user, ticket,
        triage=action == "categorize"
        or (action == "set_place" and ticket.state == TicketState.triage),
    )
    actor = actor_of(user)
    if action == "acknowledge":
        return workflow.acknowledge(session=session, ticket=ticket, actor=actor)
    if action == "start":
        return workflow.start_work(session=session, ticket=ticket, actor=actor)
    if action == "transfer":
        return workflow.transfer(
            session=session,
            ticket=ticket,
            agency_id=_str(payload, "agency_id"),
            reason=_str(payload, "reason"),
            actor=actor,
        )
    if action == "request_info":
        return workflow.request_information(
            session=session, ticket=ticket, question=_str(payload, "question"), actor=actor
        )
    if action == "set_place":
        return workflow.set_place(
            session=session, ticket=ticket, area_id=_str(payload, "area_id"), actor=actor
        )
    if action == "note":
        text = _str(payload, "text")
        return workflow.add_note(session=session, ticket=ticket, text=text, actor=actor)
    if action == "resolve":
        return workflow.resolve(
            session=session,
            ticket=ticket,
            resolution=_str(payload, "resolution"),
            outcome=_str(payload, "outcome") or "fixed",
            actor=actor,
        )
    if action == "schedule":
        day = parse_date(_str(payload, "scheduled_for"), field="scheduled_for")
        if day is None:
            raise InvalidInput("Give the date the work is planned for.", field="scheduled_for")
        return workflow.schedule(
            session=session, ticket=ticket, day=day, note=_str(payload, "note"), actor=actor
        )
    if action == "reject":
        return workflow.reject(
            session=session,
            ticket=ticket,
            reason=_str(payload, "reason"),
            duplicate_of=_str(payload, "duplicate_of") or None,
            note=_str(payload, "note") or None,
            actor=actor,
        )
    return workflow.set_category(
        session=session,
        ticket=ticket,
        category_id=_str(payload, "category_id"),
        area_id=_str(payload, "area_id") or None,
        actor=actor,
    )


def _merge(
    *, session: Session, user: StaffUser, ticket: Ticket, action: str, payload: Mapping[str, Any]
) -> TicketEvent:
    """Merge a ticket into a master (or undo it). Within one agency its staff may; across
    agencies only the triage desk (or an admin)."""
    if action == "merge":
        master = workflow.find_ticket(session=session, reference=_str(payload, "master"))
    else:
        if ticket.duplicate_of_id is None:
            raise Conflict("This ticket is not merged into another.")
        master = tickets_service.get_ticket(session=session, ticket_id=ticket.duplicate_of_id)
    if user.role == Role.official:
        raise Forbidden("City officials can read tickets but not change them.")
    if master.agency_id != ticket.agency_id:
        if user.role not in (Role.triage_agent, Role.admin):
            raise Forbidden("Only the triage desk merges tickets of different agencies.")
    else:
        service.check_act(user, ticket)
    if action == "merge":
        return workflow.merge(
            session=session,
            ticket=ticket,
            master=master,
            actor=actor_of(user),
            note=_str(payload, "note") or None,
        )
    return workflow.unmerge(session=session, ticket=ticket, actor=actor_of(user))


def show_contact(*, session: Session, user: StaffUser, ticket: Ticket) -> TicketEvent:
    """Reveal the resident's contact to this staff member, and record that they saw it (an
    internal audit event: never public, announces nothing)."""
    if not service.can_see_contact(user, ticket):
        raise Forbidden("Only the responsible agency's staff see the resident's contact.")
    event = tickets_service.record_event(
        session=session,
        ticket=ticket,
        kind="contact_viewed",
        actor=actor_of(user),
        public=False,
        data={"fields": [f for f in ("phone", "email") if getattr(ticket, f"reporter_{f}")]},
    )
    session.flush()
    return event
