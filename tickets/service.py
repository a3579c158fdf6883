"""The tracker's reports, actors and queries. Every change of state is in tickets.workflow.

Services flush; the request or task that called them commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from core.clock import utcnow
from core.errors import NotFound
from tickets import codes
from tickets.models import (
    ActorType,
    Attachment,
    InboundMessage,
    Ticket,
    TicketEvent,
)

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


def remember_filed(
    *, session: Session, ticket: Ticket, created: TicketEvent, attachments: list[Attachment]
) -> None:
    """What was just written, so the answer to the resident needs no second read (only the
    newest one is kept, so a long-lived session does not grow)."""
    session.info[FILED_KEY] = {
        ticket.id: {"events": [created], "attachments": attachments, "dossier": [None]}
    }


def remember_dossier(*, session: Session, ticket: Ticket, dossier: Any) -> None:
    """The dossier attached to a ticket filed in this request (see remember_filed)."""
    filed = session.info.get(FILED_KEY, {}).get(ticket.id)
    if filed is not None:
        filed["dossier"] = [dossier]


def just_filed(*, session: Session, ticket: Ticket) -> dict[str, list[Any]] | None:
    return session.info.get(FILED_KEY, {}).pop(ticket.id, None)


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
