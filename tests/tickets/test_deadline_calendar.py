"""Deadlines counted on Ho Chi Minh City's calendar, with every expected moment written by hand.

The rule (roads: 24 clock hours to acknowledge, 5 working days to resolve): the resolve deadline
is the same local time of day on the 5th working day after the local day the ticket was routed;
working days are Monday to Friday minus Viet Nam's public holidays. Ho Chi Minh City is UTC+7
all year, so a report filed between 00:00 and 07:00 local time falls on the previous day in UTC:
those are the reports that tell local counting from UTC counting.

Nothing below is computed by the code under test: each expected value was counted on the
calendar (March 2026 has no holiday; Tết 2027 per the `holidays` package: Thursday 4 to
Wednesday 10 February 2027, with Saturday 6 February the first day of the year).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from core.clock import as_utc
from tests import factories
from tickets import deadlines


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(utc(2026, 3, 2, 2))


def route_at(session: Session, clock: list[datetime], moment: datetime) -> tuple[datetime, ...]:
    """Route a roads ticket at `moment`: its (acknowledge, resolve) deadlines in UTC."""
    clock[0] = moment
    ticket = factories.routed_ticket(session, category_id="roads")
    ack, resolve = as_utc(ticket.ack_due_at), as_utc(ticket.resolve_due_at)
    assert ack is not None and resolve is not None
    return ack, resolve


# (filed at, in UTC) -> (acknowledge by, resolve by), in UTC; the local reading in the comment
ACROSS_MIDNIGHT = [
    # Sunday 1 March 2026, 23:30 local: working days Mon 2, Tue 3, Wed 4, Thu 5, Fri 6
    # -> Friday 6 March 23:30 local
    (utc(2026, 3, 1, 16, 30), utc(2026, 3, 2, 16, 30), utc(2026, 3, 6, 16, 30)),
    # one hour later, Monday 2 March 00:30 local (still Sunday in UTC): Tue 3 ... Fri 6, Mon 9
    # -> Monday 9 March 00:30 local = Sunday 8 March 17:30 UTC (UTC counting: Friday 6 March)
    (utc(2026, 3, 1, 17, 30), utc(2026, 3, 2, 17, 30), utc(2026, 3, 8, 17, 30)),
]
TET_2027 = [
    # Wednesday 3 February 2027, 10:00 local, the last working day before Tết: Thu 4 to Wed 10
    # are holidays (Sat 6 / Sun 7 the weekend too): Thu 11, Fri 12, Mon 15, Tue 16, Wed 17
    # -> Wednesday 17 February 10:00 local. Acknowledgement is clock hours, Tết or not.
    (utc(2027, 2, 3, 3), utc(2027, 2, 4, 3), utc(2027, 2, 17, 3)),
    # Monday 1 February 2027, 06:30 local (Sunday 31 January in UTC): Tue 2, Wed 3, Thu 11,
    # Fri 12, Mon 15 -> Monday 15 February 06:30 local = Sunday 14 February 23:30 UTC
    # (UTC counting: Friday 12 February)
    (utc(2027, 1, 31, 23, 30), utc(2027, 2, 1, 23, 30), utc(2027, 2, 14, 23, 30)),
    # Saturday 6 February 2027, the first day of Tết, 09:00 local: Thu 11, Fri 12, Mon 15,
    # Tue 16, Wed 17 -> Wednesday 17 February 09:00 local
    (utc(2027, 2, 6, 2), utc(2027, 2, 7, 2), utc(2027, 2, 17, 2)),
]
FRIDAY_EVENING = [
    # Friday 6 March 2026, 21:00 local: Mon 9 ... Fri 13 -> Friday 13 March 21:00 local;
    # acknowledgement Saturday 7 March 21:00 local (clock hours run over the weekend)
    (utc(2026, 3, 6, 14), utc(2026, 3, 7, 14), utc(2026, 3, 13, 14)),
    # the same night, Saturday 7 March 02:00 local (still Friday evening in UTC): the local day
    # is a Saturday, Mon 9 ... Fri 13 -> Friday 13 March 02:00 local = Thursday 12 March 19:00
    # UTC (UTC counting: Friday 13 March 19:00 UTC)
    (utc(2026, 3, 6, 19), utc(2026, 3, 7, 19), utc(2026, 3, 12, 19)),
]
SATURDAY = [
    # Saturday 7 March 2026, 10:00 local: Mon 9 ... Fri 13 -> Friday 13 March 10:00 local
    (utc(2026, 3, 7, 3), utc(2026, 3, 8, 3), utc(2026, 3, 13, 3)),
    # Saturday 7 March 2026, 06:00 local (Friday 23:00 UTC) -> Friday 13 March 06:00 local =
    # Thursday 12 March 23:00 UTC (UTC counting: Friday 13 March 23:00 UTC)
    (utc(2026, 3, 6, 23), utc(2026, 3, 7, 23), utc(2026, 3, 12, 23)),
]
CASES = {
    "across-midnight": ACROSS_MIDNIGHT,
    "tet-2027": TET_2027,
    "friday-evening": FRIDAY_EVENING,
    "saturday": SATURDAY,
}


@pytest.mark.parametrize("name", list(CASES))
def test_routing_sets_deadlines_from_the_local_calendar(
    session: Session, clock: list[datetime], name: str
) -> None:
    for filed, ack_due, resolve_due in CASES[name]:
        assert route_at(session, clock, filed) == (ack_due, resolve_due), (name, filed)


@pytest.mark.parametrize("name", list(CASES))
def test_add_working_days_counts_local_days(name: str) -> None:
    """The same figures straight from the function, without a database (fast, for mutation)."""
    for filed, _ack_due, resolve_due in CASES[name]:
        assert deadlines.add_working_days(filed, 5) == resolve_due, (name, filed)
        assert deadlines.acknowledge_due(filed, hours=24) == _ack_due


def test_one_working_day_from_a_friday_evening_is_monday_evening() -> None:
    # Friday 6 March 2026 20:00 local -> Monday 9 March 20:00 local (13:00 UTC)
    assert deadlines.add_working_days(utc(2026, 3, 6, 13), 1) == utc(2026, 3, 9, 13)
    # Friday 6 March 2026 06:00 local (Thursday 23:00 UTC) -> Monday 9 March 06:00 local
    assert deadlines.add_working_days(utc(2026, 3, 5, 23), 1) == utc(2026, 3, 8, 23)


def test_the_deadline_never_falls_on_a_holiday_or_a_weekend() -> None:
    # Wednesday 29 April 2026, 10:00 local: 30 April and 1 May are holidays, then the weekend
    # -> 1 working day is Monday 4 May 10:00 local
    assert deadlines.add_working_days(utc(2026, 4, 29, 3), 1) == utc(2026, 5, 4, 3)
    # Tuesday 2 February 2027 10:00 local, 2 working days: Wed 3, then Tết -> Thursday 11 Feb
    assert deadlines.add_working_days(utc(2027, 2, 2, 3), 2) == utc(2027, 2, 11, 3)


def test_zero_working_days_is_the_start_itself() -> None:
    assert deadlines.add_working_days(utc(2026, 3, 7, 3), 0) == utc(2026, 3, 7, 3)


def test_is_working_day_reads_weekdays_and_holidays() -> None:
    from datetime import date

    weekdays = (0, 1, 2, 3, 4)
    assert deadlines.is_working_day(date(2027, 2, 3), country="VN", working_days=weekdays)
    assert not deadlines.is_working_day(date(2027, 2, 4), country="VN", working_days=weekdays)
    assert not deadlines.is_working_day(date(2026, 3, 7), country="VN", working_days=weekdays)
    # a city working six days a week counts Saturdays, still not holidays
    six_days = (0, 1, 2, 3, 4, 5)
    assert deadlines.is_working_day(date(2026, 3, 7), country="VN", working_days=six_days)
    assert not deadlines.is_working_day(date(2027, 2, 6), country="VN", working_days=six_days)


def test_a_category_sets_its_own_acknowledgement_hours(
    session: Session, clock: list[datetime]
) -> None:
    from routing.models import Category

    category = session.get(Category, "roads")
    assert category is not None
    category.acknowledge_hours = 48
    session.flush()
    # Friday 6 March 2026 21:00 local + 48 clock hours -> Sunday 8 March 21:00 local
    ack, _resolve = route_at(session, clock, utc(2026, 3, 6, 14))
    assert ack == utc(2026, 3, 8, 14)


def test_a_ticket_routed_without_a_category_gets_the_default_clocks(
    session: Session, clock: list[datetime]
) -> None:
    from tickets import workflow

    ticket = factories.ticket(session)
    # Saturday 7 March 2026 06:00 local: 24 clock hours; 5 working days -> Friday 13 March
    # 06:00 local = Thursday 12 March 23:00 UTC
    clock[0] = utc(2026, 3, 6, 23)
    workflow.route(session=session, ticket=ticket, agency_id="transport", category_id=None)
    assert ticket.category_id is None
    assert as_utc(ticket.ack_due_at) == utc(2026, 3, 7, 23)
    assert as_utc(ticket.resolve_due_at) == utc(2026, 3, 12, 23)
