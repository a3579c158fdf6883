"""The path for complaints about an administrative procedure: a service centre, a procedure and a
dossier instead of a street. Every door that accepts one (the web form's procedure page, Open311's
`public_admin` attributes) checks it here and files it through the one intake door.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from core.clock import utcnow
from core.errors import InvalidInput
from core.settings import Settings
from intake import filing, validation
from intake import service as intake_service
from routing.models import Area, Procedure
from routing.taxonomy import PROCEDURE_CATEGORY
from tickets import dossiers
from tickets.models import DossierProblem, SubmittedVia

# a portal's code ("000.00.20.H29-250301-0001"), a paper receipt's number ("HS-2025/0123"):
# letters, digits and separators, with at least one digit; never looked up anywhere
DOSSIER_CODE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9.\-/_]{3,39}$")
OLDEST_DOSSIER_YEARS = 10


@dataclass
class ProcedureInput:
    """What a resident sent about a procedure, as sent (checked by `check`)."""

    centre_area_id: str | None
    procedure_id: str | None
    dossier_code: str | None = None
    submitted_on: str | None = None
    submitted_via: str | None = None
    problem: str | None = None


def check(*, session: Session, form: ProcedureInput) -> tuple[str, dossiers.Dossier]:
    """The centre's ward and the dossier, or InvalidInput naming the field."""
    centre = validation.clean_text(form.centre_area_id)
    if not centre or session.get(Area, centre) is None:
        raise InvalidInput(
            "Choose the service centre (the ward or commune) where the dossier was filed.",
            field="centre",
        )
    procedure_id = validation.clean_text(form.procedure_id)
    procedure = session.get(Procedure, procedure_id) if procedure_id else None
    if procedure is None or not procedure.active:
        raise InvalidInput(
            "Unknown procedure %(value)s: choose one from the list.",
            field="procedure",
            value=procedure_id[:64],
        )
    code = validation.clean_text(form.dossier_code) or None
    if code is not None and not DOSSIER_CODE.match(code):
        raise InvalidInput(
            "A dossier code has 4 to 40 letters, digits, dots, dashes or slashes, as printed "
            "on the receipt.",
            field="dossier_code",
        )
    submitted_on = _date(form.submitted_on)
    via = validation.clean_text(form.submitted_via) or SubmittedVia.in_person
    if via not in SubmittedVia.__members__:
        raise InvalidInput("Choose how the dossier was submitted.", field="submitted_via")
    problem = validation.clean_text(form.problem) or DossierProblem.late
    if problem not in DossierProblem.__members__:
        raise InvalidInput("Choose what went wrong.", field="problem")
    return centre, dossiers.Dossier(
        procedure_id=procedure.id,
        dossier_code=code,
        submitted_on=submitted_on,
        submitted_via=via,
        problem=problem,
    )


def _date(value: str | None) -> date | None:
    text = validation.clean_text(value)
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput(
            "Write the date as year-month-day, e.g. 2025-03-14.", field="submitted_on"
        ) from error
    today = utcnow().date()
    if day > today + timedelta(days=1) or day < today - timedelta(days=366 * OLDEST_DOSSIER_YEARS):
        raise InvalidInput(
            "The submission date must be within the last %(years)s years.",
            field="submitted_on",
            years=OLDEST_DOSSIER_YEARS,
        )
    return day


def submit(
    *,
    session: Session,
    report: intake_service.ReportInput,
    procedure: ProcedureInput,
    settings: Settings,
    channel: str = "web",
) -> filing.Filed:
    """Check both parts before writing anything; no street is asked: the centre is the place.
    The ticket goes to the procedure's agency when processed (tickets.processing)."""
    centre, dossier = check(session=session, form=procedure)
    # the code lives in the private dossier row; the words that may be published never carry it
    report.description = dossiers.mask_code(report.description or "", dossier.dossier_code)
    report.area_id = centre
    report.category_id = PROCEDURE_CATEGORY
    filed = intake_service.submit_report(
        session=session, form=report, settings=settings, channel=channel
    )
    dossiers.attach(session=session, ticket=filed.ticket, dossier=dossier)
    return filed
