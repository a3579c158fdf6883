"""A long period reads its whole months from the monthly roll-ups and only the days at its ends
from the daily ones; the refresh keeps every month equal to the sum of its days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from dashboard import rollup, service
from dashboard.models import DIMENSIONS, SUMMED, dashboard_daily, dashboard_monthly
from tests import factories
from tests.dashboard import scenario
from tests.dashboard.scenario import NOW, STAFF, at
from tests.dashboard.test_rollup import assert_rollup_matches_direct_counts
from tickets import workflow

D, M = dashboard_daily.c, dashboard_monthly.c
FEBRUARY, END_OF_MARCH = date(2026, 2, 1), date(2026, 3, 31)


@pytest.mark.parametrize(("start", "end", "days", "months"), [
    # within one month: days only
    (date(2026, 3, 2), date(2026, 3, 20), [(date(2026, 3, 2), date(2026, 3, 20))], None),
    (date(2026, 2, 1), date(2026, 2, 27), [(date(2026, 2, 1), date(2026, 2, 27))], None),
    # whole months only (a leap February among them)
    (date(2024, 2, 1), date(2024, 2, 29), [], (date(2024, 2, 1), date(2024, 2, 1))),
    (FEBRUARY, END_OF_MARCH, [], (FEBRUARY, date(2026, 3, 1))),
    # days at both ends, whole months between, across a new year
    (date(2025, 12, 5), date(2026, 12, 5),
     [(date(2025, 12, 5), date(2025, 12, 31)), (date(2026, 12, 1), date(2026, 12, 5))],
     (date(2026, 1, 1), date(2026, 11, 1))),
    # a partial month and the next one whole
    (date(2026, 1, 15), date(2026, 2, 28), [(date(2026, 1, 15), date(2026, 1, 31))],
     (FEBRUARY, FEBRUARY)),
])
def test_a_period_is_split_into_its_whole_months_and_the_days_at_its_ends(
    start: date, end: date, days: list[tuple[date, date]], months: tuple[date, date] | None
) -> None:
    assert service.split_period(start, end) == (days, months)


def _months_from_days(session: Session) -> dict[tuple[Any, ...], tuple[int, ...]]:
    month = rollup.month_expression(D.day, dialect=session.get_bind().dialect.name)
    keys = [func.coalesce(D[name], "") for name in DIMENSIONS]
    query = select(D.level, month, *keys, *(func.sum(D[name]) for name in SUMMED)).group_by(
        D.level, month, *keys)
    return {(row[0], str(row[1]), *row[2:6]): tuple(row[6:]) for row in session.execute(query)}


def _months(session: Session) -> dict[tuple[Any, ...], tuple[int, ...]]:
    query = select(M.level, M.month, *(M[name] for name in DIMENSIONS),
                   *(M[name] for name in SUMMED))
    return {(row[0], str(row[1]), *row[2:6]): tuple(row[6:]) for row in session.execute(query)}


def test_the_refresh_keeps_each_month_equal_to_the_sum_of_its_days(session: Session) -> None:
    city = scenario.build(session)
    rollup.rebuild_all(session=session, now=NOW)
    assert _months(session) == _months_from_days(session)
    assert {key[0] for key in _months(session)} == {"full", "city", "area"}

    later = NOW + timedelta(hours=1)
    with at(later):
        workflow.acknowledge(session=session, ticket=city.e, actor=STAFF)
        # the only pollution report moves to another agency: its month row is left empty
        workflow.transfer(session=session, ticket=city.e, agency_id="drainage", reason="Drain",
                          actor=STAFF)
        workflow.resolve(session=session, ticket=city.d, resolution="Fixed.", actor=STAFF)
        workflow.rate(session=session, ticket=city.d, rating=4)
        factories.routed_ticket(session, category_id="waste", channel="sms")
    assert rollup.refresh(session=session, now=later + timedelta(minutes=1)) == 2
    months = _months(session)
    assert months == _months_from_days(session)
    assert all(values[0] > 0 for values in months.values())  # no empty month rows are kept
    assert_rollup_matches_direct_counts(session, later + timedelta(minutes=1),
                                        start=FEBRUARY, end=END_OF_MARCH)


def test_figures_of_whole_months_match_a_direct_count(session: Session) -> None:
    scenario.build(session)
    rollup.rebuild_all(session=session, now=NOW)
    assert_rollup_matches_direct_counts(session, NOW, start=FEBRUARY, end=END_OF_MARCH)
    assert_rollup_matches_direct_counts(session, NOW, start=date(2026, 1, 20),
                                        end=date(2026, 4, 3))


def _ward_created(session: Session, start: date, end: date) -> int:
    filters = service.Filters(start=start, end=end)
    return sum(row["created"] for row in service.breakdown(
        session=session, filters=filters, group="area_id"))


def test_a_long_period_reads_whole_months_from_the_monthly_rows(pg_session: Session) -> None:
    """Marking the monthly rows shows which figures read them: a period of whole months does,
    one inside a month does not (and both agree with the tickets before the mark)."""
    scenario.build(pg_session)
    rollup.rebuild_all(session=pg_session, now=NOW)
    whole = _ward_created(pg_session, FEBRUARY, END_OF_MARCH)
    within = _ward_created(pg_session, date(2026, 3, 1), date(2026, 3, 20))
    assert whole == within == 6
    marked = pg_session.execute(text(
        "UPDATE dashboard_monthly SET created = created + 1000 WHERE level = 'area'")).rowcount
    assert marked > 0
    assert _ward_created(pg_session, FEBRUARY, END_OF_MARCH) == 6 + 1000 * marked
    assert _ward_created(pg_session, date(2026, 3, 1), date(2026, 3, 20)) == 6
