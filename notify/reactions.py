"""What residents are told when their ticket moves: subscribers to the workflow's events.

Each runs after the commit that made the change (core.events), re-reads the ticket and the
audit event, and queues one message through `service.message_resident`, whose dedupe key makes
a second run queue nothing.
"""

from __future__ import annotations

from sqlmodel import Session

from core.events import subscriber
from core.settings import get_settings
from notify import service
from routing.models import Agency
from tickets import links, redact
from tickets.models import Channel, Ticket, TicketEvent

MAX_RESOLUTION_IN_MESSAGE = 300


def _load(session: Session, ticket_id: int, event_id: int | None) -> tuple[Ticket, TicketEvent]:
    ticket = session.get(Ticket, ticket_id)
    event = session.get(TicketEvent, event_id) if event_id is not None else None
    if ticket is None or event is None or event.ticket_id != ticket_id:
        raise LookupError(f"ticket {ticket_id} or its event {event_id} does not exist")
    return ticket, event


def _is_a_call(ticket: Ticket) -> bool:
    return ticket.channel == Channel.phone


@subscriber("ticket.filed", name="notify.receipt_to_caller", when=_is_a_call)
def receipt_to_caller(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    """A caller hears no tracking code they can keep: it follows by SMS. (The web page, the SMS
    reply and an Open311 app show the code at once.)"""
    ticket, _event = _load(session, ticket_id, event_id)
    if not _is_a_call(ticket):
        return "not_a_call"
    queued = service.message_resident(session=session, ticket=ticket, kind="received")
    return "queued" if queued else "no_contact"


@subscriber("ticket.acknowledged", name="notify.acknowledgement_to_resident")
def acknowledgement_to_resident(
    *, session: Session, ticket_id: int, event_id: int | None
) -> str:
    ticket, event = _load(session, ticket_id, event_id)
    agency_id = event.data.get("agency_id") or ticket.agency_id
    agency = session.get(Agency, agency_id) if agency_id else None
    name = ""
    if agency is not None:
        name = agency.name_vi if ticket.language == "vi" else agency.name_en
    queued = service.message_resident(
        session=session,
        ticket=ticket,
        kind="acknowledged",
        values={"agency": name or agency_id or ""},
        dedupe_key=f"acknowledged:{agency_id}",
    )
    return "queued" if queued else "no_contact"


@subscriber("ticket.info_requested", name="notify.question_to_resident")
def question_to_resident(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    ticket, event = _load(session, ticket_id, event_id)
    queued = service.message_resident(
        session=session,
        ticket=ticket,
        kind="info_requested",
        values={
            "question": event.message or "",
            "link": links.signed_url(ticket, "answer", settings=get_settings()),
        },
        dedupe_key=f"info_requested:{event.id}",
    )
    return "queued" if queued else "no_contact"


@subscriber("ticket.resolved", name="notify.resolution_to_resident")
def resolution_to_resident(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    ticket, event = _load(session, ticket_id, event_id)
    short = redact.mask_text(event.message or "")
    if len(short) > MAX_RESOLUTION_IN_MESSAGE:
        short = short[: MAX_RESOLUTION_IN_MESSAGE - 3] + "..."
    queued = service.message_resident(
        session=session,
        ticket=ticket,
        kind="resolved",
        values={
            "resolution": short,
            "link": links.signed_url(ticket, "rate", settings=get_settings()),
        },
        dedupe_key=f"resolved:{event.data.get('reopen_count', ticket.reopen_count)}",
    )
    return "queued" if queued else "no_contact"
