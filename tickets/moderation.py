"""Publishing what residents sent: a stored photo, or a resident's own words (an answer, a
rating comment, a reason to reopen). Private by default; staff publish (or hide again) one
item at a time, and the audit trail records who did (an internal event: no change of state,
nothing announced). Who may do it is the caller's business (staff.service.check_act)."""

from __future__ import annotations

from sqlmodel import Session

from core.errors import InvalidInput, NotFound
from tickets import media
from tickets.models import ActorType, Attachment, Ticket, TicketEvent
from tickets.service import Actor, record_event


def set_photo_public(
    *, session: Session, ticket: Ticket, attachment_id: int, public: bool, actor: Actor
) -> Attachment:
    attachment = (
        session.get(Attachment, attachment_id) if 0 < attachment_id <= media.MAX_ID else None
    )
    if attachment is None or attachment.ticket_id != ticket.id:
        raise NotFound("No such photo.")
    if public and (attachment.kind not in media.PUBLISHABLE_KINDS or not attachment.storage_path):
        raise InvalidInput("Only a stored photo can be published.", field="attachment")
    attachment.public = public
    session.add(attachment)
    record_event(
        session=session,
        ticket=ticket,
        kind="photo_published" if public else "photo_hidden",
        actor=actor,
        data={"attachment_id": attachment.id},
        public=False,
    )
    session.flush()
    return attachment


def set_words_public(
    *, session: Session, ticket: Ticket, event_id: int, public: bool, actor: Actor
) -> TicketEvent:
    event = session.get(TicketEvent, event_id) if 0 < event_id <= media.MAX_ID else None
    if event is None or event.ticket_id != ticket.id or event.actor_type != ActorType.resident:
        raise NotFound("No such message from the resident.")
    event.data = {**(event.data or {}), "published": public}
    session.add(event)
    record_event(
        session=session,
        ticket=ticket,
        kind="message_published" if public else "message_hidden",
        actor=actor,
        data={"event_id": event.id},
        public=False,
    )
    session.flush()
    return event
