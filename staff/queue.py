"""The agency queue and the triage queue: filters and keyset paging on (resolve_due_at, id).

Keyset paging reads the next page from where the last one ended, so page 1,000 of a large
queue costs what page 1 costs (OFFSET would read and drop every earlier row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlmodel import Session, col

from core.clock import as_utc, utcnow
from core.errors import Forbidden, InvalidInput
from core.paging import decode_cursor, encode_cursor
from routing.taxonomy import TRIAGE_AGENCY
from staff.models import Role, StaffUser
from tickets import policy
from tickets.models import Ticket, TicketState

QUEUE_STATES = (
    TicketState.routed,
    TicketState.acknowledged,
    TicketState.in_progress,
    TicketState.waiting_for_resident,
)
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass
class QueueFilters:
    state: str | None = None
    category_id: str | None = None
    area_id: str | None = None
    overdue: bool = False
    agency_id: str | None = None  # officials and admins only


@dataclass
class Page:
    tickets: list[Ticket]
    next_cursor: str | None


def queue_agency(user: StaffUser, requested: str | None) -> str | None:
    """The agency whose queue this user sees (None: every agency, for officials and admins)."""
    if user.role in (Role.official, Role.admin):
        return requested or None
    if user.role == Role.triage_agent:
        return TRIAGE_AGENCY
    if user.agency_id is None:
        raise Forbidden("Your account belongs to no agency.")
    return user.agency_id


def is_overdue(ticket: Ticket, now: datetime | None = None) -> bool:
    return policy.is_overdue(ticket, now)


@dataclass
class QueueCounts:
    total: int
    overdue: int
    reopened: int
    emergency: int


def _filtered(user: StaffUser, filters: QueueFilters) -> Any:
    """The queue's conditions (without paging), shared by the page and its counts."""
    agency_id = queue_agency(user, filters.agency_id)
    query = select(Ticket).where(Ticket.resolve_due_at.is_not(None))  # type: ignore[union-attr]
    if agency_id is not None:
        query = query.where(col(Ticket.agency_id) == agency_id)
    if filters.state:
        if filters.state not in QUEUE_STATES:
            raise InvalidInput("Unknown state %(value)s.", field="state", value=filters.state)
        query = query.where(col(Ticket.state) == filters.state)
    else:
        query = query.where(Ticket.state.in_(QUEUE_STATES))  # type: ignore[attr-defined]
    if filters.category_id:
        query = query.where(col(Ticket.category_id) == filters.category_id)
    if filters.area_id:
        query = query.where(col(Ticket.area_id) == filters.area_id)
    if filters.overdue:
        query = query.where(policy.overdue_sql(Ticket.__table__.c, utcnow()))  # type: ignore[attr-defined]
    return query


def queue_counts(*, session: Session, user: StaffUser, filters: QueueFilters) -> QueueCounts:
    """How many tickets the filtered queue holds, and how many of them are overdue, reopened
    or emergencies (one aggregate query; the markers of the table, counted)."""
    matching = _filtered(user, filters).subquery()
    overdue = policy.overdue_sql(matching.c, utcnow())
    row = session.execute(
        select(
            func.count(),
            func.count().filter(overdue),
            func.count().filter(matching.c.reopen_count > 0),
            func.count().filter(matching.c.emergency.is_(True)),
        ).select_from(matching)
    ).one()
    return QueueCounts(total=row[0], overdue=row[1], reopened=row[2], emergency=row[3])


def duplicate_counts(*, session: Session, ticket_ids: list[int]) -> dict[int, int]:
    """For each ticket shown, how many others were rejected as its duplicates."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        select(col(Ticket.duplicate_of_id), func.count())
        .where(col(Ticket.duplicate_of_id).in_(ticket_ids))
        .group_by(col(Ticket.duplicate_of_id))
    ).all()
    return {int(ticket_id): int(count) for ticket_id, count in rows}


def agency_queue(
    *,
    session: Session,
    user: StaffUser,
    filters: QueueFilters,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = _filtered(user, filters)
    if cursor:
        moment, last_id = decode_cursor(cursor)
        query = query.where(tuple_(Ticket.resolve_due_at, Ticket.id) > tuple_(moment, last_id))
    query = query.order_by(Ticket.resolve_due_at, Ticket.id).limit(limit + 1)  # type: ignore[arg-type]
    rows = list(session.execute(query).scalars().all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        assert last.id is not None
        next_cursor = encode_cursor(as_utc(last.resolve_due_at), last.id)
    return Page(tickets=rows, next_cursor=next_cursor)


def triage_queue(
    *, session: Session, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page:
    """Tickets waiting at the triage desk, oldest first (emergencies: see triage_emergencies)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = select(Ticket).where(
        col(Ticket.state) == TicketState.triage, col(Ticket.emergency).is_(False)
    )
    if cursor:
        moment, last_id = decode_cursor(cursor)
        query = query.where(tuple_(Ticket.created_at, Ticket.id) > tuple_(moment, last_id))
    query = query.order_by(Ticket.created_at, Ticket.id).limit(limit + 1)  # type: ignore[arg-type]
    rows = list(session.execute(query).scalars().all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        assert last.id is not None
        next_cursor = encode_cursor(as_utc(last.created_at), last.id)
    return Page(tickets=rows, next_cursor=next_cursor)


def triage_emergencies(*, session: Session, limit: int = MAX_PAGE_SIZE) -> list[Ticket]:
    """Emergencies waiting at the triage desk: above every other ticket, on every page."""
    return list(
        session.execute(
            select(Ticket)
            .where(col(Ticket.state) == TicketState.triage, col(Ticket.emergency).is_(True))
            .order_by(col(Ticket.created_at), col(Ticket.id))
            .limit(limit)
        ).scalars()
    )
