"""What each dashboard count means, as one SQL condition over the ticket row.

The roll-up sums these conditions per day; the drill-down lists the tickets that meet the same
condition, so a number and the tickets behind it cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, case, cast, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from core.clock import as_utc
from dashboard.models import ACK_BUCKETS, BUCKET_EDGES_HOURS, COUNTS, RESOLVE_BUCKETS
from tickets import policy
from tickets.lifecycle import OPEN_STATES
from tickets.models import FixAnswer, Outcome, Ticket, TicketState

T = Ticket.__table__.c  # type: ignore[attr-defined]
OPEN = [state.value for state in OPEN_STATES]
RESOLVED = [TicketState.resolved.value, TicketState.closed.value]
# reports filed by a person online (the web form, an Open311 app, the JSON API, Zalo)
ONLINE_CHANNELS = ("web", "open311", "api", "zalo")

Condition = Callable[[datetime], ColumnElement[bool]]


def _is_open() -> ColumnElement[bool]:
    return T.state.in_(OPEN)


def _paused() -> ColumnElement[bool]:
    return T.state == TicketState.waiting_for_resident.value


def _ack_missed(now: datetime) -> ColumnElement[bool]:
    return policy.ack_missed_sql(T, now)


def _resolve_missed(now: datetime) -> ColumnElement[bool]:
    # a paused clock (waiting for the resident) is never overdue; its deadline moves on resume
    return policy.resolve_missed_sql(T, now)


def _resolved() -> ColumnElement[bool]:
    return and_(T.state.in_(RESOLVED), T.resolved_at.is_not(None))


CONDITIONS: dict[str, Condition] = {
    "created": lambda now: literal(True),
    "open": lambda now: _is_open(),
    "overdue": lambda now: policy.overdue_sql(T, now),
    "paused": lambda now: _paused(),
    "rejected": lambda now: T.state == TicketState.rejected.value,
    "ack_on_time": lambda now: and_(
        T.acknowledged_at.is_not(None),
        or_(T.ack_due_at.is_(None), T.acknowledged_at <= T.ack_due_at),
    ),
    "ack_late": lambda now: and_(T.acknowledged_at.is_not(None), T.acknowledged_at > T.ack_due_at),
    "ack_missed": _ack_missed,
    "resolved": lambda now: _resolved(),
    "resolved_on_time": lambda now: and_(
        _resolved(), or_(T.resolve_due_at.is_(None), T.resolved_at <= T.resolve_due_at)
    ),
    "resolved_late": lambda now: and_(_resolved(), T.resolved_at > T.resolve_due_at),
    "resolve_missed": _resolve_missed,
    "transferred": lambda now: T.transfer_count > 0,
    "reopened": lambda now: T.reopen_count > 0,
    "rated": lambda now: T.rating.is_not(None),
    "rating_high": lambda now: T.rating >= 4,
    # closing the loop: what the agency said, and what the resident said
    "resolved_not_fixed": lambda now: and_(
        _resolved(), T.outcome.in_((Outcome.not_responsible.value, Outcome.cannot_be_done.value))
    ),
    "scheduled": lambda now: T.scheduled_for.is_not(None),
    "fix_asked": lambda now: or_(T.fix_asked_at.is_not(None), T.not_fixed_count > 0),
    # confirmed fixed the first time it was said to be (a "not fixed" counts against it for good)
    "fix_confirmed": lambda now: and_(
        T.fix_answer == FixAnswer.fixed.value, T.not_fixed_count == 0
    ),
    "fix_not_fixed": lambda now: T.not_fixed_count > 0,
    "fix_no_answer": lambda now: T.fix_answer == FixAnswer.no_answer.value,
}
# counts that are sums of a value rather than of a condition
VALUES: dict[str, Callable[[], ColumnElement[Any]]] = {
    "transfers": lambda: T.transfer_count,
    "rating_sum": lambda: func.coalesce(T.rating, 0),
}
# the conditions the drill-down offers (a figure and the tickets behind it)
DRILLABLE = tuple(CONDITIONS)


def hours_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[float]:
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 24.0
    # EXTRACT gives numeric on PostgreSQL; the figures read it as float
    return func.extract("epoch", later - earlier) / 3600.0  # type: ignore[return-value]


def ack_hours(dialect: str) -> ColumnElement[float]:
    """From routing to the agency holding the ticket to its acknowledgement."""
    return hours_between(T.acknowledged_at, T.routed_at, dialect)


def resolve_hours(dialect: str) -> ColumnElement[float]:
    """From filing to resolution, less the time the clock was paused for the resident."""
    return hours_between(T.resolved_at, T.created_at, dialect) - T.paused_seconds / 3600.0


def bucket_conditions(hours: ColumnElement[float]) -> list[ColumnElement[bool]]:
    edges = BUCKET_EDGES_HOURS
    conditions: list[ColumnElement[bool]] = [hours < edges[0]]
    for lower, upper in zip(edges, edges[1:], strict=False):
        conditions.append(and_(hours >= lower, hours < upper))
    conditions.append(hours >= edges[-1])
    return conditions


def aggregate_columns(now: datetime, dialect: str) -> list[ColumnElement[Any]]:
    """SUM(...) of every count and bucket, labelled with the roll-up column names."""
    columns: list[ColumnElement[Any]] = []
    for name in COUNTS:
        if name in VALUES:
            columns.append(func.coalesce(func.sum(VALUES[name]()), 0).label(name))
        else:
            condition = CONDITIONS[name](now)
            columns.append(func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(name))
    acked = T.acknowledged_at.is_not(None)
    for name, bucket in zip(ACK_BUCKETS, bucket_conditions(ack_hours(dialect)), strict=True):
        columns.append(
            func.coalesce(func.sum(case((and_(acked, bucket), 1), else_=0)), 0).label(name)
        )
    resolved = _resolved()
    for name, bucket in zip(
        RESOLVE_BUCKETS, bucket_conditions(resolve_hours(dialect)), strict=True
    ):
        columns.append(
            func.coalesce(func.sum(case((and_(resolved, bucket), 1), else_=0)), 0).label(name)
        )
    return columns


# Days in the city's time zone -------------------------------------------------------------


def day_expression(column: Any, *, dialect: str, timezone: str) -> ColumnElement[date]:
    if dialect == "sqlite":
        # SQLite has no time zones: a fixed offset (Vietnam keeps no daylight saving time)
        offset = datetime.now(ZoneInfo(timezone)).utcoffset() or timedelta(0)
        hours = offset.total_seconds() / 3600
        return func.date(column, f"{hours:+g} hours")
    return cast(func.timezone(timezone, column), Date)


def day_start(day: date, timezone: str) -> datetime:
    """The UTC moment the city's day begins."""
    from datetime import UTC

    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def day_of(moment: datetime, timezone: str) -> date:
    """The city's calendar day of a UTC moment."""
    value = as_utc(moment)
    assert value is not None
    return value.astimezone(ZoneInfo(timezone)).date()
