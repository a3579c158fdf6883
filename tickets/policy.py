"""The deadline policy, in one place: when a ticket must be acknowledged and resolved, when it is
overdue, how waiting for the resident pauses the clock, and how long a resident may reopen.

Each rule that a query also needs is written twice here, side by side: a Python function for
one ticket and the SQL expression for many (the queue, the dashboard, the sweep). Tests hold
them to the same answers.

- Acknowledge: the category's clock hours (24 by default) from routing to the agency.
- Resolve: the category's working days from routing (the city's calendar: its working weekdays
  minus the country's public holidays), or its urgent clock hours for an urgent ticket. A
  transfer keeps the resident's resolve deadline; a reopening starts a fresh one.
- Paused: while the agency waits for the resident, no deadline runs; on the answer the resolve
  deadline moves by the time waited.
- Overdue: routed and not acknowledged by the acknowledge deadline, or in a clock state
  (routed, acknowledged, in progress) past the resolve deadline. A paused ticket is never
  overdue; a resolved, closed or rejected ticket no longer is.
- Reopen window: the resident may reopen within `reopen_window_days` of the resolution; after
  it the sweep closes the ticket.
- Scheduled: an agency that commits to a date ("scheduled for 12 January") gets that date, to
  the end of the day in the city, as its new resolve deadline, with its reminder and escalation
  to come again; the date must be from today to `schedule_max_days` ahead.
- "Is it fixed?": the resident is asked the category's `fix_question_days` after a resolution
  (the fix was "fixed"), and may answer for `fix_answer_days` after the question; "not fixed"
  reopens the ticket, past the reopen window, with a fresh resolve deadline.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from core.clock import as_utc, utcnow
from core.errors import InvalidInput
from core.settings import Settings, get_settings
from routing.models import Category
from tickets import deadlines
from tickets.lifecycle import CLOCK_STATES
from tickets.models import FixAnswer, Ticket, TicketState

# The fallbacks for a ticket with no category (the taxonomy gives every category its own).
DEFAULT_ACKNOWLEDGE_HOURS = 24
DEFAULT_RESOLVE_WORKING_DAYS = 5
DEFAULT_URGENT_RESOLVE_HOURS = 24

_CLOCK_STATE_VALUES = tuple(sorted(state.value for state in CLOCK_STATES))


# Setting the clocks -----------------------------------------------------------------------


def acknowledge_due(start: datetime, category: Category | None) -> datetime:
    hours = category.acknowledge_hours if category else DEFAULT_ACKNOWLEDGE_HOURS
    return deadlines.acknowledge_due(start, hours=hours)


def resolve_due(
    start: datetime,
    category: Category | None,
    *,
    urgent: bool,
    settings: Settings | None = None,
) -> datetime:
    if urgent:
        hours = category.urgent_resolve_hours if category else DEFAULT_URGENT_RESOLVE_HOURS
        return start + timedelta(hours=hours)
    settings = settings or get_settings()
    days = category.resolve_working_days if category else DEFAULT_RESOLVE_WORKING_DAYS
    return deadlines.add_working_days(
        start,
        days,
        timezone=settings.city_timezone,
        country=settings.holiday_country,
        working_days=settings.working_days,
    )


def start_acknowledge_clock(ticket: Ticket, category: Category | None, now: datetime) -> None:
    """A new agency holds the ticket: it has the category's hours to acknowledge."""
    ticket.routed_at = now
    ticket.ack_due_at = acknowledge_due(now, category)
    ticket.acknowledged_at = None
    ticket.ack_overdue = False
    ticket.ack_reminded_at = ticket.ack_escalated_at = None


def start_resolve_clock(ticket: Ticket, category: Category | None, now: datetime) -> None:
    """A fresh resolve deadline, with its reminder and escalation to come again."""
    ticket.resolve_due_at = resolve_due(now, category, urgent=ticket.urgent)
    ticket.resolve_overdue = False
    ticket.resolve_reminded_at = ticket.resolve_escalated_at = None


def pause(ticket: Ticket, now: datetime) -> None:
    ticket.paused_at = now


def resume(ticket: Ticket, now: datetime) -> None:
    """The resident answered: the resolve deadline moves by the time the clock was stopped."""
    paused_at = as_utc(ticket.paused_at)
    if paused_at is None:
        return
    waited = now - paused_at
    ticket.paused_seconds += int(waited.total_seconds())
    due = as_utc(ticket.resolve_due_at)
    if due is not None:
        ticket.resolve_due_at = due + waited
    ticket.paused_at = None


# Overdue ----------------------------------------------------------------------------------


def is_overdue(ticket: Ticket, now: datetime | None = None) -> bool:
    now = now or utcnow()
    ack_due, resolve_due_at = as_utc(ticket.ack_due_at), as_utc(ticket.resolve_due_at)
    ack_missed = ticket.state == TicketState.routed and ack_due is not None and ack_due < now
    resolve_missed = (
        ticket.state in CLOCK_STATES and resolve_due_at is not None and resolve_due_at < now
    )
    return ack_missed or resolve_missed


def ack_missed_sql(columns: Any, now: datetime) -> ColumnElement[bool]:
    """`columns` is the ticket table's columns (Ticket.__table__.c) or an alias's."""
    return and_(columns.state == TicketState.routed.value, columns.ack_due_at < now)


def resolve_missed_sql(columns: Any, now: datetime) -> ColumnElement[bool]:
    return and_(columns.state.in_(_CLOCK_STATE_VALUES), columns.resolve_due_at < now)


def overdue_sql(columns: Any, now: datetime) -> ColumnElement[bool]:
    return or_(ack_missed_sql(columns, now), resolve_missed_sql(columns, now))


def expected_resolution(ticket: Ticket) -> datetime | None:
    """What a resident (or an Open311 app) is told to expect: the resolve deadline, once the
    ticket has one (after the answer it stays, to compare with when the answer came)."""
    return as_utc(ticket.resolve_due_at)


# Reopen window ----------------------------------------------------------------------------


def reopen_window(settings: Settings | None = None) -> timedelta:
    return timedelta(days=(settings or get_settings()).reopen_window_days)


def reopen_window_days(settings: Settings | None = None) -> int:
    return (settings or get_settings()).reopen_window_days


def within_reopen_window(ticket: Ticket, now: datetime | None = None) -> bool:
    resolved_at = as_utc(ticket.resolved_at)
    return (
        ticket.state == TicketState.resolved
        and resolved_at is not None
        and (now or utcnow()) - resolved_at <= reopen_window()
    )


def reopen_window_passed_sql(columns: Any, now: datetime) -> ColumnElement[bool]:
    return and_(
        columns.state == TicketState.resolved.value,
        columns.resolved_at <= now - reopen_window(),
    )


# Scheduled work ---------------------------------------------------------------------------

DEFAULT_FIX_QUESTION_DAYS = 14


def city_today(settings: Settings | None = None, now: datetime | None = None) -> date:
    zone = ZoneInfo((settings or get_settings()).city_timezone)
    return (now or utcnow()).astimezone(zone).date()


def end_of_city_day(day: date, settings: Settings | None = None) -> datetime:
    """The UTC moment the city's day `day` ends (the first instant of the next day)."""
    zone = ZoneInfo((settings or get_settings()).city_timezone)
    start = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC)


def check_schedule_date(day: date, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    today = city_today(settings)
    if day < today:
        raise InvalidInput("The date has passed.", field="scheduled_for", value=day.isoformat())
    if day > today + timedelta(days=settings.schedule_max_days):
        raise InvalidInput(
            "The date is more than %(max)s days ahead.",
            field="scheduled_for",
            max=settings.schedule_max_days,
        )


def schedule_clock(ticket: Ticket, day: date) -> None:
    """The committed date becomes the resolve deadline, watched like any other."""
    ticket.scheduled_for = day
    ticket.resolve_due_at = end_of_city_day(day)
    ticket.resolve_overdue = False
    ticket.resolve_reminded_at = ticket.resolve_escalated_at = None


# "Is it fixed?" ---------------------------------------------------------------------------


def fix_question_delay(category: Category | None) -> timedelta:
    days = category.fix_question_days if category else DEFAULT_FIX_QUESTION_DAYS
    return timedelta(days=days)


def fix_answer_window(settings: Settings | None = None) -> timedelta:
    return timedelta(days=(settings or get_settings()).fix_answer_days)


def may_answer_fix_question(ticket: Ticket, now: datetime | None = None) -> bool:
    """The resident was asked about this resolution and the answer is not late."""
    asked = as_utc(ticket.fix_asked_at)
    return (
        ticket.state in (TicketState.resolved, TicketState.closed)
        and ticket.fix_answer == FixAnswer.asked
        and asked is not None
        and (now or utcnow()) - asked <= fix_answer_window()
    )
