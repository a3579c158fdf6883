"""The deadline policy (`tickets.policy`), rule by rule, at its boundaries.

Moments are written out by hand: Ho Chi Minh City is UTC+7 all year, so 09:00 in the city is
02:00 UTC. Monday 1 March 2027 has no holiday near it. A category built here (not the
taxonomy's, whose clocks are mostly the defaults) gives each clock a value of its own, so that a
rule reading the wrong field, or the default, shows.

- Acknowledge: the category's clock hours; 24 without a category.
- Resolve: the category's working days, or its urgent clock hours for an urgent ticket; 5
  working days / 24 hours without a category.
- A fresh clock clears its reminder, escalation and overdue marks.
- Waiting for the resident stops the resolve clock; the answer moves the deadline by the wait.
- Overdue strictly after the deadline, in the clock states only; the SQL form agrees.
- The reopen window: up to and including 7 days after the resolution, a resolved ticket only.
- A scheduled date: from today (in the city) to 365 days ahead; the deadline is the end of that
  day in the city.
- "Is it fixed?": asked the category's days after (14 without a category); the answer is taken
  for 14 days after the question, on a resolved or closed ticket that was asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core.errors import InvalidInput
from routing.models import Category
from tests import factories
from tickets import policy
from tickets.models import Ticket, TicketState

MONDAY_9 = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)  # Monday 1 March 2027, 09:00 in the city

CATEGORY = Category(
    id="test_clocks", name_en="Test", name_vi="Thử", default_agency_id="transport",
    resolve_working_days=3, acknowledge_hours=48, urgent_resolve_hours=6, fix_question_days=10,
)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(MONDAY_9)


def bare(**values: object) -> Ticket:
    return Ticket(code="T", channel="web", description="x", **values)  # type: ignore[arg-type]


# Setting the clocks ------------------------------------------------------------------------


def test_the_acknowledge_deadline_is_the_categorys_hours_or_24() -> None:
    assert policy.acknowledge_due(MONDAY_9, CATEGORY) == MONDAY_9 + timedelta(hours=48)
    assert policy.acknowledge_due(MONDAY_9, None) == MONDAY_9 + timedelta(hours=24)


def test_the_resolve_deadline_is_the_categorys_working_days_or_five() -> None:
    # three working days from Monday 09:00 is Thursday 09:00; five is the next Monday
    assert policy.resolve_due(MONDAY_9, CATEGORY, urgent=False) == datetime(
        2027, 3, 4, 2, 0, tzinfo=UTC
    )
    assert policy.resolve_due(MONDAY_9, None, urgent=False) == datetime(
        2027, 3, 8, 2, 0, tzinfo=UTC
    )


def test_an_urgent_ticket_gets_the_categorys_clock_hours_or_24() -> None:
    assert policy.resolve_due(MONDAY_9, CATEGORY, urgent=True) == MONDAY_9 + timedelta(hours=6)
    assert policy.resolve_due(MONDAY_9, None, urgent=True) == MONDAY_9 + timedelta(hours=24)


def test_the_resolve_deadline_counts_the_working_days_of_the_settings_given() -> None:
    from core.settings import get_settings

    every_day = get_settings().model_copy(update={"working_days": (0, 1, 2, 3, 4, 5, 6)})
    # Friday 5 March 2027, 09:00: with Saturdays and Sundays worked, three days is Monday
    friday = datetime(2027, 3, 5, 2, 0, tzinfo=UTC)
    assert policy.resolve_due(friday, CATEGORY, urgent=False, settings=every_day) == datetime(
        2027, 3, 8, 2, 0, tzinfo=UTC
    )
    assert policy.resolve_due(friday, CATEGORY, urgent=False) == datetime(
        2027, 3, 10, 2, 0, tzinfo=UTC
    )


def test_a_new_agency_gets_a_fresh_acknowledge_clock() -> None:
    earlier = MONDAY_9 - timedelta(days=3)
    ticket = bare(
        routed_at=earlier, ack_due_at=earlier, acknowledged_at=earlier, ack_overdue=True,
        ack_reminded_at=earlier, ack_escalated_at=earlier,
    )
    policy.start_acknowledge_clock(ticket, CATEGORY, MONDAY_9)
    assert ticket.routed_at == MONDAY_9
    assert ticket.ack_due_at == MONDAY_9 + timedelta(hours=48)
    assert (ticket.acknowledged_at, ticket.ack_overdue) == (None, False)
    assert (ticket.ack_reminded_at, ticket.ack_escalated_at) == (None, None)


def test_a_fresh_resolve_clock_clears_its_marks() -> None:
    earlier = MONDAY_9 - timedelta(days=9)
    ticket = bare(
        urgent=True, resolve_due_at=earlier, resolve_overdue=True,
        resolve_reminded_at=earlier, resolve_escalated_at=earlier,
    )
    policy.start_resolve_clock(ticket, CATEGORY, MONDAY_9)
    assert ticket.resolve_due_at == MONDAY_9 + timedelta(hours=6)  # urgent: the clock hours
    assert ticket.resolve_overdue is False
    assert (ticket.resolve_reminded_at, ticket.resolve_escalated_at) == (None, None)


def test_the_answer_moves_the_resolve_deadline_by_the_time_waited() -> None:
    due = MONDAY_9 + timedelta(days=3)
    ticket = bare(resolve_due_at=due, paused_seconds=100)
    policy.pause(ticket, MONDAY_9)
    assert ticket.paused_at == MONDAY_9
    policy.resume(ticket, MONDAY_9 + timedelta(hours=5, seconds=30))
    assert ticket.resolve_due_at == due + timedelta(hours=5, seconds=30)
    assert ticket.paused_seconds == 100 + 5 * 3600 + 30
    assert ticket.paused_at is None


def test_an_answer_with_no_pause_or_no_deadline_moves_nothing() -> None:
    due = MONDAY_9 + timedelta(days=3)
    not_paused = bare(resolve_due_at=due, paused_seconds=0)
    policy.resume(not_paused, MONDAY_9 + timedelta(hours=5))
    assert (not_paused.resolve_due_at, not_paused.paused_seconds) == (due, 0)
    no_deadline = bare(paused_at=MONDAY_9, paused_seconds=0)
    policy.resume(no_deadline, MONDAY_9 + timedelta(minutes=10))
    assert no_deadline.resolve_due_at is None
    assert (no_deadline.paused_seconds, no_deadline.paused_at) == (600, None)


# Overdue ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "ack_late", "resolve_late", "overdue"),
    [
        ("routed", True, False, True),  # not acknowledged in time
        ("routed", False, True, True),
        ("routed", False, False, False),
        ("acknowledged", True, False, False),  # acknowledged: the ack deadline no longer counts
        ("acknowledged", False, True, True),
        ("in_progress", False, True, True),
        ("waiting_for_resident", True, True, False),  # paused
        ("resolved", True, True, False),
        ("closed", True, True, False),
        ("rejected", True, True, False),
        ("received", True, True, False),
        ("triage", True, True, False),
    ],
)
def test_overdue_in_python_and_in_sql(
    pg_session: Session, state: str, ack_late: bool, resolve_late: bool, overdue: bool
) -> None:
    ticket = factories.ticket(pg_session)
    ticket.state = TicketState(state)
    ticket.ack_due_at = MONDAY_9 - timedelta(seconds=1) if ack_late else MONDAY_9
    ticket.resolve_due_at = MONDAY_9 - timedelta(seconds=1) if resolve_late else MONDAY_9
    pg_session.add(ticket)
    pg_session.flush()
    # on the deadline itself a ticket is not yet late
    assert policy.is_overdue(ticket, MONDAY_9) is overdue
    columns = Ticket.__table__.c  # type: ignore[attr-defined]
    found = pg_session.execute(
        select(columns.id).where(columns.id == ticket.id, policy.overdue_sql(columns, MONDAY_9))
    ).all()
    assert bool(found) is overdue


def test_a_ticket_without_deadlines_is_never_overdue(clock: list[datetime]) -> None:
    assert policy.is_overdue(bare(state=TicketState.routed)) is False
    late = bare(state=TicketState.routed, ack_due_at=MONDAY_9 - timedelta(seconds=1))
    assert policy.is_overdue(late) is True  # "now" is the clock's
    clock[0] = MONDAY_9 - timedelta(seconds=2)
    assert policy.is_overdue(late) is False


def test_the_expected_resolution_is_the_resolve_deadline() -> None:
    due = MONDAY_9 + timedelta(days=3)
    assert policy.expected_resolution(bare(resolve_due_at=due)) == due
    assert policy.expected_resolution(bare()) is None


# Reopen window ---------------------------------------------------------------------------


def test_the_reopen_window_is_seven_days_by_default_or_as_set() -> None:
    from core.settings import get_settings

    assert policy.reopen_window() == timedelta(days=7)
    assert policy.reopen_window_days() == 7
    longer = get_settings().model_copy(update={"reopen_window_days": 30})
    assert policy.reopen_window(longer) == timedelta(days=30)
    assert policy.reopen_window_days(longer) == 30


def test_a_resolved_ticket_may_be_reopened_up_to_seven_days_after(
    pg_session: Session, clock: list[datetime]
) -> None:
    resolved = bare(state=TicketState.resolved, resolved_at=MONDAY_9)
    last_moment = MONDAY_9 + timedelta(days=7)
    assert policy.within_reopen_window(resolved, last_moment) is True
    assert policy.within_reopen_window(resolved, last_moment + timedelta(seconds=1)) is False
    clock[0] = last_moment
    assert policy.within_reopen_window(resolved) is True  # "now" is the clock's
    clock[0] = last_moment + timedelta(seconds=1)
    assert policy.within_reopen_window(resolved) is False
    assert policy.within_reopen_window(bare(state=TicketState.closed, resolved_at=MONDAY_9),
                                       MONDAY_9) is False
    assert policy.within_reopen_window(bare(state=TicketState.resolved), MONDAY_9) is False

    # the sweep's SQL: the window has passed from the seventh day on, for resolved tickets only
    ticket = factories.ticket(pg_session)
    ticket.state, ticket.resolved_at = TicketState.resolved, MONDAY_9
    pg_session.add(ticket)
    pg_session.flush()
    columns = Ticket.__table__.c  # type: ignore[attr-defined]

    def passed(now: datetime) -> bool:
        return bool(pg_session.execute(select(columns.id).where(
            columns.id == ticket.id, policy.reopen_window_passed_sql(columns, now))).all())

    assert passed(last_moment) is True
    assert passed(last_moment - timedelta(seconds=1)) is False
    ticket.state = TicketState.closed
    pg_session.add(ticket)
    pg_session.flush()
    assert passed(last_moment + timedelta(days=1)) is False


# Scheduled work --------------------------------------------------------------------------


def test_the_citys_day_is_not_the_utc_day(clock: list[datetime]) -> None:
    late_evening_utc = datetime(2027, 3, 1, 17, 30, tzinfo=UTC)  # 00:30 on 2 March in the city
    assert policy.city_today(now=late_evening_utc) == date(2027, 3, 2)
    clock[0] = late_evening_utc
    assert policy.city_today() == date(2027, 3, 2)
    assert policy.end_of_city_day(date(2027, 1, 12)) == datetime(2027, 1, 12, 17, 0, tzinfo=UTC)


def test_a_date_from_today_to_a_year_ahead_may_be_scheduled(clock: list[datetime]) -> None:
    clock[0] = datetime(2027, 3, 1, 17, 30, tzinfo=UTC)  # already 2 March in the city
    policy.check_schedule_date(date(2027, 3, 2))
    policy.check_schedule_date(date(2027, 3, 2) + timedelta(days=365))
    with pytest.raises(InvalidInput) as past:
        policy.check_schedule_date(date(2027, 3, 1))
    assert past.value.message == "The date has passed."
    assert (past.value.field, past.value.values) == ("scheduled_for", {"value": "2027-03-01"})
    with pytest.raises(InvalidInput) as far:
        policy.check_schedule_date(date(2027, 3, 2) + timedelta(days=366))
    assert far.value.template == "The date is more than %(max)s days ahead."
    assert far.value.message == "The date is more than 365 days ahead."
    assert far.value.field == "scheduled_for"


def test_a_scheduled_date_is_the_new_resolve_deadline_watched_afresh() -> None:
    earlier = MONDAY_9 - timedelta(days=9)
    ticket = bare(resolve_due_at=earlier, resolve_overdue=True, resolve_reminded_at=earlier,
                  resolve_escalated_at=earlier)
    policy.schedule_clock(ticket, date(2027, 3, 12))
    assert ticket.scheduled_for == date(2027, 3, 12)
    assert ticket.resolve_due_at == datetime(2027, 3, 12, 17, 0, tzinfo=UTC)
    assert ticket.resolve_overdue is False
    assert (ticket.resolve_reminded_at, ticket.resolve_escalated_at) == (None, None)


# "Is it fixed?" ----------------------------------------------------------------------------


def test_the_question_waits_the_categorys_days_or_fourteen() -> None:
    assert policy.fix_question_delay(CATEGORY) == timedelta(days=10)
    assert policy.fix_question_delay(None) == timedelta(days=14)
    assert policy.fix_answer_window() == timedelta(days=14)


@pytest.mark.parametrize(
    ("state", "answer", "after", "may"),
    [
        ("resolved", "asked", timedelta(days=14), True),  # the last moment
        ("closed", "asked", timedelta(days=1), True),  # closed by the sweep meanwhile
        ("resolved", "asked", timedelta(days=14, seconds=1), False),  # too late
        ("resolved", "fixed", timedelta(days=1), False),  # answered already
        ("resolved", None, timedelta(days=1), False),  # never asked
        ("in_progress", "asked", timedelta(days=1), False),  # reopened meanwhile
    ],
)
def test_the_answer_is_taken_for_fourteen_days_after_the_question(
    clock: list[datetime], state: str, answer: str | None, after: timedelta, may: bool
) -> None:
    ticket = bare(state=TicketState(state), fix_answer=answer, fix_asked_at=MONDAY_9)
    assert policy.may_answer_fix_question(ticket, MONDAY_9 + after) is may
    clock[0] = MONDAY_9 + after
    assert policy.may_answer_fix_question(ticket) is may


def test_no_answer_is_taken_for_a_question_never_sent() -> None:
    ticket = bare(state=TicketState.resolved, fix_answer="asked", fix_asked_at=None)
    assert policy.may_answer_fix_question(ticket, MONDAY_9) is False


def test_a_deployment_elsewhere_counts_its_own_calendar(clock: list[datetime]) -> None:
    """The settings' city and country, not Ho Chi Minh City's: a deployment in Paris."""
    from core.settings import get_settings

    paris = get_settings().model_copy(
        update={"city_timezone": "Europe/Paris", "holiday_country": "FR"}
    )
    # Tuesday 13 July 2027, 23:30 in Paris (21:30 UTC; already Wednesday in Ho Chi Minh
    # City). Wednesday 14 July is a French holiday: three working days are Thursday, Friday
    # and Monday 19 July, 23:30 in Paris
    start = datetime(2027, 7, 13, 21, 30, tzinfo=UTC)
    assert policy.resolve_due(start, CATEGORY, urgent=False, settings=paris) == datetime(
        2027, 7, 19, 21, 30, tzinfo=UTC
    )
    # the city's today: 1 March 2027, 17:30 UTC is 18:30 in Paris, still 1 March there
    clock[0] = datetime(2027, 3, 1, 17, 30, tzinfo=UTC)
    policy.check_schedule_date(date(2027, 3, 1), paris)
    with pytest.raises(InvalidInput):
        policy.check_schedule_date(date(2027, 3, 1))  # in Ho Chi Minh City it is 2 March
