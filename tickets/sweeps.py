"""The deadline sweep: reminders at 75% of the time, escalation when a deadline passes.

Run every minute (task `tickets.sweep_deadlines`, tickets/tasks.py). Each effect is claimed by a
conditional UPDATE (`... WHERE ack_escalated_at IS NULL`), so a second sweep, or two sweeps at
once, record and announce it once: an audit event and a `ticket.reminded` or `ticket.escalated`
event, to which staff notices subscribe. Resolved tickets whose reopen window has passed are
closed through the workflow (tickets.workflow.close), each with its event. Candidates are found
through the partial indexes of tickets.models (SWEEP_PREDICATES), in batches, each batch in its
own transaction; when nothing is due, each query reads an empty index range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select, text, update
from sqlmodel import Session, col

from core import events
from core.clock import as_utc, utcnow
from core.settings import get_settings
from routing.models import Category
from tickets import deadlines, policy, workflow
from tickets.lifecycle import CLOCK_STATES
from tickets.models import SWEEP_PREDICATES, Ticket, TicketEvent, TicketState

REMIND_AT = 0.75  # share of the time gone when the agency is reminded
BATCH = 500
ACK_STATES = (TicketState.routed,)
RESOLVE_STATES = tuple(sorted(CLOCK_STATES))


@dataclass
class SweepReport:
    counts: dict[str, int] = field(
        default_factory=lambda: {
            "ack_reminders": 0,
            "ack_escalations": 0,
            "resolve_reminders": 0,
            "resolve_escalations": 0,
            "closed": 0,
        }
    )


@dataclass(frozen=True)
class _Clock:
    deadline: str
    states: tuple[str, ...]
    due: Any
    reminded: Any
    escalated: Any
    overdue: Any
    # the partial indexes' own predicates (tickets.models.SWEEP_PREDICATES), as literal SQL
    # so that the planner can prove a query fits its index
    open_sql: str
    unreminded_sql: str


ACK = _Clock(
    "acknowledge",
    tuple(ACK_STATES),
    Ticket.ack_due_at,
    Ticket.ack_reminded_at,
    Ticket.ack_escalated_at,
    Ticket.ack_overdue,
    SWEEP_PREDICATES["ack_escalation"],
    SWEEP_PREDICATES["ack_reminder"],
)
RESOLVE = _Clock(
    "resolve",
    tuple(RESOLVE_STATES),
    Ticket.resolve_due_at,
    Ticket.resolve_reminded_at,
    Ticket.resolve_escalated_at,
    Ticket.resolve_overdue,
    SWEEP_PREDICATES["resolve_escalation"],
    SWEEP_PREDICATES["resolve_reminder"],
)


def reminder_horizons(session: Session, now: datetime) -> dict[str, dict[str | None, timedelta]]:
    """Per clock and category: how far ahead of now a reminder can be due (25% of the longest
    time a ticket of that category gets), so each category's query reads a short index range.
    """
    settings = get_settings()
    share = 1 - REMIND_AT
    margin = timedelta(days=2)  # a holiday met later than today's count, a changed deadline
    ack: dict[str | None, timedelta] = {None: timedelta(hours=24) * share + margin}
    resolve: dict[str | None, timedelta] = {}
    rows = session.execute(
        select(
            col(Category.id),
            col(Category.acknowledge_hours),
            col(Category.resolve_working_days),
            col(Category.urgent_resolve_hours),
        )
    ).all()
    for category_id, ack_hours, days, urgent_hours in rows:
        ack[category_id] = timedelta(hours=ack_hours) * share + timedelta(minutes=5)
        span = (
            deadlines.add_working_days(
                now,
                days,
                timezone=settings.city_timezone,
                country=settings.holiday_country,
                working_days=settings.working_days,
            )
            - now
        )
        resolve[category_id] = max(span, timedelta(hours=urgent_hours)) * share + margin
    resolve[None] = (
        max(resolve.values(), default=timedelta(days=5)) if resolve else timedelta(days=5)
    )
    return {"acknowledge": ack, "resolve": resolve}


def _reminder_due(
    now: datetime, due: datetime, started: datetime | None, paused_seconds: int
) -> bool:
    if started is None:
        return False
    total = due - started - timedelta(seconds=paused_seconds or 0)
    if total <= timedelta(0):
        return True
    return due - now <= total * (1 - REMIND_AT)


def _claim(
    session: Session, clock: _Clock, ids: list[int], now: datetime, *, escalate: bool
) -> list[tuple[int, str, str | None, datetime]]:
    """The conditional UPDATE: only rows still unmarked (and still on this clock) are returned."""
    marker = clock.escalated if escalate else clock.reminded
    values: dict[Any, Any] = {marker: now}
    if escalate:
        values[clock.overdue] = True
    statement = (
        update(Ticket)
        .where(
            col(Ticket.id).in_(ids),
            marker.is_(None),
            col(Ticket.state).in_(clock.states),
        )
        .values(values)
        .returning(col(Ticket.id), col(Ticket.code), col(Ticket.agency_id), clock.due)
        .execution_options(synchronize_session=False)
    )
    return cast(
        "list[tuple[int, str, str | None, datetime]]",
        [(row[0], row[1], row[2], as_utc(row[3])) for row in session.execute(statement).all()],
    )


def _record(
    session: Session,
    claimed: list[tuple[int, str, str | None, datetime]],
    clock: _Clock,
    kind: str,
    now: datetime,
) -> None:
    """One audit event and one named event (ticket.reminded / ticket.escalated) per claim."""
    recorded: list[TicketEvent] = []
    for ticket_id, _code, agency_id, due in claimed:
        event = TicketEvent(
            ticket_id=ticket_id,
            kind="escalated" if kind == "escalation" else "reminder",
            actor_type="system",
            public=kind == "escalation",
            created_at=now,
            data={
                "deadline": clock.deadline,
                "due_at": due.isoformat() if due else None,
                "agency_id": agency_id,
                **({"overdue": True} if kind == "escalation" else {}),
            },
        )
        session.add(event)
        recorded.append(event)
    session.flush()
    name = "ticket.escalated" if kind == "escalation" else "ticket.reminded"
    for event in recorded:
        events.emit(session=session, event=name, ticket_id=event.ticket_id, event_id=event.id)


def _escalate(session: Session, clock: _Clock, now: datetime, batch: int) -> int:
    done = 0
    while True:
        ids = list(
            session.execute(
                select(col(Ticket.id))
                # past the deadline, as policy.is_overdue: not on the deadline itself
                .where(text(clock.open_sql), clock.due < now)
                .order_by(clock.due)
                .limit(batch)
            ).scalars()
        )
        if not ids:
            return done
        claimed = _claim(session, clock, ids, now, escalate=True)
        _record(session, claimed, clock, "escalation", now)
        session.commit()
        done += len(claimed)
        if len(ids) < batch:
            return done


def _remind(
    session: Session,
    clock: _Clock,
    now: datetime,
    horizons: dict[str | None, timedelta],
    batch: int,
) -> int:
    done = 0
    for category_id, horizon in horizons.items():
        done += _remind_category(session, clock, now, category_id, horizon, batch)
    return done


def _remind_category(
    session: Session,
    clock: _Clock,
    now: datetime,
    category_id: str | None,
    horizon: timedelta,
    batch: int,
) -> int:
    """Walk the index range (now, now + horizon] of this category's unreminded tickets."""
    done = 0
    after: tuple[datetime, int] | None = None
    same_category = (
        col(Ticket.category_id).is_(None)
        if category_id is None
        else col(Ticket.category_id) == category_id
    )
    while True:
        query = select(
            col(Ticket.id), clock.due, col(Ticket.routed_at), col(Ticket.paused_seconds)
        ).where(
            text(clock.unreminded_sql),
            same_category,
            clock.due > now,
            clock.due <= now + horizon,
        )
        if after is not None:
            query = query.where(
                (clock.due > after[0]) | ((clock.due == after[0]) & (col(Ticket.id) > after[1]))
            )
        rows = session.execute(query.order_by(clock.due, col(Ticket.id)).limit(batch)).all()
        if not rows:
            return done
        due_ids = [
            row[0]
            for row in rows
            if _reminder_due(now, as_utc(row[1]), as_utc(row[2]), row[3])  # type: ignore[arg-type]
        ]
        if due_ids:
            claimed = _claim(session, clock, due_ids, now, escalate=False)
            _record(session, claimed, clock, "reminder", now)
            session.commit()
            done += len(claimed)
        last = rows[-1]
        after = (as_utc(last[1]), last[0])  # type: ignore[assignment]
        if len(rows) < batch:
            return done


def sweep_deadlines(
    *, session: Session, now: datetime | None = None, batch: int = BATCH
) -> SweepReport:
    """Commits after each batch, so a long sweep holds no lock for long and loses no work."""
    now = now or utcnow()
    report = SweepReport()
    horizons = reminder_horizons(session, now)
    report.counts["ack_escalations"] = _escalate(session, ACK, now, batch)
    report.counts["resolve_escalations"] = _escalate(session, RESOLVE, now, batch)
    report.counts["ack_reminders"] = _remind(session, ACK, now, horizons["acknowledge"], batch)
    report.counts["resolve_reminders"] = _remind(
        session, RESOLVE, now, horizons["resolve"], batch
    )
    report.counts["closed"] = close_resolved(session=session, now=now, batch=batch)
    return report


def close_resolved(*, session: Session, now: datetime, batch: int = BATCH) -> int:
    """Resolved tickets whose reopen window has passed become closed, once each, through the
    workflow (so each closure has its audit event and its `ticket.closed` event)."""
    done = 0
    while True:
        query = (
            select(Ticket)
            .where(
                text(SWEEP_PREDICATES["resolved"]),
                policy.reopen_window_passed_sql(Ticket.__table__.c, now),  # type: ignore[attr-defined]
            )
            .order_by(col(Ticket.resolved_at))
            .limit(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        tickets = list(session.execute(query).scalars())
        if not tickets:
            return done
        for ticket in tickets:
            workflow.close(session=session, ticket=ticket, reason="reopen_window_passed")
        session.commit()
        done += len(tickets)
        if len(tickets) < batch:
            return done
