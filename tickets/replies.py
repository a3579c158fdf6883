"""Finding what a resident answers: the ticket waiting for them, the questions asked.

Taking the answer is a transition: tickets.workflow.take_answer."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from tickets.models import FixAnswer, Ticket, TicketEvent, TicketState


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


def latest_ticket(*, session: Session, phone: str) -> Ticket | None:
    return session.execute(
        select(Ticket)
        .where(col(Ticket.reporter_phone) == phone)
        .order_by(col(Ticket.id).desc())
        .limit(1)
    ).scalar_one_or_none()


def latest_asked_ticket(*, session: Session, phone: str) -> Ticket | None:
    """The newest ticket of this phone number whose "is it fixed?" question awaits an answer."""
    return session.execute(
        select(Ticket)
        .where(
            col(Ticket.reporter_phone) == phone,
            col(Ticket.fix_answer) == FixAnswer.asked,
            col(Ticket.state).in_((TicketState.resolved, TicketState.closed)),
        )
        .order_by(col(Ticket.fix_asked_at).desc())
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
