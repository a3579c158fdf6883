"""A resident's answer to a request for information, by web or SMS, restarts the clock."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

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
        .where(Ticket.reporter_phone == phone, Ticket.state == TicketState.waiting_for_resident)
        .order_by(Ticket.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).scalar_one_or_none()


def events_of_kind(*, session: Session, ticket: Ticket, kind: str) -> list[TicketEvent]:
    return list(
        session.execute(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
            .order_by(TicketEvent.id)
        )
        .scalars()
        .all()
    )
