"""Residents' pages: the report form, the confirmation, the status page, public photos."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.types import Receive, Scope, Send

from core.errors import HotlineError, TooLarge
from core.i18n import gettext
from httpbase import limits
from httpbase.deps import LanguageDep, SessionDep, SettingsDep, get_app_settings
from httpbase.render import render
from httpbase.throttle import LookupRateLimit, check_reports
from intake import emergency
from intake import service as intake_service
from intake import similar as intake_similar
from notify import verification
from places import service as places_service
from routing import service as routing_service
from routing.models import Area
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
    similar: list[intake_similar.SimilarReport] | None = None,
    photo_dropped: bool = False,
) -> HTMLResponse:
    return render(
        request,
        "report_form.html",
        {
            "areas": routing_service.list_areas(session=session),
            "values": values or {},
            "error": error,
            "similar": similar or [],
            "photo_dropped": photo_dropped,
            "max_chars": get_app_settings(request).max_description_chars,
            "max_photo_bytes": get_app_settings(request).max_photo_bytes,
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
    file_anyway: Annotated[str, Form()] = "",
    seen: Annotated[str, Form()] = "",
) -> Response:
    """File the report; first, unless the resident said "file anyway" (or already saw them
    while typing: `seen`), answer the form again with the open reports it likely duplicates."""
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
        # inside: a refusal for too many reports shows the form again with what was typed
        check_reports(request)
        checked = intake_service.validate(session=session, form=form, settings=settings)
        if not file_anyway and checked.emergency_kind is None:  # an emergency never waits
            similar = intake_similar.find(
                session=session, report=checked.report, language=language
            )
            if similar and not {s.code for s in similar} <= set(seen.split(",")):
                return _form_page(
                    request, session, values=values, similar=similar,
                    photo_dropped=bool(photo_bytes),
                )
        submitted = intake_service.file_checked(session=session, checked=checked,
                                                settings=settings)
    except HotlineError as error:
        session.rollback()
        return _form_page(
            request, session, values=values, error=error, status_code=error.status_code
        )
    session.commit()
    return RedirectResponse(
        links.status_path(submitted.ticket.code, new=1, lang=language), status_code=303
    )


FORM_FIELDS = (
    "description",
    "area_id",
    "address",
    "latitude",
    "longitude",
    "name",
    "phone",
    "email",
    "anonymous",
)


@limits.too_large_page("/report")
async def report_too_large(scope: Scope, receive: Receive, send: Send) -> None:
    """A form post bigger than the server takes (a huge photo sent without JavaScript): the
    form comes back in the page's language with everything typed kept, the photo dropped."""
    request = Request(scope, receive)
    fields = await limits.read_form_fields(request, names=FORM_FIELDS)
    values: dict[str, object] = {name: fields.get(name, "") for name in FORM_FIELDS}
    values["anonymous"] = bool(fields.get("anonymous"))
    settings = get_app_settings(request)
    error = TooLarge(
        "The photo is too large (%(size)s KB; at most %(limit)s KB).",
        field="photo",
        size=int(request.headers.get("content-length") or 0) // 1024,
        limit=settings.max_photo_bytes // 1024,
    )
    with Session(request.app.state.engine) as session:
        response = _form_page(
            request, session, values=values, error=error, status_code=error.status_code
        )
    await response(scope, receive, send)


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request) -> HTMLResponse:
    return render(request, "privacy.html", {})


@router.get("/report/place")
def read_place(session: SessionDep, text: str = "") -> JSONResponse:
    """The ward the report form pre-selects from the description (JSON; no personal data is
    kept: the text is read and forgotten)."""
    reading = places_service.read_place(text[:2000])
    area = session.get(Area, reading.ward_code) if reading.ward_code else None
    known = [code for code in reading.candidates if session.get(Area, code) is not None]
    return JSONResponse({
        "ward_code": area.id if area is not None and area.active else None,
        "candidates": known,
    })


@router.get("/report/similar")
def similar_reports(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    _limit: LookupRateLimit,
    text: str = "",
    area_id: str = "",
    address: str = "",
    latitude: str = "",
    longitude: str = "",
) -> JSONResponse:
    """The open reports nearby a description likely duplicates, as the form shows them while
    the resident types (JSON; public texts only; the text is read and forgotten)."""
    form = intake_service.ReportInput(
        description=text[: settings.max_description_chars], language=language,
        area_id=area_id, address=address[:300], latitude=latitude, longitude=longitude,
    )
    try:
        checked = intake_service.validate(session=session, form=form, settings=settings)
    except HotlineError:
        return JSONResponse({"reports": []})
    if checked.emergency_kind is not None:
        return JSONResponse({"reports": []})
    found = intake_similar.find(session=session, report=checked.report, language=language)
    return JSONResponse({"reports": [s.as_json() for s in found]})


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


def _status_page(
    request: Request,
    session: Session,
    ticket: Ticket,
    language: str,
    *,
    new: bool = False,
    code_sent: bool = False,
    verify_error: HotlineError | None = None,
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    view = public.public_ticket(session=session, ticket=ticket, language=language)
    still_open = ticket.state not in (
        TicketState.resolved, TicketState.closed, TicketState.rejected
    )
    flash = {
        "answered": gettext(language, "Thank you: your answer was added to the report."),
        "reopened": gettext(language, "Your report was reopened: the agency has a new deadline."),
    }.get(done)
    settings = get_app_settings(request)
    return render(
        request,
        "status.html",
        {
            "ticket": view,
            "estimate": estimate.estimate(session=session, ticket=ticket) if still_open else None,
            "new": new,
            "has_contact": verification.has_contact(ticket),
            "anonymous": not verification.has_contact(ticket),
            "code_sent": code_sent,
            "masked_contact": verification.masked_contact(ticket),
            "code_minutes": settings.contact_code_minutes,
            "verify_error": verify_error,
            "flash": flash,
            "emergency_advice": emergency.advice(language) if ticket.emergency else None,
            "spoken_code": " ".join(codes.display(ticket.code)),
        },
        status_code=status_code,
    )


@router.get("/status/{code}", response_class=HTMLResponse)
def status_page(
    code: str,
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    _limit: LookupRateLimit,
    new: int = 0,
    done: str = "",
) -> HTMLResponse:
    ticket: Ticket = tickets_service.get_by_code(session=session, code=code)
    return _status_page(request, session, ticket, language, new=bool(new), done=done)


@router.post("/status/{code}/verify", response_class=HTMLResponse)
def send_contact_code(
    code: str, request: Request, session: SessionDep, language: LanguageDep
) -> HTMLResponse:
    """Send a one-time code to the contact on file (rate-limited per ticket)."""
    ticket = tickets_service.get_by_code(session=session, code=code)
    try:
        verification.send_code(session=session, ticket=ticket, settings=get_app_settings(request))
    except HotlineError as error:
        session.rollback()
        return _status_page(
            request, session, ticket, language, verify_error=error, status_code=error.status_code
        )
    session.commit()
    return _status_page(request, session, ticket, language, code_sent=True)


@router.post("/status/{code}/verify/check", response_class=HTMLResponse)
def check_contact_code(
    code: str,
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    otp: Annotated[str, Form()] = "",
) -> Response:
    """The right code opens the resident's pages: rating and reopening a resolved report,
    answering (with a photo) an open one. A wrong try still counts."""
    ticket = tickets_service.get_by_code(session=session, code=code)
    try:
        verification.check_code(
            session=session, ticket=ticket, code=otp, settings=get_app_settings(request)
        )
    except HotlineError as error:
        session.commit()  # the attempt counts
        return _status_page(
            request,
            session,
            ticket,
            language,
            code_sent=True,
            verify_error=error,
            status_code=error.status_code,
        )
    session.commit()
    if ticket.state in (TicketState.resolved, TicketState.closed):
        target = links.status_path(
            ticket.code, "rate", t=links.make_token(ticket, "rate"), lang=language
        )
    else:
        target = links.status_path(
            ticket.code, "answer", t=links.make_token(ticket, "answer"), lang=language
        )
    return RedirectResponse(target, status_code=303)


@router.get("/healthz", include_in_schema=False)
def health(session: SessionDep) -> dict[str, str]:
    from sqlalchemy import text

    session.execute(text("SELECT 1"))
    return {"status": "ok"}
