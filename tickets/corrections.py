"""Staff corrections become training data: tickets whose category a person set."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from core.db import session_scope
from tickets.models import Ticket

STAFF_SOURCES = ("staff", "triage")


def staff_labels(*, session: Session, limit: int = 200_000) -> list[dict[str, Any]]:
    rows = session.execute(
        select(col(Ticket.description), col(Ticket.language), col(Ticket.category_id))
        .where(
            col(Ticket.category_set_by).in_(STAFF_SOURCES),
            col(Ticket.category_id).is_not(None),
        )
        .order_by(col(Ticket.id).desc())
        .limit(limit)
    ).all()
    return [
        {"text": text, "lang": language, "category": category, "source": "staff"}
        for text, language, category in rows
    ]


def provider() -> list[dict[str, Any]]:
    """For `hotline classify train`: the corrections in the configured database."""
    try:
        with session_scope() as session:
            return staff_labels(session=session)
    except Exception:  # no database yet (a fresh clone training before migrating)
        return []
