"""The estimated time to fix shown to a resident: how long this agency recently took to resolve
reports of this category (in this ward when it has enough of them), as a median and a range.

An estimate, stated as one: it reads the agency's latest `SAMPLE` resolutions of the category
from the last `WINDOW_DAYS` (served by ix_ticket_estimate: category, agency, resolved_at),
counting from filing to resolution less the time the clock waited for a resident, and gives
the median with the 25th and 75th percentiles. Fewer than `MIN_REPORTS`: no estimate.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from core.clock import as_utc, utcnow
from tickets.models import Outcome, Ticket, TicketState

WINDOW_DAYS = 180
SAMPLE = 400
MIN_REPORTS = 10


@dataclass(frozen=True)
class Estimate:
    median_days: float
    low_days: float  # 25th percentile
    high_days: float  # 75th percentile
    reports: int
    scope: str  # "ward" or "category"


def _durations(session: Session, ticket: Ticket, *, ward: bool) -> list[float]:
    since = utcnow() - timedelta(days=WINDOW_DAYS)
    query = (
        select(
            col(Ticket.created_at), col(Ticket.resolved_at), col(Ticket.paused_seconds)
        )
        .where(
            col(Ticket.agency_id) == ticket.agency_id,
            col(Ticket.category_id) == ticket.category_id,
            col(Ticket.resolved_at) >= since,
            col(Ticket.state).in_((TicketState.resolved, TicketState.closed)),
            col(Ticket.id) != ticket.id,
            # an answer that says "not ours" or "cannot be done" is not a fix
            (col(Ticket.outcome).is_(None)) | (col(Ticket.outcome) == Outcome.fixed),
        )
        .order_by(col(Ticket.resolved_at).desc())
        .limit(SAMPLE)
    )
    if ward:
        query = query.where(col(Ticket.area_id) == ticket.area_id)
    days = []
    for created, resolved, paused in session.execute(query):
        start, end = as_utc(created), as_utc(resolved)
        if start is None or end is None:
            continue
        days.append(max(0.0, ((end - start).total_seconds() - (paused or 0)) / 86400))
    return days


def estimate(*, session: Session, ticket: Ticket) -> Estimate | None:
    if ticket.agency_id is None or ticket.category_id is None:
        return None
    scopes = (("ward", True), ("category", False)) if ticket.area_id else (("category", False),)
    for scope, ward in scopes:
        days = _durations(session, ticket, ward=ward)
        if len(days) >= MIN_REPORTS:
            quartiles = statistics.quantiles(days, n=4, method="inclusive")
            return Estimate(
                median_days=statistics.median(days),
                low_days=quartiles[0],
                high_days=quartiles[2],
                reports=len(days),
                scope=scope,
            )
    return None
