"""The dashboard's figures, read from the roll-ups (never by scanning the tickets table): the
whole months of a period from the monthly rows, the days at its ends from the daily ones.

Every figure takes the same Filters: a period of filing days (city time, inclusive) and optional
category, ward, agency and channel. Counts follow dashboard.measures; durations are read from
the roll-up's hour buckets (a percentile is interpolated inside its bucket). The backlog (open
and overdue now) counts every ticket filed up to the end of the period, whatever the start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, select, union_all
from sqlmodel import Session, col

from core.clock import utcnow
from core.dates import parse_date
from core.errors import InvalidInput
from core.settings import get_settings
from dashboard import measures, models
from dashboard.models import (
    ACK_BUCKETS,
    BUCKET_EDGES_HOURS,
    COUNTS,
    MONTHLY_UNSET,
    RESOLVE_BUCKETS,
    SUMMED,
    dashboard_daily,
    dashboard_monthly,
    dashboard_transfer_daily,
)
from routing.models import Agency, Area, Category
from tickets.models import Channel

D = dashboard_daily.c
M = dashboard_monthly.c
X = dashboard_transfer_daily.c
NONE = "none"  # a filter value meaning "not set on the ticket" (no category, no ward ...)
MAX_PERIOD_DAYS = 3660
DEFAULT_PERIOD_DAYS = 90
GROUPS = ("category_id", "area_id", "agency_id", "channel")
RISING_WEEKS = 8
RISING_Z = 3.0
RISING_MIN_RISE = 5


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    category_id: str | None = None
    area_id: str | None = None
    agency_id: str | None = None
    channel: str | None = None

    def dimensions(self) -> dict[str, str | None]:
        return {
            "category_id": self.category_id,
            "area_id": self.area_id,
            "agency_id": self.agency_id,
            "channel": self.channel,
        }

    def as_params(self) -> dict[str, str]:
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        params.update({k: v for k, v in self.dimensions().items() if v})
        return params


def today() -> date:
    return measures.day_of(utcnow(), get_settings().city_timezone)


def parse_filters(
    *,
    session: Session,
    start: str | None = None,
    end: str | None = None,
    category_id: str | None = None,
    area_id: str | None = None,
    agency_id: str | None = None,
    channel: str | None = None,
) -> Filters:
    """Filters from what a person or a client sent; unknown values are a clear 422."""
    last = parse_date(end, field="end") or today()
    first = parse_date(start, field="start") or last - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if first > last:
        raise InvalidInput("The period starts after it ends.", field="start")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(
            "The period is longer than %(max)s days.", field="start", max=MAX_PERIOD_DAYS
        )
    checks: list[tuple[str, str | None, Any]] = [
        ("category_id", category_id, Category),
        ("area_id", area_id, Area),
        ("agency_id", agency_id, Agency),
    ]
    values: dict[str, str | None] = {}
    for name, value, model in checks:
        value = (value or "").strip() or None
        if value is not None and value != NONE and session.get(model, value) is None:
            raise InvalidInput("Unknown value %(value)s.", field=name, value=value[:64])
        values[name] = value
    channel = (channel or "").strip() or None
    if channel is not None and channel not in {c.value for c in Channel}:
        raise InvalidInput("Unknown value %(value)s.", field="channel", value=channel[:64])
    return Filters(start=first, end=last, channel=channel, **values)


# Reading the roll-up -------------------------------------------------------------------------


def level_for(filters: Filters, group: str | None = None) -> str:
    wants_area = filters.area_id is not None or group == "area_id"
    wants_detail = (
        filters.category_id is not None
        or filters.agency_id is not None
        or group in ("category_id", "agency_id")
    )
    if wants_area:
        return "full" if wants_detail else "area"
    return "city"


def _dimension_conditions(
    columns: Any, filters: Filters, names: tuple[str, ...], unset: Any = None
) -> list[Any]:
    """The filters' dimensions as conditions; ``unset`` is what a column holds where the ticket
    has no value (NULL in the daily rows, "" in the monthly ones)."""
    conditions = []
    for name in names:
        value = filters.dimensions()[name]
        if value is None:
            continue
        column = columns[name]
        if value != NONE:
            conditions.append(column == value)
        else:
            conditions.append(column.is_(None) if unset is None else column == unset)
    return conditions


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


Months = tuple[date, date]


def split_period(start: date, end: date) -> tuple[list[tuple[date, date]], Months | None]:
    """The day ranges to read from the daily rows and the whole months (the first days of the
    first and the last) to read from the monthly ones, that together make start..end."""
    first_month = start if start.day == 1 else _next_month(start)
    after = end + timedelta(days=1)
    partial_tail = after if after.day == 1 else after.replace(day=1)  # first month not whole
    if first_month >= partial_tail:
        return [(start, end)], None
    days = []
    if start < first_month:
        days.append((start, first_month - timedelta(days=1)))
    if partial_tail <= end:
        days.append((partial_tail, end))
    last_month = (partial_tail - timedelta(days=1)).replace(day=1)
    return days, (first_month, last_month)


def sums(
    *,
    session: Session,
    filters: Filters,
    group: str | None = None,
    by_day: bool = False,
    columns: tuple[str, ...] = SUMMED,
    whole_history: bool = False,
) -> list[dict[str, Any]]:
    """Summed roll-up columns over the period, optionally per group value and per day."""
    level = level_for(filters, group)
    if whole_history:  # the backlog: served by ix_dashboard_daily_open
        parts = [_daily_part(level, filters, group, by_day, columns,
                             D.day <= filters.end, D.open > 0)]
    else:
        days, months = (([(filters.start, filters.end)], None) if by_day
                        else split_period(filters.start, filters.end))
        parts = [_daily_part(level, filters, group, by_day, columns, D.day.between(*period))
                 for period in days]
        if months is not None:
            parts.append(_monthly_part(level, filters, group, columns, months))
    if len(parts) == 1:
        query = parts[0]
    else:  # the parts are summed per group value again
        union = union_all(*parts).subquery()
        keys = [union.c.key] if group is not None else []
        query = select(*keys, *(func.sum(union.c[name]).label(name) for name in columns))
        if keys:
            query = query.group_by(*keys)
    rows = []
    for row in session.execute(query).mappings():
        values: dict[str, Any] = {name: int(row[name] or 0) for name in columns}
        if group is not None:
            values["key"] = row["key"]
        if by_day:
            values["day"] = row["day"] if isinstance(row["day"], date) else date.fromisoformat(
                str(row["day"])
            )
        rows.append(values)
    return rows


def _daily_part(
    level: str,
    filters: Filters,
    group: str | None,
    by_day: bool,
    columns: tuple[str, ...],
    *period: Any,
) -> Any:
    keys = []
    if group is not None:
        keys.append(D[group].label("key"))
    if by_day:
        keys.append(D.day.label("day"))
    query = select(*keys, *(func.sum(D[name]).label(name) for name in columns)).where(
        D.level == level, *period, *_dimension_conditions(D, filters, GROUPS))
    return query.group_by(*keys) if keys else query


def _monthly_part(
    level: str, filters: Filters, group: str | None, columns: tuple[str, ...], months: Months
) -> Any:
    keys = [func.nullif(M[group], MONTHLY_UNSET).label("key")] if group is not None else []
    query = select(*keys, *(func.sum(M[name]).label(name) for name in columns)).where(
        M.level == level, M.month.between(*months),
        *_dimension_conditions(M, filters, GROUPS, unset=MONTHLY_UNSET))
    return query.group_by(M[group]) if group is not None else query


# Turning sums into figures ---------------------------------------------------------------------


def percentile(counts: list[int], q: float) -> float | None:
    """The q-quantile (hours) of a bucketed distribution, linear inside its bucket."""
    total = sum(counts)
    if total == 0:
        return None
    target = q * total
    cumulative = 0
    for index, count in enumerate(counts):
        if count and cumulative + count >= target:
            lower = 0.0 if index == 0 else float(BUCKET_EDGES_HOURS[index - 1])
            if index >= len(BUCKET_EDGES_HOURS):
                return lower  # open-ended last bucket: "at least"
            upper = float(BUCKET_EDGES_HOURS[index])
            return lower + (upper - lower) * (target - cumulative) / count
        cumulative += count
    return None


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures(row: dict[str, int]) -> dict[str, Any]:
    """Counts, shares, percentiles and the satisfaction index of one summed row."""
    ack_counts = [row.get(name, 0) for name in ACK_BUCKETS]
    resolve_counts = [row.get(name, 0) for name in RESOLVE_BUCKETS]
    ack_decided = row["ack_on_time"] + row["ack_late"] + row["ack_missed"]
    resolve_decided = row["resolved_on_time"] + row["resolved_late"] + row["resolve_missed"]
    result: dict[str, Any] = {name: row.get(name, 0) for name in COUNTS}
    result.update(
        {
            "ack_on_time_share": share(row["ack_on_time"], ack_decided),
            "resolved_on_time_share": share(row["resolved_on_time"], resolve_decided),
            "ack_median_hours": percentile(ack_counts, 0.5),
            "ack_p90_hours": percentile(ack_counts, 0.9),
            "resolve_median_hours": percentile(resolve_counts, 0.5),
            "resolve_p90_hours": percentile(resolve_counts, 0.9),
            "rating_average": (row["rating_sum"] / row["rated"]) if row["rated"] else None,
            "rating_high_share": share(row["rating_high"], row["rated"]),
        }
    )
    return result


EMPTY = dict.fromkeys(SUMMED, 0)


def _backlog(
    *, session: Session, filters: Filters, group: str | None = None
) -> dict[Any, dict[str, int]]:
    rows = sums(
        session=session,
        filters=filters,
        group=group,
        columns=("open", "overdue", "paused"),
        whole_history=True,
    )
    return {row.get("key"): row for row in rows}


def totals(*, session: Session, filters: Filters) -> dict[str, Any]:
    """The headline figures of the period."""
    rows = sums(session=session, filters=filters)
    result = figures(rows[0] if rows and rows[0]["created"] is not None else EMPTY)
    backlog = _backlog(session=session, filters=filters).get(None, {})
    result["backlog_open"] = backlog.get("open", 0)
    result["backlog_overdue"] = backlog.get("overdue", 0)
    result["backlog_paused"] = backlog.get("paused", 0)
    channels = by_channel(session=session, filters=filters)
    result["online_share"] = share(
        sum(r["created"] for r in channels if r["key"] in measures.ONLINE_CHANNELS),
        result["created"],
    )
    result["transfers_out"] = sum(
        r["transfers"] for r in transfers_by_agency(session=session, filters=filters)
    )
    return result


# the columns a breakdown needs (fewer columns, faster sums on the wide roll-up rows)
# the columns a resolution breakdown sums (the covering indexes of dashboard.models carry them)
RESOLUTION_COLUMNS = models.RESOLUTION_COLUMNS


def breakdown(
    *, session: Session, filters: Filters, group: str, columns: tuple[str, ...] = SUMMED
) -> list[dict[str, Any]]:
    """Figures per category, ward, agency or channel, with the backlog of each."""
    if group not in GROUPS:
        raise InvalidInput("Unknown value %(value)s.", field="group", value=group)
    rows = {
        row["key"]: {**EMPTY, **row}
        for row in sums(session=session, filters=filters, group=group, columns=columns)
    }
    backlog = _backlog(session=session, filters=filters, group=group)
    result = []
    for key in set(rows) | set(backlog):
        values = figures(rows.get(key, EMPTY))
        values["key"] = key
        values["backlog_open"] = backlog.get(key, {}).get("open", 0)
        values["backlog_overdue"] = backlog.get(key, {}).get("overdue", 0)
        result.append(values)
    result.sort(key=lambda r: (-r["created"], -r["backlog_open"], str(r["key"])))
    return result


def by_channel(*, session: Session, filters: Filters) -> list[dict[str, Any]]:
    rows = sums(session=session, filters=filters, group="channel", columns=("created",))
    total = sum(r["created"] for r in rows)
    result = [
        {"key": r["key"], "created": r["created"], "share": share(r["created"], total)}
        for r in rows
        if r["created"]
    ]
    result.sort(key=lambda r: -r["created"])
    return result


def transfers_by_agency(*, session: Session, filters: Filters) -> list[dict[str, Any]]:
    """Transfers away from each agency (tickets it received by mistake and passed on)."""
    level = "full" if filters.area_id is not None else "city"
    conditions = [X.level == level, X.day.between(filters.start, filters.end)]
    dims = filters.dimensions()
    for name in ("category_id", "area_id", "channel"):
        if dims[name] is not None:
            column = X[name]
            conditions.append(column.is_(None) if dims[name] == NONE else column == dims[name])
    if filters.agency_id is not None:
        conditions.append(X.from_agency_id == filters.agency_id)
    query = (
        select(X.from_agency_id.label("key"), func.sum(X.transfers).label("transfers"))
        .where(and_(*conditions))
        .group_by(X.from_agency_id)
    )
    result = [
        {"key": row.key, "transfers": int(row.transfers or 0)}
        for row in session.execute(query)
    ]
    result.sort(key=lambda r: -r["transfers"])
    return result


def agencies(*, session: Session, filters: Filters) -> list[dict[str, Any]]:
    rows = breakdown(session=session, filters=filters, group="agency_id")
    transfers = {r["key"]: r["transfers"] for r in transfers_by_agency(
        session=session, filters=filters
    )}
    known = {row["key"] for row in rows}
    for key in set(transfers) - known:
        if filters.agency_id is None or key == filters.agency_id:
            extra = figures(EMPTY)
            extra.update({"key": key, "backlog_open": 0, "backlog_overdue": 0})
            rows.append(extra)
    for row in rows:
        row["transfers_out"] = transfers.get(row["key"], 0)
    return rows


# Volumes -------------------------------------------------------------------------------------


def _period_start(day: date, by: str) -> date:
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


def volumes(*, session: Session, filters: Filters, by: str = "day") -> list[dict[str, Any]]:
    """Reports filed per day, ISO week (from Monday) or month, with empty periods as zero."""
    if by not in ("day", "week", "month"):
        raise InvalidInput("Unknown value %(value)s.", field="by", value=by[:20])
    per_day = {
        row["day"]: row["created"]
        for row in sums(session=session, filters=filters, by_day=True, columns=("created",))
    }
    buckets: dict[date, int] = {}
    day = filters.start
    while day <= filters.end:
        key = _period_start(day, by)
        buckets[key] = buckets.get(key, 0) + per_day.get(day, 0)
        day += timedelta(days=1)
    return [{"period": key, "created": count} for key, count in buckets.items()]


# Rising categories ---------------------------------------------------------------------------

RISING_METHOD = (
    "This week is the 7 days ending on the last day of the period. A category is flagged as "
    "rising when its count this week exceeds the average of the 8 weeks before by at least "
    "3 standard deviations and by at least 5 reports. The deviation is the larger of the "
    "spread observed over those 8 weeks and the Poisson spread (the square root of the "
    "average), so a category that always varies a lot, or a small one, is not flagged by chance."
)


def poisson_upper_tail(observed: int, mean: float) -> float:
    """P(X >= observed) for X ~ Poisson(mean)."""
    if observed <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    below = 0.0
    log_term = -mean  # log P(X = 0)
    for k in range(observed):
        if k > 0:
            log_term += math.log(mean) - math.log(k)
        below += math.exp(log_term)
    return max(0.0, 1.0 - below)


@dataclass
class Rising:
    key: str | None
    this_week: int
    weekly: list[int] = field(default_factory=list)
    mean: float = 0.0
    deviation: float = 0.0
    z: float | None = None
    change: float | None = None
    p_value: float = 1.0
    flagged: bool = False


def rising(*, session: Session, filters: Filters) -> list[Rising]:
    """Each category: this week against the trailing 8 weeks, flagged beyond normal variation."""
    first = filters.end - timedelta(days=7 * (RISING_WEEKS + 1) - 1)
    window = replace(filters, start=first)
    counts: dict[Any, list[int]] = {}
    for row in sums(
        session=session, filters=window, group="category_id", by_day=True, columns=("created",)
    ):
        week = (filters.end - row["day"]).days // 7  # 0 = this week
        weeks = counts.setdefault(row["key"], [0] * (RISING_WEEKS + 1))
        weeks[week] += row["created"]
    result = []
    for key, weeks in counts.items():
        this_week, trailing = weeks[0], weeks[1:]
        mean = sum(trailing) / len(trailing)
        variance = sum((w - mean) ** 2 for w in trailing) / (len(trailing) - 1)
        deviation = math.sqrt(max(variance, mean, 1.0))
        z = (this_week - mean) / deviation
        item = Rising(
            key=key,
            this_week=this_week,
            weekly=list(reversed(trailing)),
            mean=mean,
            deviation=deviation,
            z=z,
            change=((this_week - mean) / mean) if mean else None,
            p_value=poisson_upper_tail(this_week, mean),
            flagged=z >= RISING_Z and this_week - mean >= RISING_MIN_RISE,
        )
        result.append(item)
    result.sort(key=lambda r: (not r.flagged, -(r.z or 0.0)))
    return result


# Names -----------------------------------------------------------------------------------------


def names(*, session: Session, language: str) -> dict[str, dict[str, str]]:
    """Display names of categories, wards and agencies in the page language."""
    attr = "name_vi" if language == "vi" else "name_en"
    result: dict[str, dict[str, str]] = {}
    for group, model in (("category_id", Category), ("area_id", Area), ("agency_id", Agency)):
        rows = session.execute(select(col(model.id), getattr(model, attr))).all()  # type: ignore[attr-defined]
        result[group] = {row[0]: row[1] for row in rows}
    return result
