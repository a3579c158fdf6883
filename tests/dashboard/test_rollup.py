"""The roll-ups agree with a direct count of the tickets after tickets change state."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from dashboard import drilldown, measures, rollup, service
from tests import factories
from tests.dashboard import scenario
from tests.dashboard.scenario import DAY, NOW, STAFF, at
from tickets import workflow


def assert_rollup_matches_direct_counts(  # type: ignore[no-untyped-def]
    session: Session, now, start: date = DAY, end: date = DAY
) -> None:
    filters = service.parse_filters(session=session, start=start.isoformat(),
                                    end=end.isoformat())
    with at(now):
        rows = service.sums(session=session, filters=filters)[0]
        backlog = service.sums(session=session, filters=filters, whole_history=True)[0]
        for figure in measures.CONDITIONS:
            expected = drilldown.count(session=session, filters=filters, figure=figure)
            source = backlog if figure in drilldown.BACKLOG_FIGURES else rows
            assert source[figure] == expected, figure
        for group in ("category_id", "area_id", "agency_id"):
            for row in service.breakdown(session=session, filters=filters, group=group):
                narrowed = service.Filters(**{**filters.__dict__, group: row["key"] or "none"})
                assert row["created"] == drilldown.count(
                    session=session, filters=narrowed, figure="created"
                ), (group, row["key"])


def test_refresh_recomputes_the_days_of_changed_tickets(pg_session: Session) -> None:
    city = scenario.build(pg_session)
    rollup.rebuild_all(session=pg_session, now=NOW)
    assert_rollup_matches_direct_counts(pg_session, NOW)

    later = NOW + timedelta(hours=1)
    with at(later):
        workflow.acknowledge(session=pg_session, ticket=city.e, actor=STAFF)
        workflow.resolve(session=pg_session, ticket=city.d, resolution="Fixed.", actor=STAFF)
        workflow.rate(session=pg_session, ticket=city.d, rating=4)
        workflow.transfer(session=pg_session, ticket=city.e, agency_id="drainage",
                         reason="Drain", actor=STAFF)
        fresh = factories.routed_ticket(pg_session, category_id="waste", channel="sms")
    refresh_at = later + timedelta(minutes=1)
    days = rollup.refresh(session=pg_session, now=refresh_at)
    assert days == 2  # the scenario's day and today
    assert_rollup_matches_direct_counts(pg_session, refresh_at)
    totals = service.totals(session=pg_session, filters=service.parse_filters(
        session=pg_session, start=DAY.isoformat(), end=DAY.isoformat()))
    assert totals["rated"] == 3 and totals["transfers_out"] == 2
    today = measures.day_of(fresh.created_at, "Asia/Ho_Chi_Minh")
    assert service.totals(session=pg_session, filters=service.parse_filters(
        session=pg_session, start=today.isoformat(), end=today.isoformat()))["created"] == 1


def test_a_deadline_passing_without_any_event_is_counted(pg_session: Session) -> None:
    with at(NOW):
        ticket = factories.routed_ticket(pg_session, category_id="roads")
    rollup.rebuild_all(session=pg_session, now=NOW + timedelta(minutes=5))
    day = measures.day_of(NOW, "Asia/Ho_Chi_Minh").isoformat()
    filters = service.parse_filters(session=pg_session, start=day, end=day)
    assert service.totals(session=pg_session, filters=filters)["backlog_overdue"] == 0
    # a day later the acknowledgement deadline has passed; no one touched the ticket
    assert ticket.ack_due_at is not None
    after = ticket.ack_due_at + timedelta(minutes=1)
    assert rollup.refresh(session=pg_session, now=after) == 1
    totals = service.totals(session=pg_session, filters=filters)
    assert totals["backlog_overdue"] == 1 and totals["ack_missed"] == 1


def test_refresh_with_nothing_new_recomputes_nothing(pg_session: Session) -> None:
    scenario.build(pg_session)
    rollup.rebuild_all(session=pg_session, now=NOW)
    # events younger than the overlap are read again once; after that, nothing is left
    rollup.refresh(session=pg_session, now=NOW + timedelta(minutes=10))
    assert rollup.refresh(session=pg_session, now=NOW + timedelta(minutes=11)) == 0


def test_the_periodic_task_is_registered_every_minute() -> None:
    from core.tasks import PERIODIC, discover_tasks

    discover_tasks()
    assert PERIODIC["dashboard.refresh_rollups"].every_seconds == 60
