"""Staff publish (or hide again) a resident's photo or own words (tickets.moderation)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from core.errors import NotFound
from httpbase.deps import SessionDep
from staff import flows
from staff import service as staff_service
from staff.deps import CsrfCheckedStaff
from staff.models import StaffUser
from tickets import moderation
from tickets.models import ActorType, Ticket
from tickets.service import Actor

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


def _actor(user: StaffUser) -> Actor:
    return Actor(type=ActorType.staff, id=user.id, label=user.name)


@router.post("/staff/tickets/{ticket_id}/photos/{attachment_id}/{verb}")
def moderate_photo(
    ticket_id: int, attachment_id: int, verb: str, session: SessionDep, user: CsrfCheckedStaff
) -> Response:
    public = _verb(verb)
    ticket = _ticket(session, user, ticket_id)
    moderation.set_photo_public(
        session=session, ticket=ticket, attachment_id=attachment_id, public=public,
        actor=_actor(user),
    )
    session.commit()
    return RedirectResponse(f"/staff/tickets/{ticket_id}?done=photo_{verb}", status_code=303)


@router.post("/staff/tickets/{ticket_id}/events/{event_id}/{verb}")
def moderate_message(
    ticket_id: int, event_id: int, verb: str, session: SessionDep, user: CsrfCheckedStaff
) -> Response:
    public = _verb(verb)
    ticket = _ticket(session, user, ticket_id)
    moderation.set_words_public(
        session=session, ticket=ticket, event_id=event_id, public=public, actor=_actor(user)
    )
    session.commit()
    return RedirectResponse(f"/staff/tickets/{ticket_id}?done=message_{verb}", status_code=303)
