"""Keeping the roll-ups current.

A ticket is counted on its filing day, so any change to a ticket changes one day's rows. The
periodic task `dashboard.refresh_rollups` finds the days touched since it last ran and
recomputes them whole (delete the day's rows, insert the day's sums):

- every change to a ticket records a TicketEvent (tickets.workflow, tickets.service.record_event),
  so the events with an id above the watermark name the touched tickets. The watermark only
  advances past events older than OVERLAP, so a transaction that commits late (its event ids
  taken before others that committed first) is still read on the next run;
- a deadline passing changes "overdue" without any event: the days of open tickets whose
  acknowledgement or resolution deadline fell between the last run and now are recomputed too
  (found through the ticket indexes on (state, ack_due_at) and (state, resolve_due_at)).

Recomputing a day reads that day's tickets through ix_ticket_created_at; the "city" and "area"
levels are then summed from the day's "full" rows, not from the tickets again.

The monthly rows follow by difference: before a day's rows are replaced, their sums are taken
off their month's rows, and the new rows' sums added (INSERT ... ON CONFLICT on the month row's
key), so a refresh costs the days it recomputes, not the months around them; a month row whose
tickets all moved away (created 0, hence every count 0) is deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, cast, delete, func, insert, literal, null, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from core.clock import utcnow
from core.settings import get_settings
from dashboard import measures
from dashboard.models import (
    DIMENSIONS,
    MONTHLY_UNSET,
    SUMMED,
    DashboardRollupState,
    dashboard_daily,
    dashboard_monthly,
    dashboard_transfer_daily,
)
from tickets.models import Ticket, TicketEvent, TicketState

log = logging.getLogger(__name__)
STATE_NAME = "daily"
OVERLAP = timedelta(minutes=2)
T = Ticket.__table__.c  # type: ignore[attr-defined]
E = TicketEvent.__table__.c  # type: ignore[attr-defined]
LEVEL_DIMENSIONS = {
    "full": DIMENSIONS,
    "city": ("category_id", "agency_id", "channel"),
    "area": ("area_id", "channel"),
}


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _timezone() -> str:
    return get_settings().city_timezone


def contiguous_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """[d1, d2, d3, d7] -> [(d1, d3), (d7, d7)]"""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def recompute_range(
    *, session: Session, first: date, last: date, now: datetime, months: bool = True
) -> None:
    """Replace the roll-up rows of the filing days first..last (inclusive), and their share of
    the monthly rows (unless ``months`` is False: rebuild_all sums the months at the end)."""
    dialect, timezone = _dialect(session), _timezone()
    start = measures.day_start(first, timezone)
    end = measures.day_start(last + timedelta(days=1), timezone)
    if months:
        _add_to_months(session=session, first=first, last=last, sign=-1)
    session.execute(
        delete(dashboard_daily).where(dashboard_daily.c.day.between(first, last))
    )
    session.execute(
        delete(dashboard_transfer_daily).where(dashboard_transfer_daily.c.day.between(first, last))
    )
    day = measures.day_expression(T.created_at, dialect=dialect, timezone=timezone).label("day")
    dims = [T.category_id, T.area_id, T.agency_id, T.channel]
    sums = measures.aggregate_columns(now, dialect)
    source = (
        select(literal("full").label("level"), day, *dims, *sums)
        .where(T.created_at >= start, T.created_at < end)
        .group_by(day, *dims)
    )
    session.execute(
        insert(dashboard_daily).from_select(
            ["level", "day", *DIMENSIONS, *SUMMED], source
        )
    )
    _sum_levels(session=session, first=first, last=last)
    _transfers(session=session, start=start, end=end, first=first, last=last)
    if months:
        _add_to_months(session=session, first=first, last=last, sign=1)
        M = dashboard_monthly.c
        session.execute(delete(dashboard_monthly).where(
            M.month.between(first.replace(day=1), last), M.created == 0))


def month_expression(column: Any, *, dialect: str) -> Any:
    """The first day of the month of a date column."""
    if dialect == "sqlite":
        return func.date(column, "start of month")
    return cast(func.date_trunc("month", column), Date)


def _add_to_months(*, session: Session, first: date, last: date, sign: int) -> None:
    """Add (sign 1) or take off (sign -1) the daily rows of first..last to their months' rows."""
    D, M = dashboard_daily.c, dashboard_monthly.c
    dialect = _dialect(session)
    month = month_expression(D.day, dialect=dialect).label("month")
    keys = [func.coalesce(D[name], MONTHLY_UNSET).label(name) for name in DIMENSIONS]
    source = (
        select(D.level, month, *keys, *((sign * func.sum(D[name])).label(name) for name in SUMMED))
        .where(D.day.between(first, last))
        .group_by(D.level, month, *keys)
    )
    insert_for = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_for(dashboard_monthly).from_select(
        ["level", "month", *DIMENSIONS, *SUMMED], source)
    session.execute(statement.on_conflict_do_update(
        index_elements=["level", "month", *DIMENSIONS],
        set_={name: M[name] + statement.excluded[name] for name in SUMMED},
    ))


def _sum_levels(*, session: Session, first: date, last: date) -> None:
    D = dashboard_daily.c
    for level in ("city", "area"):
        kept = LEVEL_DIMENSIONS[level]
        columns = [D[name] if name in kept else null().label(name) for name in DIMENSIONS]
        source = (
            select(
                literal(level).label("level"),
                D.day,
                *columns,
                *(func.sum(D[name]).label(name) for name in SUMMED),
            )
            .where(D.level == "full", D.day.between(first, last))
            .group_by(D.day, *(D[name] for name in kept))
        )
        session.execute(
            insert(dashboard_daily).from_select(["level", "day", *DIMENSIONS, *SUMMED], source)
        )


def _transfers(
    *, session: Session, start: datetime, end: datetime, first: date, last: date
) -> None:
    dialect, timezone = _dialect(session), _timezone()
    day = measures.day_expression(T.created_at, dialect=dialect, timezone=timezone).label("day")
    from_agency = TicketEvent.data["from_agency_id"].as_string().label("from_agency_id")  # type: ignore[index]
    to_agency = TicketEvent.data["agency_id"].as_string().label("to_agency_id")  # type: ignore[index]
    source = (
        select(
            literal("full").label("level"),
            day,
            T.category_id,
            T.area_id,
            T.channel,
            from_agency,
            to_agency,
            func.count().label("transfers"),
        )
        .select_from(Ticket.__table__.join(TicketEvent.__table__, E.ticket_id == T.id))  # type: ignore[attr-defined]
        .where(T.created_at >= start, T.created_at < end, E.kind == "transferred")
        .group_by(day, T.category_id, T.area_id, T.channel, from_agency, to_agency)
    )
    names = ["level", "day", "category_id", "area_id", "channel", "from_agency_id",
             "to_agency_id", "transfers"]
    session.execute(insert(dashboard_transfer_daily).from_select(names, source))
    X = dashboard_transfer_daily.c
    city = (
        select(
            literal("city").label("level"),
            X.day,
            X.category_id,
            null().label("area_id"),
            X.channel,
            X.from_agency_id,
            X.to_agency_id,
            func.sum(X.transfers).label("transfers"),
        )
        .where(X.level == "full", X.day.between(first, last))
        .group_by(X.day, X.category_id, X.channel, X.from_agency_id, X.to_agency_id)
    )
    session.execute(insert(dashboard_transfer_daily).from_select(names, city))


def recompute_days(*, session: Session, days: Iterable[date], now: datetime) -> int:
    ranges = contiguous_ranges(days)
    for first, last in ranges:
        recompute_range(session=session, first=first, last=last, now=now)
    return sum((last - first).days + 1 for first, last in ranges)


def _state(session: Session) -> DashboardRollupState:
    query = select(DashboardRollupState).where(col(DashboardRollupState.name) == STATE_NAME)
    if _dialect(session) == "postgresql":
        query = query.with_for_update()
    state = session.execute(query).scalar_one_or_none()
    if state is None:
        state = DashboardRollupState(name=STATE_NAME, event_watermark=0)
        session.add(state)
        session.flush()
    return state


def _ticket_days(session: Session, query_where: list[object]) -> set[date]:
    day = measures.day_expression(T.created_at, dialect=_dialect(session), timezone=_timezone())
    rows = session.execute(select(day).where(*query_where).distinct()).scalars()  # type: ignore[arg-type]
    return {_as_date(value) for value in rows if value is not None}


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def rebuild_all(*, session: Session, now: datetime | None = None) -> int:
    """Recompute every day that has tickets (after a bulk load, or on first run)."""
    now = now or utcnow()
    state = _state(session)
    first, last = session.execute(select(func.min(T.created_at), func.max(T.created_at))).one()
    session.execute(delete(dashboard_daily))
    session.execute(delete(dashboard_monthly))
    session.execute(delete(dashboard_transfer_daily))
    days = 0
    if first is not None:
        timezone = _timezone()
        first_day = measures.day_of(first, timezone)
        last_day = measures.day_of(last, timezone)
        recompute_range(session=session, first=first_day, last=last_day, now=now, months=False)
        rebuild_months(session=session)
        days = (last_day - first_day).days + 1
    state.event_watermark = _safe_watermark(session, after=0, now=now) or 0
    state.deadline_watermark = now
    state.refreshed_at = now
    state.days_refreshed = days
    session.add(state)
    session.flush()
    return days


def rebuild_months(*, session: Session) -> None:
    """The monthly rows summed again from every daily row (after a bulk load)."""
    session.execute(delete(dashboard_monthly))
    first, last = session.execute(
        select(func.min(dashboard_daily.c.day), func.max(dashboard_daily.c.day))).one()
    if first is not None:
        _add_to_months(session=session, first=_as_date(first), last=_as_date(last), sign=1)


def _safe_watermark(session: Session, *, after: int, now: datetime) -> int | None:
    """The highest event id that is old enough for every earlier transaction to have committed."""
    return session.execute(
        select(func.max(E.id)).where(E.id > after, E.created_at < now - OVERLAP)
    ).scalar_one_or_none()


def refresh(*, session: Session, now: datetime | None = None) -> int:
    """Recompute the days touched since the last run; returns how many days were recomputed."""
    now = now or utcnow()
    state = _state(session)
    if state.deadline_watermark is None:
        return rebuild_all(session=session, now=now)
    watermark = state.event_watermark
    since = state.deadline_watermark
    touched_ids = select(E.ticket_id).where(E.id > watermark)
    days = _ticket_days(session, [T.id.in_(touched_ids)])
    days |= _ticket_days(
        session,
        [
            T.state == TicketState.routed.value,
            T.ack_due_at > since,
            T.ack_due_at <= now,
        ],
    )
    days |= _ticket_days(
        session,
        [T.state.in_(measures.OPEN), T.resolve_due_at > since, T.resolve_due_at <= now],
    )
    count = recompute_days(session=session, days=days, now=now)
    state.event_watermark = _safe_watermark(session, after=watermark, now=now) or watermark
    state.deadline_watermark = now
    state.refreshed_at = now
    state.days_refreshed = count
    session.add(state)
    session.flush()
    log.info("dashboard roll-ups: %s days recomputed", count)
    return count


def last_refresh(*, session: Session) -> datetime | None:
    return session.execute(
        select(col(DashboardRollupState.refreshed_at)).where(
            col(DashboardRollupState.name) == STATE_NAME
        )
    ).scalar_one_or_none()
