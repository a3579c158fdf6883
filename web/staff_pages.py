"""Staff pages: the agency queue, the ticket page and its action forms, the triage desk."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from core.clock import utcnow
from core.errors import HotlineError
from httpbase import csrf
from httpbase.deps import SessionDep, get_language
from httpbase.render import render
from places import service as places_service
from routing import service as routing_service
from routing.models import Agency, Area, Category, Procedure
from routing.taxonomy import OTHER_CATEGORY, TRIAGE_AGENCY
from staff import flows, queue, service
from staff.deps import CsrfCheckedStaff, CurrentStaff, require_roles
from staff.models import Role, StaffUser
from tickets import codes, dossiers, duplicates, lifecycle, redact
from tickets import service as tickets_service
from tickets.models import Ticket, TicketState
from tickets.public import EVENT_LABELS, STATE_LABELS

router = APIRouter(include_in_schema=False)
QueueReader = Annotated[
    StaffUser,
    Depends(require_roles(Role.agent, Role.agency_head, Role.official, Role.admin)),
]
TriageReader = Annotated[StaffUser, Depends(require_roles(Role.triage_agent, Role.admin))]
STAFF_EVENT_LABELS = {
    **EVENT_LABELS,
    "note": "Internal note",
    "classified": "Classified by the model",
    "work_started": "Work started",
    "reminder": "Deadline reminder sent",
    "overdue": "Deadline passed",
    "photo_published": "Photo published",
    "photo_hidden": "Photo hidden from the public",
    "message_published": "Resident's words published",
    "message_hidden": "Resident's words hidden from the public",
    "merge_received": "A duplicate report was merged into this one",
    "merge_undone": "A merged duplicate was separated again",
    "contact_viewed": "Resident's contact viewed",
    "place_set": "Ward set",
}
CHANNEL_LABELS = {
    "web": "Web form",
    "sms": "SMS",
    "phone": "Phone call",
    "open311": "Open311 app",
    "api": "Mobile app",
    "zalo": "Zalo",
}
ACTOR_LABELS = {"resident": "the resident", "system": "the system"}
# what the page says after each action, with the ticket's code
DONE_MESSAGES = {
    "acknowledge": "Ticket %(code)s acknowledged.",
    "start": "Work started on ticket %(code)s.",
    "transfer": "Ticket %(code)s transferred to another agency.",
    "request_info": "Question sent to the resident of ticket %(code)s; the clock is paused.",
    "note": "Note added to ticket %(code)s.",
    "resolve": "Ticket %(code)s resolved; the answer is sent to the resident.",
    "schedule": "Work on ticket %(code)s scheduled.",
    "reject": "Ticket %(code)s rejected.",
    "categorize": "Ticket %(code)s categorized and routed.",
    "set_place": "Ward of ticket %(code)s set.",
}
PRIMARY_ACTIONS = ("categorize", "acknowledge", "start", "resolve")
SECONDARY_ACTIONS = ("request_info", "schedule", "transfer", "set_place", "note")


def confidence_words(confidence: float | None) -> str:
    """The classifier's confidence as an agent reads it (the catalog key)."""
    value = confidence or 0.0
    if value >= 0.8:
        return "high confidence"
    if value >= 0.5:
        return "medium confidence"
    return "low confidence"


def _names(rows: list[Any], language: str) -> dict[str, str]:
    return {row.id: (row.name_vi if language == "vi" else row.name_en) for row in rows}


def lookups(session: SessionDep, language: str) -> dict[str, Any]:
    agencies = list(session.execute(select(Agency).order_by(Agency.id)).scalars().all())
    categories = routing_service.list_categories(session=session)
    areas = routing_service.list_areas(session=session)
    return {
        "agencies": agencies,
        "categories": categories,
        "areas": areas,
        "agency_names": _names(agencies, language),
        "category_names": _names(categories, language),
        "area_names": _names(areas, language),
    }


@router.get("/staff")
def queue_page(
    request: Request,
    session: SessionDep,
    user: CurrentStaff,
    state: str = "",
    category: str = "",
    ward: str = "",
    overdue: str = "",
    agency: str = "",
    cursor: str = "",
) -> Response:
    if user.role == Role.triage_agent:
        return RedirectResponse("/staff/triage", status_code=303)
    if user.role not in (Role.agent, Role.agency_head, Role.official, Role.admin):
        return RedirectResponse("/dashboard", status_code=303)
    language = get_language(request)
    filters = queue.QueueFilters(
        state=state or None,
        category_id=category or None,
        area_id=ward or None,
        overdue=bool(overdue),
        agency_id=agency or None,
    )
    page = queue.agency_queue(session=session, user=user, filters=filters, cursor=cursor or None)
    counts = queue.queue_counts(session=session, user=user, filters=filters)
    merged = queue.duplicate_counts(
        session=session, ticket_ids=[t.id for t in page.tickets if t.id is not None]
    )
    # open reports each row likely duplicates (issue 16): one batch for the page's rows
    likely = duplicates.likely_counts(session=session, tickets=page.tickets)
    now = utcnow()
    params = {
        k: v
        for k, v in {
            "state": state,
            "category": category,
            "ward": ward,
            "overdue": overdue,
            "agency": agency,
        }.items()
        if v
    }
    return render(
        request,
        "staff/queue.html",
        {
            "page": page,
            "rows": [(t, queue.is_overdue(t, now), codes.display(t.code)) for t in page.tickets],
            "counts": counts,
            "duplicates": merged,
            "likely": likely,
            "filters": params,
            "states": queue.QUEUE_STATES,
            "state_labels": STATE_LABELS,
            "agency_id": queue.queue_agency(user, agency or None),
            "sees_all": user.role in service.SEES_ALL,
            **lookups(session, language),
        },
    )


@router.get("/staff/triage")
def triage_page(
    request: Request, session: SessionDep, user: TriageReader, cursor: str = ""
) -> Response:
    page = queue.triage_queue(session=session, cursor=cursor or None)
    emergencies = queue.triage_emergencies(session=session)
    return render(
        request,
        "staff/triage.html",
        {
            "page": page,
            "rows": [(t, codes.display(t.code)) for t in [*emergencies, *page.tickets]],
            "emergency_count": len(emergencies),
            "done_code": request.query_params.get("code", "")[:12],
            "confidence_words": confidence_words,
            **lookups(session, get_language(request)),
        },
    )


def available_actions(user: StaffUser, ticket: Ticket) -> list[str]:
    if user.role == Role.official:
        return []
    state = TicketState(ticket.state)
    allowed = lifecycle.allowed(state)
    found: list[str] = []
    if user.role in (Role.triage_agent, Role.admin) and state == TicketState.triage:
        found += ["categorize", "set_place"]
    if user.role == Role.triage_agent and ticket.agency_id != TRIAGE_AGENCY:
        return found
    if state == TicketState.routed:
        found.append("acknowledge")
    if state == TicketState.acknowledged:
        found.append("start")
    if state in (TicketState.routed, TicketState.acknowledged, TicketState.in_progress):
        found.append("transfer")
    if TicketState.waiting_for_resident in allowed and state != TicketState.waiting_for_resident:
        found.append("request_info")
    if TicketState.resolved in allowed and state != TicketState.routed:
        found.append("resolve")
    if state in (TicketState.acknowledged, TicketState.in_progress):
        found.append("schedule")
    if TicketState.rejected in allowed:
        found.append("reject")
    if "set_place" not in found:
        found.append("set_place")
    found.append("note")
    return found


def _dossier_view(session: SessionDep, ticket: Ticket) -> dict[str, Any] | None:
    """The procedure a complaint concerns, its legal time and the working days since the
    dossier was submitted (staff only)."""
    dossier = dossiers.of(session=session, ticket=ticket)
    procedure = session.get(Procedure, dossier.procedure_id) if dossier else None
    if dossier is None or procedure is None:
        return None
    return {
        "row": dossier,
        "procedure": procedure,
        "lateness": dossiers.lateness(procedure=procedure, submitted_on=dossier.submitted_on),
    }


def ticket_page(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    ticket: Ticket,
    *,
    error: HotlineError | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    contact_shown: bool = False,
) -> Response:
    language = get_language(request)
    events = tickets_service.events(session=session, ticket=ticket, public_only=False)
    photos = tickets_service.attachments(session=session, ticket=ticket, public_only=False)
    duplicate_of = session.get(Ticket, ticket.duplicate_of_id) if ticket.duplicate_of_id else None
    predicted = (
        session.get(Category, ticket.predicted_category_id)
        if ticket.predicted_category_id
        else None
    )
    return render(
        request,
        "staff/ticket.html",
        {
            "ticket": ticket,
            "display_code": codes.display(ticket.code),
            "events": events,
            "event_labels": STAFF_EVENT_LABELS,
            "state_labels": STATE_LABELS,
            "photos": photos,
            "masked_phone": redact.mask_phone(ticket.reporter_phone),
            "can_see_contact": service.can_see_contact(user, ticket),
            "contact_shown": contact_shown,
            "channel_labels": CHANNEL_LABELS,
            "actor_labels": ACTOR_LABELS,
            "confidence_words": confidence_words(ticket.confidence),
            "primary_actions": PRIMARY_ACTIONS,
            "secondary_actions": SECONDARY_ACTIONS,
            "done_message": DONE_MESSAGES.get(request.query_params.get("done") or ""),
            "overdue": queue.is_overdue(ticket),
            "actions": available_actions(user, ticket),
            "duplicate_of": duplicate_of,
            "predicted": predicted,
            "other_category": OTHER_CATEGORY,
            "area": session.get(Area, ticket.area_id) if ticket.area_id else None,
            "dossier": _dossier_view(session, ticket),
            "likely_duplicates": (
                duplicates.likely_duplicates(session=session, ticket=ticket, limit=5)
                if ticket.duplicate_of_id is None
                else []
            ),
            "can_merge": user.role != Role.official,
            "place_reading": places_service.reading_of(session=session, ticket_id=ticket.id)
            if ticket.id is not None else None,
            "error": error,
            "values": values or {},
            "done": request.query_params.get("done"),
            **lookups(session, language),
        },
        status_code=status_code,
    )


@router.get("/staff/tickets/{ticket_id}")
def show_ticket(
    request: Request, ticket_id: int, session: SessionDep, user: CurrentStaff
) -> Response:
    ticket = flows.load_ticket(session=session, user=user, ticket_id=ticket_id, for_update=False)
    return ticket_page(request, session, user, ticket)


@router.post("/staff/tickets/{ticket_id}/contact")
def show_contact(
    request: Request, ticket_id: int, session: SessionDep, user: CsrfCheckedStaff
) -> Response:
    """The resident's contact, shown to the responsible agency's staff; each view is recorded
    in the ticket's internal audit trail."""
    ticket = flows.load_ticket(session=session, user=user, ticket_id=ticket_id, for_update=False)
    flows.show_contact(session=session, user=user, ticket=ticket)
    session.commit()
    return ticket_page(request, session, user, ticket, contact_shown=True)


async def form_payload(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != csrf.FIELD}


@router.post("/staff/tickets/{ticket_id}/{action}")
def act_on_ticket(
    request: Request,
    ticket_id: int,
    action: str,
    session: SessionDep,
    user: CsrfCheckedStaff,
    payload: Annotated[dict[str, str], Depends(form_payload)],
) -> Response:
    ticket = flows.load_ticket(session=session, user=user, ticket_id=ticket_id, for_update=True)
    try:
        flows.perform(session=session, user=user, ticket=ticket, action=action, payload=payload)
    except HotlineError as error:
        session.rollback()
        if error.status_code in (401, 403):
            raise
        ticket = tickets_service.get_ticket(session=session, ticket_id=ticket_id)
        return ticket_page(
            request,
            session,
            user,
            ticket,
            error=error,
            values={"action": action, **payload},
            status_code=error.status_code,
        )
    session.commit()
    if action == "categorize" and not service.can_view(user, ticket):
        return RedirectResponse(
            f"/staff/triage?done=categorize&code={codes.display(ticket.code)}", status_code=303
        )
    return RedirectResponse(f"/staff/tickets/{ticket_id}?done={action}", status_code=303)
