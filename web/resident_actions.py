"""Public pages: the record of resolved tickets, and the resident's signed-link pages
(rate or reopen a resolution; answer the agency's question)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from core.dates import parse_date
from core.errors import Conflict, HotlineError, InvalidInput
from httpbase.deps import LanguageDep, SessionDep, SettingsDep
from httpbase.render import render
from intake import photos
from routing import service as routing_service
from tickets import links, policy, public, publication, replies, workflow
from tickets import service as tickets_service
from tickets.models import Ticket, TicketState

router = APIRouter(include_in_schema=False)
MAX_ANSWER = 4000


@router.get("/public")
def public_record(
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    q: str = "",
    category: str = "",
    ward: str = "",
    date_from: str = "",
    date_to: str = "",
    cursor: str = "",
) -> Response:
    criteria = publication.RecordSearch(
        text=q,
        category_id=category or None,
        area_id=ward or None,
        date_from=parse_date(date_from, field="date_from"),
        date_to=parse_date(date_to, field="date_to"),
    )
    page = publication.search(
        session=session, criteria=criteria, language=language, cursor=cursor or None
    )
    params = {
        k: v
        for k, v in {
            "q": q,
            "category": category,
            "ward": ward,
            "date_from": date_from,
            "date_to": date_to,
        }.items()
        if v
    }
    return render(
        request,
        "public/record.html",
        {
            "page": page,
            "params": params,
            "categories": routing_service.list_categories(session=session),
            "areas": routing_service.list_areas(session=session),
        },
    )


def _ticket_for_link(session: SessionDep, code: str, token: str, purpose: str) -> Ticket:
    ticket = tickets_service.get_by_code(session=session, code=code)
    links.check_token(token, ticket=ticket, purpose=purpose)
    return ticket


def _rate_page(
    request: Request,
    session: SessionDep,
    language: str,
    ticket: Ticket,
    token: str,
    *,
    error: HotlineError | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "public/rate.html",
        {
            "ticket": public.public_ticket(session=session, ticket=ticket, language=language),
            "token": token,
            "rating": ticket.rating,
            "can_rate": workflow.can_rate(ticket),
            "can_reopen": workflow.can_reopen(ticket),
            "reopen_days": policy.reopen_window_days(),
            "error": error,
            "done": request.query_params.get("done"),
        },
        status_code=status_code,
    )


@router.get("/status/{code}/rate")
def rate_page(
    code: str, request: Request, session: SessionDep, language: LanguageDep, t: str = ""
) -> Response:
    ticket = _ticket_for_link(session, code, t, "rate")
    return _rate_page(request, session, language, ticket, t)


@router.post("/status/{code}/rate")
def rate(
    code: str,
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    t: Annotated[str, Form()] = "",
    rating: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    ticket = _ticket_for_link(session, code, t, "rate")
    ticket = tickets_service.get_ticket(session=session, ticket_id=ticket.id or 0, for_update=True)
    try:
        if not rating.isdigit():
            raise InvalidInput("The rating is a number from 1 to 5.", field="rating")
        workflow.rate(session=session, ticket=ticket, rating=int(rating), comment=comment or None)
    except HotlineError as error:
        session.rollback()
        return _rate_page(
            request, session, language, ticket, t, error=error, status_code=error.status_code
        )
    session.commit()
    return RedirectResponse(
        links.status_path(ticket.code, "rate", t=t, done="rated", lang=language), status_code=303
    )


@router.post("/status/{code}/reopen")
def reopen(
    code: str,
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    t: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    ticket = _ticket_for_link(session, code, t, "rate")
    ticket = tickets_service.get_ticket(session=session, ticket_id=ticket.id or 0, for_update=True)
    try:
        workflow.reopen(session=session, ticket=ticket, reason=reason)
    except HotlineError as error:
        session.rollback()
        return _rate_page(
            request, session, language, ticket, t, error=error, status_code=error.status_code
        )
    session.commit()
    return RedirectResponse(
        links.status_path(ticket.code, lang=language, done="reopened"), status_code=303
    )


def _answer_page(
    request: Request,
    session: SessionDep,
    language: str,
    ticket: Ticket,
    token: str,
    *,
    error: HotlineError | None = None,
    text: str = "",
    status_code: int = 200,
) -> Response:
    questions = replies.events_of_kind(session=session, ticket=ticket, kind="info_requested")
    return render(
        request,
        "public/answer.html",
        {
            "ticket": public.public_ticket(session=session, ticket=ticket, language=language),
            "question": questions[-1].message if questions else None,
            "waiting": ticket.state == TicketState.waiting_for_resident,
            "token": token,
            "error": error,
            "text": text,
        },
        status_code=status_code,
    )


@router.get("/status/{code}/answer")
def answer_page(
    code: str, request: Request, session: SessionDep, language: LanguageDep, t: str = ""
) -> Response:
    ticket = _ticket_for_link(session, code, t, "answer")
    return _answer_page(request, session, language, ticket, t)


@router.post("/status/{code}/answer")
def answer(
    code: str,
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    settings: SettingsDep,
    t: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    ticket = _ticket_for_link(session, code, t, "answer")
    ticket = tickets_service.get_ticket(session=session, ticket_id=ticket.id or 0, for_update=True)
    photo_bytes = photo.file.read(settings.max_photo_bytes + 1) if photo is not None else b""
    try:
        cleaned = text.strip()
        if not cleaned:
            raise InvalidInput("Please write your answer.", field="text")
        if len(cleaned) > MAX_ANSWER:
            raise InvalidInput(
                "The text is too long (at most %(max)s characters).", field="text", max=MAX_ANSWER
            )
        if ticket.state in (TicketState.closed, TicketState.rejected, TicketState.resolved):
            raise Conflict("This report is no longer open for answers.")
        attachments = []
        if photo_bytes:
            checked = photos.check_photo(photo_bytes, max_bytes=settings.max_photo_bytes)
            attachments.append(
                tickets_service.NewAttachment(
                    content_type=checked.content_type,
                    size_bytes=checked.size_bytes,
                    sha256=checked.sha256,
                    storage_path=photos.store_photo(checked, media_dir=settings.media_dir),
                )
            )
        workflow.take_answer(
            session=session, ticket=ticket, text=cleaned, channel="web", attachments=attachments
        )
    except HotlineError as error:
        session.rollback()
        return _answer_page(
            request,
            session,
            language,
            ticket,
            t,
            error=error,
            text=text,
            status_code=error.status_code,
        )
    session.commit()
    return RedirectResponse(
        links.status_path(ticket.code, lang=language, done="answered"), status_code=303
    )
