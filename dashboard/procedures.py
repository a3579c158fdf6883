"""Complaints about administrative procedures, for officials: per procedure and per service
centre, the share about lateness, unofficial fees and repeated document requests, and the trend
against the period before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from core.settings import get_settings
from dashboard import measures
from dashboard.service import Filters
from routing.models import Area, Procedure
from tickets.models import DossierComplaint, DossierProblem, Ticket

D = DossierComplaint.__table__.c  # type: ignore[attr-defined]
T = Ticket.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    complaints: int
    previous: int
    late: int
    unofficial_fee: int
    repeated_documents: int

    def share(self, part: int) -> float | None:
        return part / self.complaints if self.complaints else None

    @property
    def change(self) -> float | None:
        return (self.complaints - self.previous) / self.previous if self.previous else None


@dataclass(frozen=True)
class Breakdown:
    procedures: list[Row]
    centres: list[Row]
    total: int


def _window(filters: Filters, shift_days: int = 0) -> list[Any]:
    timezone = get_settings().city_timezone
    start = measures.day_start(filters.start - timedelta(days=shift_days), timezone)
    end = measures.day_start(filters.end + timedelta(days=1 - shift_days), timezone)
    found: list[Any] = [D.created_at >= start, D.created_at < end]
    for name, value in filters.dimensions().items():
        if value is not None and name != "category_id":
            found.append(T[name] == value)
    return found


def _counts(session: Session, filters: Filters, key: Any, shift_days: int) -> dict[str, list[int]]:
    query = (
        select(
            key,
            func.count(),
            func.sum(case((D.problem == DossierProblem.late.value, 1), else_=0)),
            func.sum(case((D.problem == DossierProblem.unofficial_fee.value, 1), else_=0)),
            func.sum(case((D.problem == DossierProblem.repeated_documents.value, 1), else_=0)),
        )
        .select_from(DossierComplaint.__table__.join(Ticket.__table__, T.id == D.ticket_id))  # type: ignore[attr-defined]
        .where(*_window(filters, shift_days))
        .group_by(key)
    )
    return {
        str(row[0]): [int(row[1] or 0), int(row[2] or 0), int(row[3] or 0), int(row[4] or 0)]
        for row in session.execute(query).all()
    }


def _rows(
    session: Session, filters: Filters, key: Any, names: dict[str, str]
) -> list[Row]:
    days = (filters.end - filters.start).days + 1
    now = _counts(session, filters, key, 0)
    before = _counts(session, filters, key, days)
    rows = [
        Row(
            key=k,
            name=names.get(k, k),
            complaints=v[0],
            previous=before.get(k, [0])[0],
            late=v[1],
            unofficial_fee=v[2],
            repeated_documents=v[3],
        )
        for k, v in now.items()
    ]
    return sorted(rows, key=lambda r: (-r.complaints, r.name))


def breakdown(*, session: Session, filters: Filters, language: str) -> Breakdown:
    def name(row: Any) -> str:
        return str(row.name_vi if language == "vi" else row.name_en)

    procedures = {p.id: name(p) for p in session.execute(select(Procedure)).scalars()}
    areas = {a.id: name(a) for a in session.execute(select(Area)).scalars()}
    by_procedure = _rows(session, filters, D.procedure_id, procedures)
    by_centre = _rows(session, filters, T.area_id, areas)
    return Breakdown(
        procedures=by_procedure,
        centres=by_centre,
        total=sum(r.complaints for r in by_procedure),
    )
