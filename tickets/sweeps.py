"""The deadline sweep: reminders at 75% of the time, escalation when a deadline passes.

Run every minute (task `tickets.sweep_deadlines`, registered in staff/tasks.py). Each effect is
claimed by a conditional UPDATE (`... WHERE ack_escalated_at IS NULL`), so a second sweep, or
two sweeps at once, record and announce it once. Candidates are found through the indexes
(state, ack_due_at) and (state, resolve_due_at), in batches, each batch in its own transaction;
when nothing is due, each query reads an empty index range.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select, text, update
from sqlmodel import Session, col

from core.clock import as_utc, utcnow
from core.settings import get_settings
from routing.models import Category
from tickets import deadlines
from tickets.lifecycle import CLOCK_STATES
from tickets.models import Ticket, TicketEvent, TicketState

REMIND_AT = 0.75  # share of the time gone when the agency is reminded
BATCH = 500
ACK_STATES = (TicketState.routed,)
RESOLVE_STATES = tuple(sorted(CLOCK_STATES))


@dataclass(frozen=True)
class Alert:
    """One reminder or escalation, already recorded; the notifier tells the people concerned."""

    ticket_id: int
    code: str
    agency_id: str | None
    kind: str  # reminder | escalation
    deadline: str  # acknowledge | resolve
    due_at: datetime


Notifier = Callable[[Session, list[Alert]], object]


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
    # the same text as the partial indexes' predicates (staff.models.SWEEP_PREDICATES), as
    # literal SQL so that the planner can prove a query fits its index
    open_sql: str
    unreminded_sql: str


_ACK_OPEN = "state = 'routed' AND ack_escalated_at IS NULL"
_RESOLVE_OPEN = (
    "state IN ('routed', 'acknowledged', 'in_progress') AND resolve_escalated_at IS NULL"
)
ACK = _Clock(
    "acknowledge",
    tuple(ACK_STATES),
    Ticket.ack_due_at,
    Ticket.ack_reminded_at,
    Ticket.ack_escalated_at,
    Ticket.ack_overdue,
    _ACK_OPEN,
    _ACK_OPEN + " AND ack_reminded_at IS NULL",
)
RESOLVE = _Clock(
    "resolve",
    tuple(RESOLVE_STATES),
    Ticket.resolve_due_at,
    Ticket.resolve_reminded_at,
    Ticket.resolve_escalated_at,
    Ticket.resolve_overdue,
    _RESOLVE_OPEN,
    _RESOLVE_OPEN + " AND resolve_reminded_at IS NULL",
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
) -> list[Alert]:
    alerts: list[Alert] = []
    for ticket_id, code, agency_id, due in claimed:
        session.add(
            TicketEvent(
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
        )
        alerts.append(
            Alert(
                ticket_id=ticket_id,
                code=code,
                agency_id=agency_id,
                kind=kind,
                deadline=clock.deadline,
                due_at=due,
            )
        )
    return alerts


def _escalate(
    session: Session, clock: _Clock, now: datetime, notifier: Notifier | None, batch: int
) -> int:
    done = 0
    while True:
        ids = list(
            session.execute(
                select(col(Ticket.id))
                .where(text(clock.open_sql), clock.due <= now)
                .order_by(clock.due)
                .limit(batch)
            ).scalars()
        )
        if not ids:
            return done
        claimed = _claim(session, clock, ids, now, escalate=True)
        alerts = _record(session, claimed, clock, "escalation", now)
        if notifier is not None and alerts:
            notifier(session, alerts)
        session.commit()
        done += len(claimed)
        if len(ids) < batch:
            return done


def _remind(
    session: Session,
    clock: _Clock,
    now: datetime,
    horizons: dict[str | None, timedelta],
    notifier: Notifier | None,
    batch: int,
) -> int:
    done = 0
    for category_id, horizon in horizons.items():
        done += _remind_category(session, clock, now, category_id, horizon, notifier, batch)
    return done


def _remind_category(
    session: Session,
    clock: _Clock,
    now: datetime,
    category_id: str | None,
    horizon: timedelta,
    notifier: Notifier | None,
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
            alerts = _record(session, claimed, clock, "reminder", now)
            if notifier is not None and alerts:
                notifier(session, alerts)
            session.commit()
            done += len(claimed)
        last = rows[-1]
        after = (as_utc(last[1]), last[0])  # type: ignore[assignment]
        if len(rows) < batch:
            return done


def sweep_deadlines(
    *,
    session: Session,
    notifier: Notifier | None = None,
    now: datetime | None = None,
    batch: int = BATCH,
) -> SweepReport:
    """Commits after each batch, so a long sweep holds no lock for long and loses no work."""
    now = now or utcnow()
    report = SweepReport()
    horizons = reminder_horizons(session, now)
    report.counts["ack_escalations"] = _escalate(session, ACK, now, notifier, batch)
    report.counts["resolve_escalations"] = _escalate(session, RESOLVE, now, notifier, batch)
    report.counts["ack_reminders"] = _remind(
        session, ACK, now, horizons["acknowledge"], notifier, batch
    )
    report.counts["resolve_reminders"] = _remind(
        session, RESOLVE, now, horizons["resolve"], notifier, batch
    )
    report.counts["closed"] = close_resolved(session=session, now=now, batch=batch)
    return report


CLOSE_AFTER = timedelta(days=7)  # the resident's window to reopen (tickets.actions.REOPEN_DAYS)
_RESOLVED_SQL = "state = 'resolved'"  # the predicate of ix_ticket_sweep_resolved


def close_resolved(*, session: Session, now: datetime, batch: int = BATCH) -> int:
    """Resolved tickets whose reopening window has passed become closed, once each."""
    done = 0
    cutoff = now - CLOSE_AFTER
    while True:
        ids = list(
            session.execute(
                select(col(Ticket.id))
                .where(text(_RESOLVED_SQL), col(Ticket.resolved_at) <= cutoff)
                .order_by(col(Ticket.resolved_at))
                .limit(batch)
            ).scalars()
        )
        if not ids:
            return done
        closed = list(
            session.execute(
                update(Ticket)
                .where(
                    col(Ticket.id).in_(ids),
                    col(Ticket.state) == TicketState.resolved,
                )
                .values(state=TicketState.closed, closed_at=now, updated_at=now)
                .returning(col(Ticket.id))
                .execution_options(synchronize_session=False)
            ).scalars()
        )
        for ticket_id in closed:
            session.add(
                TicketEvent(
                    ticket_id=ticket_id,
                    kind="closed",
                    actor_type="system",
                    from_state=TicketState.resolved,
                    to_state=TicketState.closed,
                    created_at=now,
                    data={"reason": "reopen_window_passed"},
                )
            )
        session.commit()
        done += len(closed)
        if len(ids) < batch:
            return done
