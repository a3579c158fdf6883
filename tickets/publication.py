"""The public record: resolved tickets, searchable by text, category, ward and date.

Only what anyone may see: no reporter, no contact; phone numbers and e-mail addresses inside
the text are masked (tickets.redact). Paged by keyset on (resolved_at, id), newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select, tuple_
from sqlmodel import Session, col

from core.clock import as_utc
from core.errors import InvalidInput
from core.paging import decode_cursor as _parse_cursor
from core.paging import encode_cursor as _cursor
from routing.models import Area, Category
from tickets import codes, redact
from tickets.models import Ticket, TicketState

PUBLISHED_STATES = (TicketState.resolved, TicketState.closed)
PAGE_SIZE = 20
MAX_QUERY = 200


@dataclass
class RecordSearch:
    text: str = ""
    category_id: str | None = None
    area_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class RecordEntry:
    code: str
    display_code: str
    category: str | None
    area: str | None
    description: str
    resolution: str
    created_at: datetime
    resolved_at: datetime | None
    rating: int | None


@dataclass
class RecordPage:
    entries: list[RecordEntry]
    next_cursor: str | None


def search(
    *,
    session: Session,
    criteria: RecordSearch,
    language: str,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> RecordPage:
    text = criteria.text.strip()
    if len(text) > MAX_QUERY:
        raise InvalidInput(
            "The search text is too long (at most %(max)s characters).", field="q", max=MAX_QUERY
        )
    query = select(Ticket).where(
        col(Ticket.state).in_(PUBLISHED_STATES),
        col(Ticket.resolved_at).is_not(None),
    )
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                col(Ticket.description).ilike(pattern, escape="\\"),
                col(Ticket.resolution).ilike(pattern, escape="\\"),
            )
        )
    if criteria.category_id:
        query = query.where(col(Ticket.category_id) == criteria.category_id)
    if criteria.area_id:
        query = query.where(col(Ticket.area_id) == criteria.area_id)
    if criteria.date_from:
        start = datetime.combine(criteria.date_from, time.min, tzinfo=UTC)
        query = query.where(col(Ticket.resolved_at) >= start)
    if criteria.date_to:
        end = datetime.combine(criteria.date_to, time.min, tzinfo=UTC) + timedelta(days=1)
        query = query.where(col(Ticket.resolved_at) < end)
    if cursor:
        moment, last_id = _parse_cursor(cursor)
        query = query.where(tuple_(Ticket.resolved_at, Ticket.id) < tuple_(moment, last_id))
    query = query.order_by(
        col(Ticket.resolved_at).desc(),
        col(Ticket.id).desc(),
    ).limit(limit + 1)
    rows = list(session.execute(query).scalars().all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        resolved_at = as_utc(last.resolved_at)
        assert resolved_at is not None and last.id is not None
        next_cursor = _cursor(resolved_at, last.id)
    categories = {c.id: c for c in session.execute(select(Category)).scalars()}
    areas = {a.id: a for a in session.execute(select(Area)).scalars()}

    def name(row: Category | Area | None) -> str | None:
        if row is None:
            return None
        return row.name_vi if language == "vi" else row.name_en

    return RecordPage(
        entries=[
            RecordEntry(
                code=t.code,
                display_code=codes.display(t.code),
                category=name(categories.get(t.category_id or "")),
                area=name(areas.get(t.area_id or "")),
                description=redact.mask_text(t.description),
                resolution=redact.mask_text(t.resolution),
                created_at=t.created_at,
                resolved_at=t.resolved_at,
                rating=t.rating,
            )
            for t in rows
        ],
        next_cursor=next_cursor,
    )
