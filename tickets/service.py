"""Tracker operations. Services flush; the request or task that called them commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core import outbox
from core.clock import as_utc, utcnow
from core.errors import NotFound
from core.settings import get_settings
from routing.models import Category
from routing.taxonomy import TRIAGE_AGENCY
from tickets import codes, deadlines, lifecycle
from tickets.models import (
    ActorType,
    Attachment,
    InboundMessage,
    Ticket,
    TicketEvent,
    TicketState,
)

PROCESS_TASK = "tickets.process"
FILED_KEY = "tickets_just_filed"


@dataclass
class Actor:
    type: str = ActorType.system
    id: int | None = None
    label: str | None = None


SYSTEM = Actor()
RESIDENT = Actor(type=ActorType.resident, label="resident")


@dataclass
class NewReport:
    """A report that intake has already validated and normalized."""

    description: str
    channel: str
    language: str = "vi"
    address: str | None = None
    area_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_email: str | None = None
    anonymous: bool = False
    requested_category_id: str | None = None
    emergency: bool = False
    external_id: str | None = None
    raw_payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class NewAttachment:
    content_type: str
    size_bytes: int
    sha256: str | None = None
    storage_path: str | None = None
    source_url: str | None = None
    kind: str = "photo"


def record_event(
    *,
    session: Session,
    ticket: Ticket,
    kind: str,
    actor: Actor = SYSTEM,
    from_state: str | None = None,
    to_state: str | None = None,
    message: str | None = None,
    data: dict[str, Any] | None = None,
    public: bool = True,
) -> TicketEvent:
    assert ticket.id is not None
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        from_state=from_state,
        to_state=to_state,
        message=message,
        data=data or {},
        public=public,
        created_at=utcnow(),
    )
    session.add(event)
    return event


def file_report(
    *, session: Session, report: NewReport, attachments: list[NewAttachment] | None = None
) -> Ticket:
    """Store a report as a ticket with its first event and the outbox row to process it."""
    if report.external_id is not None:
        existing = find_inbound_ticket(
            session=session, channel=report.channel, external_id=report.external_id
        )
        if existing is not None:
            return existing
    if report.anonymous:
        report.reporter_name = report.reporter_phone = report.reporter_email = None
    now = utcnow()
    ticket = Ticket(
        code="",
        channel=report.channel,
        language=report.language,
        state=TicketState.received,
        description=report.description,
        address=report.address,
        area_id=report.area_id,
        latitude=report.latitude,
        longitude=report.longitude,
        reporter_name=report.reporter_name,
        reporter_phone=report.reporter_phone,
        reporter_email=report.reporter_email,
        anonymous=report.anonymous,
        requested_category_id=report.requested_category_id,
        emergency=report.emergency,
        created_at=now,
        updated_at=now,
    )
    _insert_with_unique_code(session=session, ticket=ticket)
    stored = [
        add_attachment(session=session, ticket=ticket, attachment=attachment)
        for attachment in attachments or []
    ]
    created = record_event(
        session=session,
        ticket=ticket,
        kind="created",
        actor=RESIDENT,
        to_state=TicketState.received,
        data={"channel": report.channel, "emergency": report.emergency},
    )
    if report.external_id is not None:
        session.add(
            InboundMessage(
                channel=report.channel,
                external_id=report.external_id,
                ticket_id=ticket.id,
                payload=report.raw_payload,
            )
        )
    outbox.enqueue(session=session, task=PROCESS_TASK, args={"ticket_id": ticket.id})
    session.flush()
    # what was just written, so the answer to the resident needs no second read
    # (only the newest one is kept, so a long-lived session does not grow)
    session.info[FILED_KEY] = {ticket.id: {"events": [created], "attachments": stored}}
    return ticket


def just_filed(*, session: Session, ticket: Ticket) -> dict[str, list[Any]] | None:
    return session.info.get(FILED_KEY, {}).pop(ticket.id, None)


def _insert_with_unique_code(*, session: Session, ticket: Ticket, tries: int = 5) -> None:
    for attempt in range(tries):
        ticket.code = codes.new_code()
        try:
            with session.begin_nested():
                session.add(ticket)
                session.flush()
            return
        except IntegrityError:
            if attempt == tries - 1:
                raise
            session.expunge(ticket) if ticket in session else None


def add_attachment(*, session: Session, ticket: Ticket, attachment: NewAttachment) -> Attachment:
    assert ticket.id is not None
    row = Attachment(
        ticket_id=ticket.id,
        kind=attachment.kind,
        content_type=attachment.content_type,
        size_bytes=attachment.size_bytes,
        sha256=attachment.sha256,
        storage_path=attachment.storage_path,
        source_url=attachment.source_url,
    )
    session.add(row)
    session.flush()
    return row


def find_inbound_ticket(*, session: Session, channel: str, external_id: str) -> Ticket | None:
    ticket_id = session.execute(
        select(col(InboundMessage.ticket_id)).where(
            col(InboundMessage.channel) == channel, col(InboundMessage.external_id) == external_id
        )
    ).scalar_one_or_none()
    return session.get(Ticket, ticket_id) if ticket_id is not None else None


def get_by_code(*, session: Session, code: str) -> Ticket:
    """Find a ticket by what a resident typed; a mistyped code is a 422, an unknown one a 404."""
    normalized = codes.normalize(code)
    ticket = session.execute(
        select(Ticket).where(col(Ticket.code) == normalized)
    ).scalar_one_or_none()
    if ticket is None:
        raise NotFound("No report has this tracking code.", field="code")
    return ticket


def get_ticket(*, session: Session, ticket_id: int, for_update: bool = False) -> Ticket:
    query = select(Ticket).where(col(Ticket.id) == ticket_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    ticket = session.execute(query).scalar_one_or_none()
    if ticket is None:
        raise NotFound("Ticket %(id)s does not exist.", id=ticket_id)
    return ticket


def events(*, session: Session, ticket: Ticket, public_only: bool) -> list[TicketEvent]:
    query = select(TicketEvent).where(col(TicketEvent.ticket_id) == ticket.id)
    if public_only:
        query = query.where(col(TicketEvent.public))
    return list(session.execute(query.order_by(col(TicketEvent.id))).scalars().all())


def attachments(*, session: Session, ticket: Ticket, public_only: bool) -> list[Attachment]:
    query = select(Attachment).where(col(Attachment.ticket_id) == ticket.id)
    if public_only:
        query = query.where(col(Attachment.public))
    return list(session.execute(query.order_by(col(Attachment.id))).scalars().all())


def change_state(
    *,
    session: Session,
    ticket: Ticket,
    to_state: str,
    kind: str = "state_changed",
    actor: Actor = SYSTEM,
    message: str | None = None,
    data: dict[str, Any] | None = None,
    public: bool = True,
) -> TicketEvent:
    """The one way a ticket changes state: checked against the lifecycle and recorded."""
    from_state = ticket.state
    lifecycle.check(from_state, to_state)
    now = utcnow()
    if from_state == TicketState.waiting_for_resident and to_state != from_state:
        _resume_clock(ticket, now)
    if to_state == TicketState.waiting_for_resident:
        ticket.paused_at = now
    if to_state == TicketState.acknowledged and ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
    if to_state == TicketState.resolved:
        ticket.resolved_at = now
    if to_state in (TicketState.closed, TicketState.rejected):
        ticket.closed_at = now
    ticket.state = TicketState(to_state)
    ticket.updated_at = now
    session.add(ticket)
    event = record_event(
        session=session,
        ticket=ticket,
        kind=kind,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        message=message,
        data=data,
        public=public,
    )
    session.flush()
    return event


def _resume_clock(ticket: Ticket, now: Any) -> None:
    paused_at = as_utc(ticket.paused_at)
    if paused_at is None:
        return
    paused = now - paused_at
    ticket.paused_seconds += int(paused.total_seconds())
    if ticket.resolve_due_at is not None:
        ticket.resolve_due_at = as_utc(ticket.resolve_due_at) + paused  # type: ignore[operator]
    ticket.paused_at = None


def route(
    *,
    session: Session,
    ticket: Ticket,
    agency_id: str,
    category_id: str | None,
    actor: Actor = SYSTEM,
    kind: str = "routed",
    message: str | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Give the ticket to an agency and start its clocks (24 h to acknowledge; N days to resolve).

    A transfer restarts the acknowledgement clock for the new agency but keeps the resident's
    resolution deadline, so passing a ticket around never buys time.
    """
    settings = get_settings()
    now = utcnow()
    if category_id is not None:
        ticket.category_id = category_id
    category = session.get(Category, ticket.category_id) if ticket.category_id else None
    transfer = ticket.agency_id is not None and ticket.state not in (
        TicketState.received,
        TicketState.triage,
    )
    ticket.agency_id = agency_id
    ticket.routed_at = now
    ack_hours = category.acknowledge_hours if category else 24
    ticket.ack_due_at = deadlines.acknowledge_due(now, hours=ack_hours)
    ticket.acknowledged_at = None
    ticket.ack_overdue = False
    ticket.ack_reminded_at = ticket.ack_escalated_at = None
    if ticket.resolve_due_at is None or not transfer:
        if ticket.urgent:
            hours = category.urgent_resolve_hours if category else 24
            ticket.resolve_due_at = now + timedelta(hours=hours)
        else:
            days = category.resolve_working_days if category else 5
            ticket.resolve_due_at = deadlines.add_working_days(
                now,
                days,
                timezone=settings.city_timezone,
                country=settings.holiday_country,
                working_days=settings.working_days,
            )
        ticket.resolve_overdue = False
        ticket.resolve_reminded_at = ticket.resolve_escalated_at = None
    if transfer:
        ticket.transfer_count += 1
    details = {"agency_id": agency_id, "category_id": ticket.category_id, **(data or {})}
    return change_state(
        session=session,
        ticket=ticket,
        to_state=TicketState.routed,
        kind="transferred" if transfer else kind,
        actor=actor,
        message=message,
        data=details,
    )


def send_to_triage(
    *, session: Session, ticket: Ticket, reason: str, actor: Actor = SYSTEM
) -> TicketEvent:
    ticket.agency_id = TRIAGE_AGENCY
    return change_state(
        session=session,
        ticket=ticket,
        to_state=TicketState.triage,
        kind="sent_to_triage",
        actor=actor,
        data={"reason": reason},
    )
