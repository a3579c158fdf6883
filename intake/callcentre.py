"""The call-centre page: a hotline operator types a caller's report on their behalf.

The ticket's channel is "phone", the caller's number is required (the tracking code goes to it
by SMS), and an internal event records which operator entered it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col

from core.errors import HotlineError, InvalidInput
from httpbase.csrf import csrf_token, verify_csrf
from httpbase.deps import LanguageDep, SessionDep, SettingsDep
from httpbase.render import page_language, render
from intake import emergency
from intake import service as intake_service
from routing import service as routing_service
from staff.deps import require_roles
from staff.models import StaffUser
from tickets import codes
from tickets import service as tickets_service
from tickets.models import ActorType, Channel, Ticket

router = APIRouter(include_in_schema=False)
OPERATOR_ROLES = ("triage_agent", "agent", "agency_head", "admin")
Operator = Annotated[StaffUser, Depends(require_roles(*OPERATOR_ROLES))]


def checked_operator(user: Operator, _csrf: Annotated[None, Depends(verify_csrf)]) -> StaffUser:
    """Log-in first (redirect), then the role (403), then the form's CSRF token (403)."""
    return user


CheckedOperator = Annotated[StaffUser, Depends(checked_operator)]


def _page(
    request: Request,
    session: Session,
    *,
    values: dict[str, object] | None = None,
    error: HotlineError | None = None,
    filed: Ticket | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    language = page_language(request)
    return render(
        request,
        "intake/callcentre.html",
        {
            "areas": routing_service.list_areas(session=session),
            "values": values or {"language": language},
            "error": error,
            "filed": filed,
            "filed_code": codes.display(filed.code) if filed else None,
            "emergency_advice": emergency.advice(language) if filed and filed.emergency else None,
            "csrf": csrf_token(request),
        },
        status_code=status_code,
    )


@router.get("/staff/callcentre", response_class=HTMLResponse)
def callcentre_form(
    request: Request, session: SessionDep, operator: Operator, done: str = ""
) -> HTMLResponse:
    filed = None
    if done and codes.is_valid(done):
        filed = session.execute(
            select(Ticket).where(col(Ticket.code) == codes.normalize(done))
        ).scalar_one_or_none()
    return _page(request, session, filed=filed)


@router.post("/staff/callcentre", response_class=HTMLResponse)
def callcentre_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    operator: CheckedOperator,
    description: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    caller_language: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    area_id: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
) -> Response:
    values: dict[str, object] = {
        "description": description,
        "phone": phone,
        "language": caller_language,
        "name": name,
        "area_id": area_id,
        "address": address,
    }
    try:
        if not phone.strip():
            raise InvalidInput("Type the caller's phone number.", field="phone")
        submitted = intake_service.submit_report(
            session=session,
            form=intake_service.ReportInput(
                description=description,
                language=caller_language or language,
                area_id=area_id,
                address=address,
                name=name,
                phone=phone,
            ),
            settings=settings,
            channel=Channel.phone,
        )
    except HotlineError as error:
        session.rollback()
        return _page(request, session, values=values, error=error, status_code=error.status_code)
    ticket = submitted.ticket
    tickets_service.record_event(
        session=session,
        ticket=ticket,
        kind="entered_by_operator",
        actor=tickets_service.Actor(type=ActorType.staff, id=operator.id, label=operator.name),
        public=False,
        data={"channel": Channel.phone},
    )
    session.commit()
    return RedirectResponse(
        f"/staff/callcentre?done={ticket.code}&lang={language}", status_code=303
    )
