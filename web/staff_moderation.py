"""Publishing what residents sent: a photo, or a resident's own words (an answer, a rating
comment, a reason to reopen). Private by default; a staff member of the ticket's agency
publishes (or hides again) one item at a time, and the timeline records who did.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from core.errors import InvalidInput, NotFound
from httpbase.deps import SessionDep
from staff import flows
from staff import service as staff_service
from staff.deps import CsrfCheckedStaff
from staff.models import StaffUser
from tickets import media
from tickets import service as tickets_service
from tickets.models import ActorType, Attachment, Ticket, TicketEvent

router = APIRouter(include_in_schema=False)
VERBS = {"publish": True, "hide": False}


def _ticket(session: Session, user: StaffUser, ticket_id: int) -> Ticket:
    ticket = flows.load_ticket(session=session, user=user, ticket_id=ticket_id, for_update=True)
    staff_service.check_act(user, ticket)
    return ticket


def _verb(verb: str) -> bool:
    if verb not in VERBS:
        raise NotFound("No such action.")
    return VERBS[verb]


def _audit(session: Session, user: StaffUser, ticket: Ticket, kind: str, data: Any) -> None:
    tickets_service.record_event(
        session=session,
        ticket=ticket,
        kind=kind,
        actor=tickets_service.Actor(type=ActorType.staff, id=user.id, label=user.name),
        data=data,
        public=False,
    )


@router.post("/staff/tickets/{ticket_id}/photos/{attachment_id}/{verb}")
def moderate_photo(
    ticket_id: int, attachment_id: int, verb: str, session: SessionDep, user: CsrfCheckedStaff
) -> Response:
    publish = _verb(verb)
    ticket = _ticket(session, user, ticket_id)
    in_range = 0 < attachment_id <= media.MAX_ID
    attachment = session.get(Attachment, attachment_id) if in_range else None
    if attachment is None or attachment.ticket_id != ticket.id:
        raise NotFound("No such photo.")
    if publish and (attachment.kind not in media.PUBLISHABLE_KINDS or not attachment.storage_path):
        raise InvalidInput("Only a stored photo can be published.", field="attachment")
    attachment.public = publish
    session.add(attachment)
    _audit(session, user, ticket, "photo_published" if publish else "photo_hidden",
           {"attachment_id": attachment.id})
    session.commit()
    return RedirectResponse(f"/staff/tickets/{ticket_id}?done=photo_{verb}", status_code=303)


@router.post("/staff/tickets/{ticket_id}/events/{event_id}/{verb}")
def moderate_message(
    ticket_id: int, event_id: int, verb: str, session: SessionDep, user: CsrfCheckedStaff
) -> Response:
    publish = _verb(verb)
    ticket = _ticket(session, user, ticket_id)
    event = session.get(TicketEvent, event_id) if 0 < event_id <= media.MAX_ID else None
    if event is None or event.ticket_id != ticket.id or event.actor_type != ActorType.resident:
        raise NotFound("No such message from the resident.")
    event.data = {**(event.data or {}), "published": publish}
    session.add(event)
    _audit(session, user, ticket, "message_published" if publish else "message_hidden",
           {"event_id": event.id})
    session.commit()
    return RedirectResponse(f"/staff/tickets/{ticket_id}?done=message_{verb}", status_code=303)
