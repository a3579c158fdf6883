"""What anyone may see of a ticket: no reporter, no contact, personal data masked in text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from core.i18n import gettext
from routing.models import Agency, Area, Category, Procedure
from tickets import codes, dossiers, media, redact
from tickets import service as tickets_service
from tickets.models import ActorType, Attachment, FixAnswer, Ticket, TicketEvent

# Labels of states and timeline events; the strings are the catalog keys (see core.i18n).
STATE_LABELS = {
    "received": "Received",
    "triage": "Being sorted by the hotline desk",
    "routed": "Sent to the responsible agency",
    "acknowledged": "Acknowledged by the agency",
    "in_progress": "Being handled",
    "waiting_for_resident": "Waiting for information from the resident",
    "resolved": "Resolved",
    "closed": "Closed",
    "rejected": "Rejected",
}
EVENT_LABELS = {
    "merged": "Same problem as another report: followed there",
    "unmerged": "Followed on its own again",
    "created": "Report received",
    "sent_to_triage": "Passed to the hotline desk for sorting",
    "routed": "Sent to the responsible agency",
    "transferred": "Transferred to another agency",
    "state_changed": "Status changed",
    "acknowledged": "Acknowledged by the agency",
    "info_requested": "The agency asked for more information",
    "info_received": "The resident added information",
    "resolved": "Resolved",
    "reopened": "Reopened by the resident",
    "rated": "Rated by the resident",
    "rejected": "Rejected",
    "closed": "Closed",
    "escalated": "Deadline passed: escalated",
    "scheduled": "Scheduled by the agency",
    "fix_confirmed": "The resident confirmed it is fixed",
    "not_fixed": "The resident says it is not fixed: reopened",
}
# steps whose message is the resident's own answer: the step is public, the words are not
PRIVATE_WORDS = frozenset({"fix_confirmed", "not_fixed"})


@dataclass
class PublicEvent:
    at: datetime
    kind: str
    label: str
    state: str | None
    message: str | None


@dataclass
class PublicTicket:
    code: str
    display_code: str
    state: str
    state_label: str
    description: str
    channel: str
    created_at: datetime
    updated_at: datetime
    area: str | None
    category_id: str | None
    category: str | None
    agency_id: str | None
    agency: str | None
    resolution: str | None
    resolved_at: datetime | None
    acknowledge_due_at: datetime | None
    resolve_due_at: datetime | None
    emergency: bool
    photos: list[str] = field(default_factory=list)  # /media/<token> addresses
    timeline: list[PublicEvent] = field(default_factory=list)
    # what the agency says happened, the date it committed to, what the resident said
    outcome: str | None = None
    scheduled_for: date | None = None
    fix_answer: str | None = None
    # a complaint about an administrative procedure: the procedure's name, never the dossier
    procedure: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "timeline"}
        data["timeline"] = [event.__dict__ for event in self.timeline]
        return data


def _name(row: Any, language: str) -> str | None:
    if row is None:
        return None
    return row.name_vi if language == "vi" else row.name_en


def _rows(
    session: Session, ticket: Ticket, model: type, filed: dict[str, list[Any]] | None
) -> list[Any]:
    if filed is not None:  # written in this request: no need to read it back
        rows = filed["events"] if model is TicketEvent else filed["attachments"]
        return [row for row in rows if row.public]
    if model is TicketEvent:
        return tickets_service.events(session=session, ticket=ticket, public_only=True)
    return tickets_service.attachments(session=session, ticket=ticket, public_only=True)


def public_message(event: TicketEvent) -> str | None:
    """Staff words are public (masked); a resident's own words (an answer, a rating comment,
    a reason to reopen) only once staff published them."""
    private = event.actor_type == ActorType.resident or event.kind in PRIVATE_WORDS
    if private and not (event.data or {}).get("published"):
        return None
    return redact.mask_text(event.message) or None


def public_ticket(
    *, session: Session, ticket: Ticket, language: str, just_filed: bool = False
) -> PublicTicket:
    """The public view; `just_filed` spares the reads a ticket filed in this request needs not."""
    category = session.get(Category, ticket.category_id) if ticket.category_id else None
    agency = session.get(Agency, ticket.agency_id) if ticket.agency_id else None
    area = session.get(Area, ticket.area_id) if ticket.area_id else None
    filed = tickets_service.just_filed(session=session, ticket=ticket) if just_filed else None
    timeline = [
        PublicEvent(
            at=event.created_at,
            kind=event.kind,
            label=gettext(language, EVENT_LABELS.get(event.kind, "Status changed")),
            state=event.to_state,
            message=public_message(event),
        )
        for event in _rows(session, ticket, TicketEvent, filed)
    ]
    photos = [
        media.url(a.id)
        for a in _rows(session, ticket, Attachment, filed)
        if a.id is not None and a.storage_path and a.kind in media.PUBLISHABLE_KINDS
    ]
    return PublicTicket(
        code=ticket.code,
        display_code=codes.display(ticket.code),
        state=ticket.state,
        state_label=gettext(language, STATE_LABELS[ticket.state]),
        description=redact.mask_text(ticket.description),
        channel=ticket.channel,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        area=_name(area, language) or None,
        category_id=ticket.category_id,
        category=_name(category, language),
        agency_id=ticket.agency_id,
        agency=_name(agency, language),
        resolution=redact.mask_text(ticket.resolution) or None,
        outcome=ticket.outcome,
        scheduled_for=ticket.scheduled_for,
        fix_answer=ticket.fix_answer
        if ticket.fix_answer in (FixAnswer.fixed, FixAnswer.not_fixed)
        else None,
        resolved_at=ticket.resolved_at,
        acknowledge_due_at=ticket.ack_due_at,
        resolve_due_at=ticket.resolve_due_at,
        emergency=ticket.emergency,
        photos=photos,
        timeline=timeline,
        procedure=_procedure_name(session, ticket, language, filed),
    )


def _procedure_name(
    session: Session, ticket: Ticket, language: str, filed: dict[str, list[Any]] | None
) -> str | None:
    dossier = filed["dossier"][0] if filed is not None else dossiers.of(
        session=session, ticket=ticket)
    procedure = session.get(Procedure, dossier.procedure_id) if dossier else None
    return _name(procedure, language) if procedure else None
