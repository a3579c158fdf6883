"""Hotspots (issue 16): clusters of reports of one category in one ward in a period, with their
size, the problems among them (reports not merged into another: duplicates count once), and
their growth against the period before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from core.settings import get_settings
from dashboard import measures
from dashboard.service import Filters
from tickets.models import Ticket

T = Ticket.__table__.c  # type: ignore[attr-defined]
MIN_SIZE = 3


@dataclass(frozen=True)
class Hotspot:
    category_id: str
    area_id: str
    reports: int
    problems: int
    previous: int

    @property
    def growth(self) -> float | None:
        return (self.reports - self.previous) / self.previous if self.previous else None


@dataclass(frozen=True)
class Summary:
    reports: int
    problems: int
    hotspots: list[Hotspot]


def _window(filters: Filters, shift_days: int = 0) -> list[Any]:
    timezone = get_settings().city_timezone
    start = measures.day_start(filters.start - timedelta(days=shift_days), timezone)
    end = measures.day_start(filters.end + timedelta(days=1 - shift_days), timezone)
    found: list[Any] = [T.created_at >= start, T.created_at < end]
    for name, value in filters.dimensions().items():
        if value is not None:
            found.append(T[name] == value)
    return found


def summary(*, session: Session, filters: Filters, min_size: int = MIN_SIZE) -> Summary:
    problem = case((T.duplicate_of_id.is_(None), 1), else_=0)
    reports, problems = session.execute(
        select(func.count(), func.coalesce(func.sum(problem), 0)).where(*_window(filters))
    ).one()
    days = (filters.end - filters.start).days + 1
    key = (T.category_id, T.area_id)
    current = session.execute(
        select(*key, func.count(), func.sum(problem))
        .where(*_window(filters), T.category_id.is_not(None), T.area_id.is_not(None))
        .group_by(*key)
        .having(func.count() >= min_size)
        .order_by(func.count().desc())
        .limit(50)
    ).all()
    before = dict(
        ((row[0], row[1]), int(row[2]))
        for row in session.execute(
            select(*key, func.count())
            .where(*_window(filters, shift_days=days), T.category_id.is_not(None))
            .group_by(*key)
        ).all()
    )
    return Summary(
        reports=int(reports),
        problems=int(problems),
        hotspots=[
            Hotspot(
                category_id=c,
                area_id=a,
                reports=int(n),
                problems=int(p or 0),
                previous=before.get((c, a), 0),
            )
            for c, a, n, p in current
        ],
    )
