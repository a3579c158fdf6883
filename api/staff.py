"""The staff JSON API: the same queue, ticket and actions as the pages, with the same rules.

Authenticate with `Authorization: Bearer <token>` (see `hotline create-api-token`) or with the
log-in cookie; a cookie-authenticated POST also needs the X-CSRF-Token header.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from httpbase.deps import SessionDep
from staff import flows, queue
from staff.deps import CsrfCheckedStaff, CurrentStaff
from staff.models import Role
from tickets import codes, duplicates, redact
from tickets import service as tickets_service
from tickets.models import Ticket

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


class StaffMe(BaseModel):
    id: int
    email: str
    name: str
    role: str
    agency_id: str | None


class TicketSummary(BaseModel):
    id: int
    code: str
    display_code: str
    state: str
    channel: str
    agency_id: str | None
    category_id: str | None
    area_id: str | None
    created_at: datetime
    ack_due_at: datetime | None
    resolve_due_at: datetime | None
    overdue: bool
    description: str


class EventOut(BaseModel):
    id: int
    at: datetime
    kind: str
    actor_type: str
    actor_label: str | None
    from_state: str | None
    to_state: str | None
    public: bool
    message: str | None
    data: dict[str, Any]


class TicketDetail(TicketSummary):
    language: str
    address: str | None
    latitude: float | None
    longitude: float | None
    reporter_name: str | None
    reporter_phone_masked: str
    predicted_category_id: str | None
    confidence: float | None
    model_version: str | None
    category_set_by: str | None
    resolution: str | None
    rating: int | None
    transfer_count: int
    reopen_count: int
    duplicate_of_id: int | None
    events: list[EventOut]


class TicketPage(BaseModel):
    items: list[TicketSummary]
    next_cursor: str | None


def summary(ticket: Ticket) -> dict[str, Any]:
    assert ticket.id is not None
    return {
        "id": ticket.id,
        "code": ticket.code,
        "display_code": codes.display(ticket.code),
        "state": ticket.state,
        "channel": ticket.channel,
        "agency_id": ticket.agency_id,
        "category_id": ticket.category_id,
        "area_id": ticket.area_id,
        "created_at": ticket.created_at,
        "ack_due_at": ticket.ack_due_at,
        "resolve_due_at": ticket.resolve_due_at,
        "overdue": queue.is_overdue(ticket),
        "description": ticket.description,
    }


def detail(session: SessionDep, ticket: Ticket) -> TicketDetail:
    events = tickets_service.events(session=session, ticket=ticket, public_only=False)
    return TicketDetail(
        **summary(ticket),
        language=ticket.language,
        address=ticket.address,
        latitude=ticket.latitude,
        longitude=ticket.longitude,
        reporter_name=None if ticket.anonymous else ticket.reporter_name,
        reporter_phone_masked=redact.mask_phone(ticket.reporter_phone),
        predicted_category_id=ticket.predicted_category_id,
        confidence=ticket.confidence,
        model_version=ticket.model_version,
        category_set_by=ticket.category_set_by,
        resolution=ticket.resolution,
        rating=ticket.rating,
        transfer_count=ticket.transfer_count,
        reopen_count=ticket.reopen_count,
        duplicate_of_id=ticket.duplicate_of_id,
        events=[
            EventOut(
                id=e.id or 0,
                at=e.created_at,
                kind=e.kind,
                actor_type=e.actor_type,
                actor_label=e.actor_label,
                from_state=e.from_state,
                to_state=e.to_state,
                public=e.public,
                message=e.message,
                data=e.data,
            )
            for e in events
        ],
    )


@router.get("/me", response_model=StaffMe, summary="Who the token belongs to")
def me(user: CurrentStaff) -> StaffMe:
    return StaffMe(
        id=user.id or 0, email=user.email, name=user.name, role=user.role, agency_id=user.agency_id
    )


@router.get("/tickets", response_model=TicketPage, summary="The queue, soonest deadline first")
def list_tickets(
    session: SessionDep,
    user: CurrentStaff,
    state: str | None = None,
    category: str | None = None,
    ward: str | None = None,
    overdue: bool = False,
    agency: str | None = None,
    cursor: str | None = None,
    limit: int = queue.PAGE_SIZE,
) -> TicketPage:
    if user.role == Role.triage_agent:
        page = queue.triage_queue(session=session, cursor=cursor, limit=limit)
    else:
        filters = queue.QueueFilters(
            state=state, category_id=category, area_id=ward, overdue=overdue, agency_id=agency
        )
        page = queue.agency_queue(
            session=session, user=user, filters=filters, cursor=cursor, limit=limit
        )
    return TicketPage(
        items=[TicketSummary(**summary(t)) for t in page.tickets], next_cursor=page.next_cursor
    )


@router.get("/tickets/{ticket_id}", response_model=TicketDetail, summary="One ticket")
def read_ticket(ticket_id: int, session: SessionDep, user: CurrentStaff) -> TicketDetail:
    ticket = flows.load_ticket(session=session, user=user, ticket_id=ticket_id, for_update=False)
    return detail(session, ticket)


class DuplicateOut(BaseModel):
    code: str
    similarity: float
    state: str
    category_id: str | None
    created_at: datetime


@router.get(
    "/tickets/{ticket_id}/duplicates",
    response_model=list[DuplicateOut],
    summary="Likely duplicates of a ticket, most similar first",
)
def likely_duplicates(
    ticket_id: int, session: SessionDep, user: CurrentStaff
) -> list[DuplicateOut]:
    ticket = flows.load_ticket(session=session, user=user, ticket_id=ticket_id, for_update=False)
    return [
        DuplicateOut(
            code=match.ticket.code,
            similarity=match.similarity,
            state=match.ticket.state,
            category_id=match.ticket.category_id or match.ticket.predicted_category_id,
            created_at=match.ticket.created_at,
        )
        for match in duplicates.likely_duplicates(session=session, ticket=ticket)
    ]


@router.post(
    "/tickets/{ticket_id}/actions/{action}",
    response_model=TicketDetail,
    summary="Act on a ticket: " + ", ".join(flows.ACTIONS),
)
def act(
    ticket_id: int,
    action: str,
    session: SessionDep,
    user: CsrfCheckedStaff,
    payload: dict[str, Any] | None = Body(default=None),
) -> TicketDetail:
    ticket = flows.load_ticket(session=session, user=user, ticket_id=ticket_id, for_update=True)
    flows.perform(session=session, user=user, ticket=ticket, action=action, payload=payload or {})
    session.commit()
    return detail(session, ticket)
