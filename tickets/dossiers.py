"""Complaints about an administrative procedure: the dossier they concern, and how late it is.

The dossier is kept beside the ticket (DossierComplaint), never in a public view. Staff see the
procedure's legal processing time beside the working days elapsed since the dossier was
submitted, so "late" is visible at a glance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core.clock import utcnow
from core.settings import get_settings
from routing.models import Procedure
from tickets import deadlines
from tickets.models import DossierComplaint, Ticket
from tickets.service import RESIDENT, record_event, remember_dossier

DOSSIER_MASK = "[mã hồ sơ]"
UNKNOWN_PROCEDURE = "other_procedure"  # shipped in routing/data/procedures.toml


@dataclass(frozen=True)
class Dossier:
    procedure_id: str
    dossier_code: str | None
    submitted_on: date | None
    submitted_via: str
    problem: str


@dataclass(frozen=True)
class Lateness:
    """The procedure's legal time against the working days since submission."""

    legal_days: int
    elapsed_days: int | None
    due_on: date | None

    @property
    def late(self) -> bool:
        return self.elapsed_days is not None and self.elapsed_days > self.legal_days


def attach(*, session: Session, ticket: Ticket, dossier: Dossier) -> DossierComplaint:
    assert ticket.id is not None
    row = DossierComplaint(
        ticket_id=ticket.id,
        procedure_id=dossier.procedure_id,
        dossier_code=dossier.dossier_code,
        submitted_on=dossier.submitted_on,
        submitted_via=dossier.submitted_via,
        problem=dossier.problem,
    )
    session.add(row)
    session.flush()
    remember_dossier(session=session, ticket=ticket, dossier=row)
    return row


def add_code(*, session: Session, ticket: Ticket, code: str, channel: str) -> DossierComplaint:
    """A resident sends the dossier code later (answering the hotline's question on SMS or
    Zalo): it joins the ticket's private dossier, and the audit trail says so, without the
    code (the trail's messages may be published)."""
    row = of(session=session, ticket=ticket)
    if row is None:
        row = attach(
            session=session,
            ticket=ticket,
            dossier=Dossier(
                procedure_id=UNKNOWN_PROCEDURE,
                dossier_code=code,
                submitted_on=None,
                submitted_via="in_person",
                problem="other",
            ),
        )
    else:
        row.dossier_code = code
        session.add(row)
    record_event(
        session=session,
        ticket=ticket,
        kind="dossier_code_added",
        actor=RESIDENT,
        public=False,
        data={"channel": channel},
    )
    session.flush()
    return row


def of(*, session: Session, ticket: Ticket) -> DossierComplaint | None:
    return session.get(DossierComplaint, ticket.id) if ticket.id is not None else None


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (the city's calendar)."""
    settings = get_settings()
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if deadlines.is_working_day(
            day, country=settings.holiday_country, working_days=settings.working_days
        ):
            count += 1
    return count


def lateness(
    *, procedure: Procedure, submitted_on: date | None, now: datetime | None = None
) -> Lateness:
    settings = get_settings()
    if submitted_on is None:
        return Lateness(legal_days=procedure.processing_working_days, elapsed_days=None,
                        due_on=None)
    zone = ZoneInfo(settings.city_timezone)
    today = (now or utcnow()).astimezone(zone).date()
    start = datetime.combine(submitted_on, time(12), tzinfo=zone)
    due = deadlines.add_working_days(
        start,
        procedure.processing_working_days,
        timezone=settings.city_timezone,
        country=settings.holiday_country,
        working_days=settings.working_days,
    )
    return Lateness(
        legal_days=procedure.processing_working_days,
        elapsed_days=working_days_between(submitted_on, today),
        due_on=due.astimezone(zone).date(),
    )


def mask_code(text: str, code: str | None) -> str:
    """The resident's words without their dossier code (published text never carries it)."""
    if not text or not code:
        return text
    return re.sub(re.escape(code), DOSSIER_MASK, text, flags=re.IGNORECASE)
