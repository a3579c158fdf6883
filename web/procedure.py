"""The procedure path of the report form: a complaint about a dossier at a ward's service
centre asks for the centre, the procedure and the dossier, never for a street."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import HotlineError
from httpbase.deps import LanguageDep, SessionDep, SettingsDep
from httpbase.render import render
from httpbase.throttle import ReportRateLimit
from intake import procedures
from intake import service as intake_service
from routing import service as routing_service
from tickets import links
from tickets.models import DossierProblem, SubmittedVia

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    session: SessionDep,
    *,
    values: dict[str, object] | None = None,
    error: HotlineError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "procedure_form.html",
        {
            "areas": routing_service.list_areas(session=session),
            "procedures": routing_service.list_procedures(session=session),
            "problems": [p.value for p in DossierProblem],
            "channels": [c.value for c in SubmittedVia],
            "values": values or {},
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/report/procedure", response_class=HTMLResponse)
def procedure_form(request: Request, session: SessionDep) -> HTMLResponse:
    return _page(request, session)


@router.post("/report/procedure", response_class=HTMLResponse)
def submit_procedure(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    _limit: ReportRateLimit,
    description: Annotated[str, Form()] = "",
    centre: Annotated[str, Form()] = "",
    procedure: Annotated[str, Form()] = "",
    dossier_code: Annotated[str, Form()] = "",
    submitted_on: Annotated[str, Form()] = "",
    submitted_via: Annotated[str, Form()] = "",
    problem: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    anonymous: Annotated[str, Form()] = "",
) -> Response:
    values = {
        "description": description, "centre": centre, "procedure": procedure,
        "dossier_code": dossier_code, "submitted_on": submitted_on,
        "submitted_via": submitted_via, "problem": problem, "name": name, "phone": phone,
        "email": email, "anonymous": bool(anonymous),
    }
    try:
        filed = procedures.submit(
            session=session,
            report=intake_service.ReportInput(
                description=description,
                language=language,
                name=name,
                phone=phone,
                email=email,
                anonymous=bool(anonymous),
            ),
            procedure=procedures.ProcedureInput(
                centre_area_id=centre,
                procedure_id=procedure,
                dossier_code=dossier_code,
                submitted_on=submitted_on,
                submitted_via=submitted_via,
                problem=problem,
            ),
            settings=settings,
        )
    except HotlineError as error:
        session.rollback()
        return _page(request, session, values=values, error=error, status_code=error.status_code)
    session.commit()
    return RedirectResponse(
        links.status_path(filed.ticket.code, new=1, lang=language), status_code=303
    )
