"""The tickets behind a figure: the same condition as the roll-up, read from the tickets table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlmodel import Session

from core.clock import utcnow
from core.errors import InvalidInput
from core.settings import get_settings
from dashboard import measures
from dashboard.service import NONE, Filters
from tickets.models import Ticket, TicketEvent

T = Ticket.__table__.c  # type: ignore[attr-defined]
E = TicketEvent.__table__.c  # type: ignore[attr-defined]
PAGE_SIZE = 50
MAX_PAGE = 2000
# figures that describe now (the backlog): every ticket filed up to the end of the period
BACKLOG_FIGURES = frozenset({"open", "overdue", "paused"})
TRANSFERRED_OUT = "transferred_out"
FIGURES = (*measures.DRILLABLE, TRANSFERRED_OUT)
COLUMNS = (
    T.id,
    T.code,
    T.created_at,
    T.state,
    T.channel,
    T.category_id,
    T.area_id,
    T.agency_id,
    T.ack_due_at,
    T.acknowledged_at,
    T.resolve_due_at,
    T.resolved_at,
    T.transfer_count,
    T.reopen_count,
    T.rating,
)


@dataclass
class Page:
    figure: str
    page: int
    rows: list[dict[str, Any]]
    has_next: bool


def check_figure(figure: str) -> str:
    if figure not in FIGURES:
        raise InvalidInput("Unknown figure %(value)s.", field="figure", value=figure[:40])
    return figure


def conditions(filters: Filters, figure: str, now: datetime) -> list[Any]:
    timezone = get_settings().city_timezone
    end = measures.day_start(filters.end + timedelta(days=1), timezone)
    found: list[Any] = [T.created_at < end]
    if figure not in BACKLOG_FIGURES:
        found.append(T.created_at >= measures.day_start(filters.start, timezone))
    for name, value in filters.dimensions().items():
        if value is None or (figure == TRANSFERRED_OUT and name == "agency_id"):
            continue
        found.append(T[name].is_(None) if value == NONE else T[name] == value)
    if figure == TRANSFERRED_OUT:
        moved = [E.ticket_id == T.id, E.kind == "transferred"]
        if filters.agency_id is not None:
            moved.append(
                TicketEvent.data["from_agency_id"].as_string() == filters.agency_id  # type: ignore[index]
            )
        found.append(exists().where(*moved))
    else:
        found.append(measures.CONDITIONS[figure](now))
    return found


def tickets(
    *, session: Session, filters: Filters, figure: str, page: int = 1, page_size: int = PAGE_SIZE
) -> Page:
    check_figure(figure)
    if page < 1 or page > MAX_PAGE:
        raise InvalidInput(
            "The page number is between 1 and %(max)s.", field="page", max=MAX_PAGE
        )
    query = (
        select(*COLUMNS)
        .where(*conditions(filters, figure, utcnow()))
        .order_by(T.created_at.desc(), T.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size + 1)
    )
    rows = [dict(row) for row in session.execute(query).mappings()]
    return Page(figure=figure, page=page, rows=rows[:page_size], has_next=len(rows) > page_size)


def all_query(*, filters: Filters, figure: str) -> Any:
    """Every ticket behind the figure, newest first (the CSV export streams it)."""
    check_figure(figure)
    return (
        select(*COLUMNS)
        .where(*conditions(filters, figure, utcnow()))
        .order_by(T.created_at.desc(), T.id.desc())
    )


def count(*, session: Session, filters: Filters, figure: str) -> int:
    """A direct count: the total the drill-down page shows above its pages (bounded by the
    period's index range), and what tests compare with the roll-up."""
    from sqlalchemy import func

    check_figure(figure)
    return int(
        session.execute(
            select(func.count()).select_from(Ticket).where(*conditions(filters, figure, utcnow()))
        ).scalar_one()
    )
