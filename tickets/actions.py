"""What staff and residents do to a routed ticket. Each action checks the lifecycle, records
an event, and queues the message the resident should receive, in the caller's transaction.

Who may call which action is the staff room's business (staff.service.check_act); these
functions only know the ticket's rules.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from core.clock import as_utc, utcnow
from core.errors import Conflict, InvalidInput, NotFound
from core.settings import get_settings
from notify import service as notify_service
from routing import service as routing_service
from routing.models import Agency, Area, Category
from routing.taxonomy import OTHER_CATEGORY, TRIAGE_AGENCY
from tickets import deadlines, links
from tickets import service as tickets_service
from tickets.models import ActorType, Ticket, TicketEvent, TicketState

REOPEN_DAYS = 7
MAX_TEXT = 4000
REJECT_REASONS = ("spam", "duplicate")
Actor = tickets_service.Actor


def _text(value: str | None, *, field: str, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput("Please fill in this field.", field=field)
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            "The text is too long (at most %(max)s characters).", field=field, max=MAX_TEXT
        )
    return text


def _agency_name(session: Session, agency_id: str | None, language: str) -> str:
    agency = session.get(Agency, agency_id) if agency_id else None
    if agency is None:
        return agency_id or ""
    return agency.name_vi if language == "vi" else agency.name_en


def acknowledge(*, session: Session, ticket: Ticket, actor: Actor) -> TicketEvent:
    event = tickets_service.change_state(
        session=session,
        ticket=ticket,
        to_state=TicketState.acknowledged,
        kind="acknowledged",
        actor=actor,
        data={"agency_id": ticket.agency_id},
    )
    notify_service.message_resident(
        session=session,
        ticket=ticket,
        kind="acknowledged",
        values={"agency": _agency_name(session, ticket.agency_id, ticket.language)},
        dedupe_key=f"acknowledged:{ticket.agency_id}",
    )
    return event


def start_work(*, session: Session, ticket: Ticket, actor: Actor) -> TicketEvent:
    return tickets_service.change_state(
        session=session,
        ticket=ticket,
        to_state=TicketState.in_progress,
        kind="work_started",
        actor=actor,
    )


def transfer(
    *, session: Session, ticket: Ticket, agency_id: str, reason: str, actor: Actor
) -> TicketEvent:
    """Hand the ticket to another agency; counted in transfer_count (a routing-quality figure)."""
    reason = _text(reason, field="reason")
    agency = session.get(Agency, agency_id) if agency_id else None
    if agency is None or not agency.active:
        raise InvalidInput("Unknown agency %(value)s.", field="agency_id", value=agency_id)
    if agency_id == ticket.agency_id:
        raise InvalidInput("The ticket is already with this agency.", field="agency_id")
    if ticket.state not in (TicketState.routed, TicketState.acknowledged, TicketState.in_progress):
        from tickets import lifecycle

        lifecycle.check(ticket.state, TicketState.routed)
    from_agency = ticket.agency_id
    if agency_id == TRIAGE_AGENCY:
        return tickets_service.send_to_triage(
            session=session, ticket=ticket, reason="transferred_back", actor=actor
        )
    return tickets_service.route(
        session=session,
        ticket=ticket,
        agency_id=agency_id,
        category_id=None,
        actor=actor,
        message=reason,
        data={"from_agency_id": from_agency, "reason": reason},
    )


def request_information(
    *, session: Session, ticket: Ticket, question: str, actor: Actor
) -> TicketEvent:
    """Ask the resident; the resolution clock pauses until the answer comes (tickets.replies)."""
    question = _text(question, field="question")
    if not (ticket.reporter_phone or ticket.reporter_email):
        raise Conflict(
            "The resident left no phone number or e-mail address: they cannot be asked.",
            field="question",
        )
    event = tickets_service.change_state(
        session=session,
        ticket=ticket,
        to_state=TicketState.waiting_for_resident,
        kind="info_requested",
        actor=actor,
        message=question,
    )
    settings = get_settings()
    link = f"{settings.public_base_url}{links.answer_path(ticket)}&lang={ticket.language}"
    notify_service.message_resident(
        session=session,
        ticket=ticket,
        kind="info_requested",
        values={"question": question, "link": link},
        dedupe_key=f"info_requested:{event.id}",
    )
    return event


def add_note(*, session: Session, ticket: Ticket, text: str, actor: Actor) -> TicketEvent:
    event = tickets_service.record_event(
        session=session,
        ticket=ticket,
        kind="note",
        actor=actor,
        message=_text(text, field="note"),
        public=False,
    )
    session.flush()
    return event


def resolve(*, session: Session, ticket: Ticket, resolution: str, actor: Actor) -> TicketEvent:
    resolution = _text(resolution, field="resolution")
    from tickets import lifecycle

    lifecycle.check(ticket.state, TicketState.resolved)
    ticket.resolution = resolution
    event = tickets_service.change_state(
        session=session,
        ticket=ticket,
        to_state=TicketState.resolved,
        kind="resolved",
        actor=actor,
        message=resolution,
    )
    settings = get_settings()
    from tickets import redact

    short = redact.mask_text(resolution)
    if len(short) > 300:
        short = short[:297] + "..."
    notify_service.message_resident(
        session=session,
        ticket=ticket,
        kind="resolved",
        values={
            "resolution": short,
            "link": f"{settings.public_base_url}{links.rate_path(ticket)}&lang={ticket.language}",
        },
        dedupe_key=f"resolved:{ticket.reopen_count}",
    )
    return event


def reject(
    *,
    session: Session,
    ticket: Ticket,
    reason: str,
    actor: Actor,
    duplicate_of: str | None = None,
    note: str | None = None,
) -> TicketEvent:
    """Reject as spam, or as a duplicate of another ticket (given by id or tracking code)."""
    if reason not in REJECT_REASONS:
        raise InvalidInput("Unknown reason %(value)s.", field="reason", value=reason)
    data: dict[str, Any] = {"reason": reason}
    message = _text(note, field="note", required=False) or None
    if reason == "duplicate":
        original = _find_ticket(session=session, reference=duplicate_of or "")
        if original.id == ticket.id:
            raise InvalidInput("A ticket cannot duplicate itself.", field="duplicate_of")
        if original.duplicate_of_id == ticket.id:
            raise InvalidInput(
                "That ticket is already a duplicate of this one.", field="duplicate_of"
            )
        ticket.duplicate_of_id = original.id
        data["duplicate_of"] = original.code
    from tickets import lifecycle

    lifecycle.check(ticket.state, TicketState.rejected)
    return tickets_service.change_state(
        session=session,
        ticket=ticket,
        to_state=TicketState.rejected,
        kind="rejected",
        actor=actor,
        message=message,
        data=data,
    )


def _find_ticket(*, session: Session, reference: str) -> Ticket:
    reference = reference.strip()
    if not reference:
        raise InvalidInput("Give the tracking code of the original ticket.", field="duplicate_of")
    if reference.isdigit() and len(reference) < 12:
        found = session.get(Ticket, int(reference))
        if found is not None:
            return found
    try:
        return tickets_service.get_by_code(session=session, code=reference)
    except (NotFound, InvalidInput) as error:
        raise NotFound(
            "No ticket has the tracking code %(value)s.", field="duplicate_of", value=reference
        ) from error


def set_category(
    *,
    session: Session,
    ticket: Ticket,
    category_id: str,
    actor: Actor,
    area_id: str | None = None,
) -> TicketEvent:
    """The triage desk's choice: it routes the ticket and becomes a label for the classifier."""
    if ticket.state not in (TicketState.triage, TicketState.received):
        raise Conflict("Only tickets waiting at the triage desk can be categorized here.")
    category = session.get(Category, category_id) if category_id else None
    if category is None or not category.active or category.id == OTHER_CATEGORY:
        raise InvalidInput("Choose a category.", field="category_id", value=category_id)
    if area_id:
        if session.get(Area, area_id) is None:
            raise InvalidInput("Unknown ward %(value)s.", field="area_id", value=area_id)
        ticket.area_id = area_id
    agency_id = routing_service.pick_agency(
        session=session, category_id=category.id, area_id=ticket.area_id
    )
    if agency_id == TRIAGE_AGENCY:
        raise InvalidInput(
            "This category goes to the ward's People's Committee: choose the ward first.",
            field="area_id",
        )
    ticket.category_set_by = "triage"
    return tickets_service.route(
        session=session,
        ticket=ticket,
        agency_id=agency_id,
        category_id=category.id,
        actor=actor,
        data={
            "set_by": "triage",
            "predicted_category_id": ticket.predicted_category_id,
            "confidence": ticket.confidence,
        },
    )


# The resident's side ---------------------------------------------------------------------

RESIDENT = Actor(type=ActorType.resident, label="resident")


def can_reopen(ticket: Ticket) -> bool:
    resolved_at = as_utc(ticket.resolved_at)
    return (
        ticket.state == TicketState.resolved
        and resolved_at is not None
        and utcnow() - resolved_at <= timedelta(days=REOPEN_DAYS)
    )


def can_rate(ticket: Ticket) -> bool:
    if ticket.state not in (TicketState.resolved, TicketState.closed):
        return False
    rated_at, resolved_at = as_utc(ticket.rated_at), as_utc(ticket.resolved_at)
    return rated_at is None or (resolved_at is not None and rated_at < resolved_at)


def rate(
    *, session: Session, ticket: Ticket, rating: int, comment: str | None = None
) -> TicketEvent:
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput("The rating is a number from 1 to 5.", field="rating", value=rating)
    if ticket.state not in (TicketState.resolved, TicketState.closed):
        raise Conflict("Only a resolved report can be rated.")
    if not can_rate(ticket):
        raise Conflict("This answer has already been rated.")
    ticket.rating = rating
    ticket.rated_at = utcnow()
    session.add(ticket)
    event = tickets_service.record_event(
        session=session,
        ticket=ticket,
        kind="rated",
        actor=RESIDENT,
        message=_text(comment, field="comment", required=False) or None,
        data={"rating": rating},
    )
    session.flush()
    return event


def reopen(*, session: Session, ticket: Ticket, reason: str) -> TicketEvent:
    """Within 7 days of the resolution; the agency gets a fresh resolution deadline."""
    reason = _text(reason, field="reason")
    if ticket.state != TicketState.resolved:
        raise Conflict("Only a resolved report can be reopened.")
    if not can_reopen(ticket):
        raise Conflict(
            "A report can be reopened only within %(days)s days of its resolution.",
            days=REOPEN_DAYS,
        )
    settings = get_settings()
    category = session.get(Category, ticket.category_id) if ticket.category_id else None
    now = utcnow()
    ticket.reopen_count += 1
    ticket.resolve_due_at = deadlines.add_working_days(
        now,
        category.resolve_working_days if category else 5,
        timezone=settings.city_timezone,
        country=settings.holiday_country,
        working_days=settings.working_days,
    )
    ticket.resolve_overdue = False
    ticket.resolve_reminded_at = ticket.resolve_escalated_at = None
    return tickets_service.change_state(
        session=session,
        ticket=ticket,
        to_state=TicketState.in_progress,
        kind="reopened",
        actor=RESIDENT,
        message=reason,
        data={"reopen_count": ticket.reopen_count},
    )
