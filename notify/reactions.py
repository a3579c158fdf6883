"""What residents are told when their ticket moves: subscribers to the workflow's events.

Each runs after the commit that made the change (core.events), re-reads the ticket and the
audit event, and queues one message through `service.message_resident`, whose dedupe key makes
a second run queue nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core.events import subscriber
from core.settings import get_settings
from notify import service
from routing.models import Agency
from tickets import links, redact
from tickets.models import Channel, Outcome, Ticket, TicketEvent

MAX_RESOLUTION_IN_MESSAGE = 300


def _load(session: Session, ticket_id: int, event_id: int | None) -> tuple[Ticket, TicketEvent]:
    ticket = session.get(Ticket, ticket_id)
    event = session.get(TicketEvent, event_id) if event_id is not None else None
    if ticket is None or event is None or event.ticket_id != ticket_id:
        raise LookupError(f"ticket {ticket_id} or its event {event_id} does not exist")
    return ticket, event


# channels whose own answer already carries the tracking code (the SMS reply, the Zalo reply)
ANSWERED_WITH_CODE = (Channel.sms, "zalo")


def _needs_receipt(ticket: Ticket) -> bool:
    return ticket.channel not in ANSWERED_WITH_CODE and bool(
        ticket.reporter_phone or ticket.reporter_email
    )


@subscriber("ticket.filed", name="notify.receipt_to_resident", when=_needs_receipt)
def receipt_to_resident(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    """The tracking code by SMS (or e-mail) as soon as a report with contact details is filed,
    whatever the door: a caller hears no code they can keep, and a web page can be closed.
    Not for an SMS or a Zalo message, whose reply already carries it."""
    ticket, _event = _load(session, ticket_id, event_id)
    if not _needs_receipt(ticket):
        return "not_needed"
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


def _agency_name(session: Session, ticket: Ticket, agency_id: str | None) -> str:
    agency = session.get(Agency, agency_id) if agency_id else None
    if agency is None:
        return agency_id or ""
    return agency.name_vi if ticket.language == "vi" else agency.name_en


def _short(text: str | None) -> str:
    short = redact.mask_text(text or "")
    if len(short) > MAX_RESOLUTION_IN_MESSAGE:
        short = short[: MAX_RESOLUTION_IN_MESSAGE - 3] + "..."
    return short


RESOLUTION_KINDS = {
    Outcome.fixed.value: "resolved",
    Outcome.not_responsible.value: "resolved_not_responsible",
    Outcome.cannot_be_done.value: "resolved_cannot_be_done",
}


@subscriber("ticket.resolved", name="notify.resolution_to_resident")
def resolution_to_resident(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    ticket, event = _load(session, ticket_id, event_id)
    outcome = event.data.get("outcome") or Outcome.fixed.value
    queued = service.message_resident(
        session=session,
        ticket=ticket,
        kind=RESOLUTION_KINDS.get(outcome, "resolved"),
        values={
            "resolution": _short(event.message),
            "agency": _agency_name(session, ticket, ticket.agency_id),
            "link": links.signed_url(ticket, "rate", settings=get_settings()),
        },
        dedupe_key=f"resolved:{event.data.get('reopen_count', ticket.reopen_count)}",
    )
    return "queued" if queued else "no_contact"


@subscriber("ticket.transferred", name="notify.transfer_to_resident")
def transfer_to_resident(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    ticket, event = _load(session, ticket_id, event_id)
    agency_id = event.data.get("agency_id") or ticket.agency_id
    queued = service.message_resident(
        session=session,
        ticket=ticket,
        kind="transferred",
        values={"agency": _agency_name(session, ticket, agency_id)},
        dedupe_key=f"transferred:{event.id}",
    )
    return "queued" if queued else "no_contact"


@subscriber("ticket.scheduled", name="notify.schedule_to_resident")
def schedule_to_resident(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    ticket, event = _load(session, ticket_id, event_id)
    day = date.fromisoformat(str(event.data.get("scheduled_for")))
    queued = service.message_resident(
        session=session,
        ticket=ticket,
        kind="scheduled",
        values={"date": format_day(day, ticket.language), "note": _short(event.message)},
        dedupe_key=f"scheduled:{event.id}",
    )
    return "queued" if queued else "no_contact"


@subscriber("ticket.fix_asked", name="notify.fix_question_to_resident")
def fix_question_to_resident(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    ticket, event = _load(session, ticket_id, event_id)
    resolved = ticket.resolved_at
    queued = service.message_resident(
        session=session,
        ticket=ticket,
        kind="fix_question",
        values={
            "date": format_day(resolved, ticket.language) if resolved else "",
            "link": links.signed_url(ticket, "fixed", settings=get_settings()),
        },
        dedupe_key=f"fix_question:{event.id}",
    )
    return "queued" if queued else "no_contact"


@subscriber("ticket.not_fixed", name="notify.reopening_to_resident")
def reopening_to_resident(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    """It answers the resident's own "not fixed": never held by the quiet hours."""
    ticket, event = _load(session, ticket_id, event_id)
    queued = service.message_resident(
        session=session,
        ticket=ticket,
        kind="not_fixed_reopened",
        values={"agency": _agency_name(session, ticket, ticket.agency_id)},
        dedupe_key=f"not_fixed:{event.id}",
        reply=True,
    )
    return "queued" if queued else "no_contact"


@subscriber("ticket.fix_confirmed", name="notify.thanks_to_resident")
def thanks_to_resident(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    ticket, event = _load(session, ticket_id, event_id)
    queued = service.message_resident(
        session=session,
        ticket=ticket,
        kind="fix_thanks",
        dedupe_key=f"fix_thanks:{event.id}",
        reply=True,
    )
    return "queued" if queued else "no_contact"


def format_day(value: date | datetime, language: str) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(get_settings().city_timezone)).date()
    return value.strftime("%d/%m/%Y") if language == "vi" else value.isoformat()
