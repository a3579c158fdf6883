"""Small builders of test data."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from tickets import service as tickets_service
from tickets.models import Ticket


def report(**values: Any) -> tickets_service.NewReport:
    defaults: dict[str, Any] = {
        "description": "Ổ gà lớn trước số 12 đường Lê Văn Sỹ, xe máy té liên tục.",
        "channel": "web",
        "language": "vi",
        "area_id": "26743",
    }
    return tickets_service.NewReport(**{**defaults, **values})


def ticket(session: Session, **values: Any) -> Ticket:
    return tickets_service.file_report(session=session, report=report(**values))


def routed_ticket(
    session: Session, *, category_id: str = "roads", agency_id: str | None = None, **values: Any
) -> Ticket:
    from routing.models import Category

    created = ticket(session, **values)
    tickets_service.send_to_triage(session=session, ticket=created, reason="test")
    category = session.get(Category, category_id)
    assert category is not None
    tickets_service.route(
        session=session,
        ticket=created,
        agency_id=agency_id or category.default_agency_id,
        category_id=category_id,
    )
    return created
