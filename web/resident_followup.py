"""The resident's "is it fixed?" page (a signed link from the question, by SMS, e-mail or
Zalo): fixed, not fixed (with their words: the report goes back to the same agency), or stop
asking me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from core.errors import HotlineError, InvalidInput
from httpbase.deps import LanguageDep, SessionDep
from httpbase.render import render
from notify import service as notify_service
from tickets import links, policy, public, workflow
from tickets import service as tickets_service
from tickets.models import Ticket

router = APIRouter(include_in_schema=False)
ANSWERS = ("fixed", "not_fixed", "stop")


def _ticket(session: SessionDep, code: str, token: str) -> Ticket:
    ticket = tickets_service.get_by_code(session=session, code=code)
    links.check_token(token, ticket=ticket, purpose="fixed")
    return ticket


def _page(
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
    return render(
        request,
        "public/fixed.html",
        {
            "ticket": public.public_ticket(session=session, ticket=ticket, language=language),
            "token": token,
            "can_answer": policy.may_answer_fix_question(ticket) or workflow.can_reopen(ticket),
            "answer": ticket.fix_answer,
            "stopped": notify_service.stops_questions(session=session, ticket=ticket),
            "done": request.query_params.get("done"),
            "error": error,
            "text": text,
        },
        status_code=status_code,
    )


@router.get("/status/{code}/fixed")
def fixed_page(
    code: str, request: Request, session: SessionDep, language: LanguageDep, t: str = ""
) -> Response:
    return _page(request, session, language, _ticket(session, code, t), t)


@router.post("/status/{code}/fixed")
def answer_fixed(
    code: str,
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    t: Annotated[str, Form()] = "",
    answer: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    ticket = _ticket(session, code, t)
    ticket = tickets_service.get_ticket(session=session, ticket_id=ticket.id or 0, for_update=True)
    try:
        if answer not in ANSWERS:
            raise InvalidInput("Choose an answer.", field="answer")
        if answer == "stop":
            notify_service.stop_questions(session=session, ticket=ticket)
        elif answer == "fixed":
            workflow.confirm_fixed(session=session, ticket=ticket, channel="web", text=text)
        else:
            workflow.report_not_fixed(session=session, ticket=ticket, text=text, channel="web")
    except HotlineError as error:
        session.rollback()
        return _page(
            request, session, language, ticket, t, error=error, text=text,
            status_code=error.status_code,
        )
    session.commit()
    return RedirectResponse(
        links.status_path(ticket.code, "fixed", t=t, done=answer, lang=language), status_code=303
    )
