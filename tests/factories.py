"""Small builders of test data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.clock import set_clock
from tickets import service as tickets_service
from tickets import workflow
from tickets.models import Ticket

STAFF = workflow.Actor(type="staff", id=None, label="agent")


def report(**values: Any) -> tickets_service.NewReport:
    defaults: dict[str, Any] = {
        "description": "Ổ gà lớn trước số 12 đường Lê Văn Sỹ, xe máy té liên tục.",
        "channel": "web",
        "language": "vi",
        "area_id": "26743",
    }
    return tickets_service.NewReport(**{**defaults, **values})


def ticket(session: Session, **values: Any) -> Ticket:
    return workflow.file(session=session, report=report(**values))


def routed_ticket(
    session: Session, *, category_id: str = "roads", agency_id: str | None = None, **values: Any
) -> Ticket:
    from routing.models import Category

    created = ticket(session, **values)
    workflow.send_to_triage(session=session, ticket=created, reason="test")
    category = session.get(Category, category_id)
    assert category is not None
    workflow.route(
        session=session,
        ticket=created,
        agency_id=agency_id or category.default_agency_id,
        category_id=category_id,
    )
    return created


def deliver_events(session: Session) -> int:
    """Run, in this test's session, the subscribers that the workflow queued (as a worker would
    after the commit), until none is left. Returns how many ran."""
    from sqlalchemy import select

    from core import events, tasks
    from core.clock import utcnow
    from core.outbox import OutboxMessage

    tasks.discover_tasks()
    ran = 0
    while True:
        rows = list(
            session.execute(
                select(OutboxMessage)
                .where(
                    OutboxMessage.completed_at.is_(None),  # type: ignore[union-attr]
                    OutboxMessage.task.in_(list(events.BY_TASK)),  # type: ignore[attr-defined]
                )
                .order_by(OutboxMessage.id)  # type: ignore[arg-type]
            ).scalars()
        )
        if not rows:
            return ran
        for row in rows:
            events.BY_TASK[row.task].handler(session=session, **row.args)
            row.completed_at = utcnow()
            session.add(row)
            ran += 1
        session.flush()


def filed_event_args(session: Session, ticket: Ticket) -> dict[str, Any]:
    """The arguments a subscriber of `ticket.filed` receives for this ticket."""
    from sqlalchemy import select

    from tickets.models import TicketEvent

    created = session.execute(
        select(TicketEvent.id).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "created"
        )
    ).scalar_one()
    return {"ticket_id": ticket.id, "event_id": created}


def pinned_clock(start: datetime) -> Iterator[list[datetime]]:
    """The platform's clock held at `start` for a fixture (`yield from`); the test moves it by
    setting `now[0]`, and the real clock is back after the test."""
    now = [start]
    set_clock(lambda: now[0])
    try:
        yield now
    finally:
        set_clock(None)
