"""Residents' pages: the report form, the confirmation, the status page, public photos."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import HotlineError
from httpbase.deps import LanguageDep, SessionDep, SettingsDep
from httpbase.render import render
from httpbase.throttle import LookupRateLimit, ReportRateLimit
from intake import emergency
from intake import service as intake_service
from routing import service as routing_service
from tickets import codes, estimate, links, public
from tickets import service as tickets_service
from tickets.models import Ticket, TicketState

router = APIRouter(include_in_schema=False)


def _form_page(
    request: Request,
    session: SessionDep,
    *,
    values: dict[str, object] | None = None,
    error: HotlineError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "report_form.html",
        {
            "areas": routing_service.list_areas(session=session),
            "values": values or {},
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep) -> HTMLResponse:
    return _form_page(request, session)


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request, session: SessionDep) -> HTMLResponse:
    return _form_page(request, session)


@router.post("/report", response_class=HTMLResponse)
def submit_report(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    _limit: ReportRateLimit,
    description: Annotated[str, Form()] = "",
    area_id: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    latitude: Annotated[str, Form()] = "",
    longitude: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    anonymous: Annotated[str, Form()] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    values = {
        "description": description,
        "area_id": area_id,
        "address": address,
        "latitude": latitude,
        "longitude": longitude,
        "name": name,
        "phone": phone,
        "email": email,
        "anonymous": bool(anonymous),
    }
    # a plain `def` route: FastAPI runs it in its thread pool, so reading and re-encoding a
    # photo never blocks the event loop (intake.photos bounds the memory it takes)
    photo_bytes = photo.file.read(settings.max_photo_bytes + 1) if photo is not None else None
    form = intake_service.ReportInput(
        description=description,
        language=language,
        area_id=area_id,
        address=address,
        latitude=latitude,
        longitude=longitude,
        name=name,
        phone=phone,
        email=email,
        anonymous=bool(anonymous),
        photo=photo_bytes or None,
    )
    try:
        submitted = intake_service.submit_report(session=session, form=form, settings=settings)
    except HotlineError as error:
        session.rollback()
        return _form_page(
            request, session, values=values, error=error, status_code=error.status_code
        )
    session.commit()
    return RedirectResponse(
        links.status_path(submitted.ticket.code, new=1, lang=language), status_code=303
    )


@router.get("/status", response_class=HTMLResponse)
def status_lookup(
    request: Request, session: SessionDep, _limit: LookupRateLimit, code: str = ""
) -> Response:
    if not code:
        return render(request, "status_lookup.html", {"code": "", "error": None})
    try:
        ticket = tickets_service.get_by_code(session=session, code=code)
    except HotlineError as error:
        return render(
            request,
            "status_lookup.html",
            {"code": code, "error": error},
            status_code=error.status_code,
        )
    return RedirectResponse(links.status_path(ticket.code), status_code=303)


@router.get("/status/{code}", response_class=HTMLResponse)
def status_page(
    code: str,
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    _limit: LookupRateLimit,
    new: int = 0,
) -> HTMLResponse:
    ticket: Ticket = tickets_service.get_by_code(session=session, code=code)
    view = public.public_ticket(session=session, ticket=ticket, language=language)
    still_open = ticket.state not in (
        TicketState.resolved, TicketState.closed, TicketState.rejected
    )
    return render(
        request,
        "status.html",
        {
            "ticket": view,
            "estimate": estimate.estimate(session=session, ticket=ticket) if still_open else None,
            "new": bool(new),
            "emergency_advice": emergency.advice(language) if ticket.emergency else None,
            "spoken_code": " ".join(codes.display(ticket.code)),
        },
    )


@router.get("/healthz", include_in_schema=False)
def health(session: SessionDep) -> dict[str, str]:
    from sqlalchemy import text

    session.execute(text("SELECT 1"))
    return {"status": "ok"}
