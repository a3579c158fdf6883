"""The public agency scoreboard: each agency's figures for a month and for the rolling 90 days,
ranked by a stated, fair method, with a monthly trend. Read from the dashboard's daily roll-ups
(level "city", one query), never from the tickets, so it stays fast at 10 million tickets.

Reports are counted by the month they were filed in (the roll-ups' cohorts): a report filed in
March and resolved in April counts in March.

The ranking: agencies are ranked on the rolling 90 days by the lower bound of the 95% Wilson
score interval of their resolved-on-time rate (resolved by the deadline, out of the reports whose
deadline has been decided: resolved on time, resolved late, or past the deadline unresolved).
An agency needs at least `scoreboard_min_reports` such reports to be ranked. The lower bound
rewards evidence: 2 reports both on time give a lower bound of 34%, 400 at 97% give 95%, so a
tiny sample cannot top the table by luck.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from core.errors import InvalidInput
from core.i18n import gettext
from core.settings import get_settings
from dashboard import service
from dashboard.models import RESOLVE_BUCKETS, dashboard_daily
from routing.models import Agency
from routing.taxonomy import TRIAGE_AGENCY

ROLLING_DAYS = 90
TREND_MONTHS = 6
Z = 1.96  # 95%
COLUMNS = (
    "created",
    "ack_on_time",
    "ack_late",
    "ack_missed",
    "resolved",
    "resolved_on_time",
    "resolved_late",
    "resolve_missed",
    "resolved_not_fixed",
    "scheduled",
    "fix_asked",
    "fix_confirmed",
    "fix_not_fixed",
    "fix_no_answer",
    "rated",
    "rating_sum",
    "rating_high",
    *RESOLVE_BUCKETS,
)


def wilson_lower_bound(successes: int, trials: int, z: float = Z) -> float | None:
    """The lower end of the Wilson score interval for a proportion (None without trials)."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = p + z * z / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, (centre - margin) / denominator)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures(row: dict[str, int]) -> dict[str, Any]:
    """The scoreboard's figures from one agency's summed counts."""
    ack_decided = row["ack_on_time"] + row["ack_late"] + row["ack_missed"]
    decided = row["resolved_on_time"] + row["resolved_late"] + row["resolve_missed"]
    answered = row["fix_confirmed"] + row["fix_not_fixed"]
    median_hours = service.percentile([row[name] for name in RESOLVE_BUCKETS], 0.5)
    return {
        "received": row["created"],
        "acknowledged_on_time": row["ack_on_time"],
        "acknowledged_on_time_rate": _share(row["ack_on_time"], ack_decided),
        "resolved": row["resolved"],
        "resolved_on_time": row["resolved_on_time"],
        "deadline_decided": decided,
        "resolved_on_time_rate": _share(row["resolved_on_time"], decided),
        "resolved_on_time_lower_bound": wilson_lower_bound(row["resolved_on_time"], decided),
        "median_days_to_resolve": None if median_hours is None else median_hours / 24,
        "resolved_not_fixed": row["resolved_not_fixed"],
        "scheduled": row["scheduled"],
        "fix_asked": row["fix_asked"],
        "confirmed_fixed": row["fix_confirmed"],
        "said_not_fixed": row["fix_not_fixed"],
        "fix_no_answer": row["fix_no_answer"],
        "confirmed_fixed_rate": _share(row["fix_confirmed"], answered),
        "rated": row["rated"],
        "satisfaction": (row["rating_sum"] / row["rated"]) if row["rated"] else None,
        "satisfied_rate": _share(row["rating_high"], row["rated"]),
    }


@dataclass
class AgencyScore:
    agency_id: str
    name: str
    month: dict[str, Any]
    rolling: dict[str, Any]
    trend: list[dict[str, Any]] = field(default_factory=list)
    rank: int | None = None
    trend_direction: str = "steady"  # up | down | steady | unknown


@dataclass
class Scoreboard:
    month: date  # first day of the month shown
    rolling_start: date
    rolling_end: date
    minimum: int
    method: str
    ranked: list[AgencyScore]
    unranked: list[AgencyScore]
    trend_months: list[date]

    @property
    def agencies(self) -> list[AgencyScore]:
        return self.ranked + self.unranked


TREND_COLUMNS = ("created", "resolved_on_time", "resolved_late", "resolve_missed")


def _per_agency(
    session: Session, start: date, end: date, columns: tuple[str, ...]
) -> dict[str | None, dict[str, int]]:
    rows = service.sums(
        session=session,
        filters=service.Filters(start=start, end=end),
        group="agency_id",
        columns=columns,
    )
    return {row["key"]: row for row in rows}


def _per_agency_and_month(
    session: Session, start: date, end: date
) -> dict[str, dict[date, dict[str, int]]]:
    D = dashboard_daily.c
    if session.get_bind().dialect.name == "sqlite":
        month = func.strftime("%Y-%m", D.day)
    else:
        month = func.to_char(D.day, "YYYY-MM")
    query = (
        select(D.agency_id, month.label("month"),
               *(func.sum(D[name]).label(name) for name in TREND_COLUMNS))
        .where(D.level == "city", D.day.between(start, end))
        .group_by(D.agency_id, month)
    )
    result: dict[str, dict[date, dict[str, int]]] = {}
    for row in session.execute(query).mappings():
        first = date.fromisoformat(f"{row['month']}-01")
        result.setdefault(row["agency_id"], {})[first] = {
            name: int(row[name] or 0) for name in TREND_COLUMNS
        }
    return result


def parse_month(value: str | None, today: date) -> date:
    if not value:
        return today.replace(day=1)
    match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput("This is not a month (YYYY-MM): %(value)s.", field="month",
                           value=value[:20])
    month = date(int(match.group(1)), int(match.group(2)), 1)
    if month > today or month < today.replace(day=1) - timedelta(days=3650):
        raise InvalidInput("There are no figures for %(value)s.", field="month", value=value[:20])
    return month


def _month_end(month: date) -> date:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _months_back(month: date, count: int) -> list[date]:
    months = [month]
    while len(months) < count:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return months


def method_text(language: str, minimum: int) -> str:
    return gettext(
        language,
        "Agencies are ranked on the last %(days)s days by the lower bound of the 95%% Wilson "
        "score interval of their resolved-on-time rate (reports resolved by the deadline, out "
        "of those whose deadline has been decided). An agency needs at least %(minimum)s such "
        "reports to be ranked. The lower bound rewards evidence: 2 reports both on time give "
        "34%%, 400 reports at 97%% give 95%%, so a small agency cannot top the table by luck. "
        "Reports are counted in the month they were filed.",
        days=ROLLING_DAYS,
        minimum=minimum,
    )


def build(
    *, session: Session, language: str, month: str | None = None, today: date | None = None
) -> Scoreboard:
    today = today or service.today()
    shown = parse_month(month, today)
    minimum = get_settings().scoreboard_min_reports
    rolling_start = today - timedelta(days=ROLLING_DAYS - 1)
    trend_months = _months_back(today.replace(day=1), TREND_MONTHS)
    # three narrow reads of the city-level roll-up (a few thousand rows at any size): the
    # rolling window and the month summed per agency, the trend's four counts per agency and
    # month
    rolling = _per_agency(session, rolling_start, today, COLUMNS)
    in_month = _per_agency(session, shown, min(_month_end(shown), today), COLUMNS)
    per_month = _per_agency_and_month(session, trend_months[0], today)
    agencies = {
        key for key in (*rolling, *in_month, *per_month)
        if key is not None and key != TRIAGE_AGENCY
    }
    empty = dict.fromkeys(COLUMNS, 0)
    attr = "name_vi" if language == "vi" else "name_en"
    names = {
        row[0]: row[1]
        for row in session.execute(select(col(Agency.id), getattr(Agency, attr))).all()
    }
    scores = []
    for agency in agencies:
        trend = []
        for trend_month in trend_months:
            counts = per_month.get(agency, {}).get(trend_month, dict.fromkeys(TREND_COLUMNS, 0))
            decided = sum(counts[name] for name in TREND_COLUMNS[1:])
            trend.append({"month": trend_month, "received": counts["created"],
                          "resolved_on_time_rate": _share(counts["resolved_on_time"], decided)})
        scores.append(
            AgencyScore(
                agency_id=agency,
                name=names.get(agency, agency),
                month=figures(in_month.get(agency, empty)),
                rolling=figures(rolling.get(agency, empty)),
                trend=trend,
                trend_direction=_direction(trend),
            )
        )
    ranked = [s for s in scores if s.rolling["deadline_decided"] >= minimum]
    unranked = [s for s in scores if s.rolling["deadline_decided"] < minimum]
    ranked.sort(
        key=lambda s: (-(s.rolling["resolved_on_time_lower_bound"] or 0.0),
                       -s.rolling["deadline_decided"], s.name)
    )
    for position, score in enumerate(ranked, start=1):
        score.rank = position
    unranked.sort(key=lambda s: (-s.rolling["received"], s.name))
    return Scoreboard(
        month=shown,
        rolling_start=rolling_start,
        rolling_end=today,
        minimum=minimum,
        method=method_text(language, minimum),
        ranked=ranked,
        unranked=unranked,
        trend_months=trend_months,
    )


def _direction(trend: list[dict[str, Any]]) -> str:
    """The last complete month against the one before (the current month is still filling)."""
    rates = [t["resolved_on_time_rate"] for t in trend[:-1]]
    if len(rates) < 2 or rates[-1] is None or rates[-2] is None:
        return "unknown"
    change = rates[-1] - rates[-2]
    if abs(change) < 0.02:
        return "steady"
    return "up" if change > 0 else "down"


# Export -------------------------------------------------------------------------------------

EXPORT_FIGURES = (
    "received",
    "acknowledged_on_time_rate",
    "resolved_on_time",
    "deadline_decided",
    "resolved_on_time_rate",
    "resolved_on_time_lower_bound",
    "median_days_to_resolve",
    "resolved_not_fixed",
    "scheduled",
    "confirmed_fixed",
    "said_not_fixed",
    "fix_no_answer",
    "confirmed_fixed_rate",
    "rated",
    "satisfaction",
)


def as_json(board: Scoreboard) -> dict[str, Any]:
    def period(values: dict[str, Any]) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in values.items()}

    return {
        "method": {
            "text": board.method,
            "ranked_on": "resolved_on_time_lower_bound",
            "interval": "wilson",
            "confidence": 0.95,
            "rolling_days": ROLLING_DAYS,
            "minimum_reports": board.minimum,
            "counted_by": "filing month",
        },
        "month": board.month.strftime("%Y-%m"),
        "rolling": {"start": board.rolling_start.isoformat(), "end": board.rolling_end.isoformat()},
        "agencies": [
            {
                "agency_id": score.agency_id,
                "name": score.name,
                "rank": score.rank,
                "ranked": score.rank is not None,
                "month": period(score.month),
                "rolling": period(score.rolling),
                "trend": [
                    {"month": t["month"].strftime("%Y-%m"), "received": t["received"],
                     "resolved_on_time_rate": t["resolved_on_time_rate"]}
                    for t in score.trend
                ],
                "trend_direction": score.trend_direction,
            }
            for score in board.agencies
        ],
    }


def as_csv(board: Scoreboard) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["rank", "agency_id", "agency"]
    for period in ("month", "rolling"):
        header += [f"{period}_{name}" for name in EXPORT_FIGURES]
    header.append("trend_direction")
    writer.writerow(header)
    for score in board.agencies:
        line: list[Any] = ["" if score.rank is None else score.rank, score.agency_id, score.name]
        for values in (score.month, score.rolling):
            for name in EXPORT_FIGURES:
                value = values[name]
                line.append("" if value is None else (round(value, 4)
                                                      if isinstance(value, float) else value))
        line.append(score.trend_direction)
        writer.writerow(line)
    return out.getvalue()
