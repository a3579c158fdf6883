"""A resident's answer to a request for information, by web or SMS, restarts the clock."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from tickets import service
from tickets.models import Ticket, TicketEvent, TicketState


def add_resident_information(
    *, session: Session, ticket: Ticket, text: str, channel: str
) -> TicketEvent:
    """Attach the resident's words to the ticket; if the agency was waiting, resume the clock."""
    data = {"channel": channel}
    if ticket.state == TicketState.waiting_for_resident:
        return service.change_state(
            session=session,
            ticket=ticket,
            to_state=TicketState.in_progress,
            kind="info_received",
            actor=service.RESIDENT,
            message=text,
            data=data,
        )
    event = service.record_event(
        session=session,
        ticket=ticket,
        kind="info_received",
        actor=service.RESIDENT,
        message=text,
        data=data,
    )
    session.flush()
    return event


def latest_waiting_ticket(*, session: Session, phone: str) -> Ticket | None:
    """The newest ticket of this phone number that waits for the resident's answer."""
    return session.execute(
        select(Ticket)
        .where(
            col(Ticket.reporter_phone) == phone,
            col(Ticket.state) == TicketState.waiting_for_resident,
        )
        .order_by(col(Ticket.id).desc())
        .limit(1)
    ).scalar_one_or_none()


def events_of_kind(*, session: Session, ticket: Ticket, kind: str) -> list[TicketEvent]:
    return list(
        session.execute(
            select(TicketEvent)
            .where(col(TicketEvent.ticket_id) == ticket.id, col(TicketEvent.kind) == kind)
            .order_by(col(TicketEvent.id))
        )
        .scalars()
        .all()
    )
