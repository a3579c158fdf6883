"""Each dashboard figure on a hand-made set of tickets with known answers (real PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.errors import InvalidInput
from dashboard import rollup, service
from tests.dashboard import scenario
from tests.dashboard.scenario import DAY, NOW, at


@pytest.fixture
def city(pg_session: Session) -> scenario.City:
    built = scenario.build(pg_session)
    rollup.rebuild_all(session=pg_session, now=NOW)
    return built


def filters(session: Session, **values: str) -> service.Filters:
    return service.parse_filters(
        session=session, start=values.pop("start", DAY.isoformat()),
        end=values.pop("end", DAY.isoformat()), **values
    )


def test_counts_of_the_day(pg_session: Session, city: scenario.City) -> None:
    totals = service.totals(session=pg_session, filters=filters(pg_session))
    assert totals["created"] == 6
    assert totals["rejected"] == 1
    assert totals["backlog_open"] == 2  # d (reopened) and e (never acknowledged)
    assert totals["backlog_overdue"] == 2
    assert totals["reopened"] == 1
    assert totals["transfers_out"] == 1


def test_on_time_shares_count_missed_deadlines_as_late(
    pg_session: Session, city: scenario.City
) -> None:
    totals = service.totals(session=pg_session, filters=filters(pg_session))
    # acknowledged on time: a, c (2 h after its transfer), d; late: b; missed: e
    assert (totals["ack_on_time"], totals["ack_late"], totals["ack_missed"]) == (3, 1, 1)
    assert totals["ack_on_time_share"] == pytest.approx(3 / 5)
    # resolved on time: a, c (thanks to the paused clock); late: b; missed: d (reopened), e
    assert (totals["resolved_on_time"], totals["resolved_late"]) == (2, 1)
    assert totals["resolve_missed"] == 2
    assert totals["resolved_on_time_share"] == pytest.approx(2 / 5)


def test_a_paused_clock_moves_the_deadline_and_is_not_counted_as_work_time(
    pg_session: Session, city: scenario.City
) -> None:
    assert city.c.paused_seconds == 24 * 3600
    rows = service.sums(session=pg_session, filters=filters(pg_session, category_id="waste"))
    figures = service.figures(rows[0])
    assert figures["resolved_on_time"] == 1 and figures["resolved_late"] == 0
    # 71 h from filing to resolution, less 24 h paused: 47 h, in the 36-48 h bucket
    assert 36 <= figures["resolve_median_hours"] < 48


def test_median_and_90th_percentile_to_acknowledge(
    pg_session: Session, city: scenario.City
) -> None:
    totals = service.totals(session=pg_session, filters=filters(pg_session))
    # hours from routing to acknowledgement: d 1, c 2 (after its transfer), a 2.5, b 30
    assert 2 <= totals["ack_median_hours"] < 3
    assert 24 <= totals["ack_p90_hours"] < 36


def test_satisfaction_index(pg_session: Session, city: scenario.City) -> None:
    totals = service.totals(session=pg_session, filters=filters(pg_session))
    assert totals["rated"] == 2
    assert totals["rating_average"] == pytest.approx(3.5)
    assert totals["rating_high_share"] == pytest.approx(0.5)


def test_share_by_channel_and_online(pg_session: Session, city: scenario.City) -> None:
    channels = {r["key"]: r for r in service.by_channel(
        session=pg_session, filters=filters(pg_session))}
    assert {k: r["created"] for k, r in channels.items()} == {
        "web": 3, "sms": 1, "phone": 1, "open311": 1
    }
    assert channels["web"]["share"] == pytest.approx(0.5)
    totals = service.totals(session=pg_session, filters=filters(pg_session))
    assert totals["online_share"] == pytest.approx(4 / 6)


def test_transfers_count_against_the_agency_that_passed_the_ticket_on(
    pg_session: Session, city: scenario.City
) -> None:
    agencies = {r["key"]: r for r in service.agencies(
        session=pg_session, filters=filters(pg_session))}
    assert agencies["sanitation"]["transfers_out"] == 1
    assert agencies["transport"]["transfers_out"] == 0
    # c now belongs to transport: a, b, c, d
    assert agencies["transport"]["created"] == 4
    assert agencies["transport"]["ack_on_time_share"] == pytest.approx(3 / 4)


def test_filters_by_ward_category_agency_and_channel(
    pg_session: Session, city: scenario.City
) -> None:
    def created(**values: str) -> int:
        return int(service.totals(
            session=pg_session, filters=filters(pg_session, **values))["created"])

    assert created(area_id="26743") == 3
    assert created(area_id="26740", category_id="pollution") == 1
    assert created(agency_id="transport", channel="web") == 2
    assert created(category_id="waste", area_id="26743") == 0
    wards = {r["key"]: r["created"] for r in service.breakdown(
        session=pg_session, filters=filters(pg_session), group="area_id")}
    assert wards == {"26743": 3, "26740": 3}


def test_a_period_without_data_gives_zeros_and_no_shares(
    pg_session: Session, city: scenario.City
) -> None:
    empty = filters(pg_session, start="2026-01-01", end="2026-01-31")
    totals = service.totals(session=pg_session, filters=empty)
    assert totals["created"] == 0 and totals["transfers_out"] == 0
    assert totals["ack_on_time_share"] is None and totals["rating_average"] is None
    assert totals["ack_median_hours"] is None
    volumes = service.volumes(session=pg_session, filters=empty, by="week")
    assert sum(v["created"] for v in volumes) == 0 and len(volumes) == 5
    # the backlog counts tickets filed before the period's end only
    assert totals["backlog_open"] == 0


def test_volumes_per_day_week_and_month(pg_session: Session, city: scenario.City) -> None:
    march = filters(pg_session, start="2026-03-01", end="2026-03-31")
    days = service.volumes(session=pg_session, filters=march, by="day")
    assert len(days) == 31 and [d["created"] for d in days if d["created"]] == [6]
    weeks = service.volumes(session=pg_session, filters=march, by="week")
    assert weeks[1]["period"] == DAY and weeks[1]["created"] == 6
    months = service.volumes(session=pg_session, filters=march, by="month")
    assert months == [{"period": DAY.replace(day=1), "created": 6}]


def test_bad_filters_are_refused(pg_session: Session) -> None:
    with pytest.raises(InvalidInput):
        service.parse_filters(session=pg_session, start="2026-13-01")
    with pytest.raises(InvalidInput):
        service.parse_filters(session=pg_session, start="2026-03-05", end="2026-03-01")
    with pytest.raises(InvalidInput):
        service.parse_filters(session=pg_session, category_id="no-such-category")
    with pytest.raises(InvalidInput):
        service.parse_filters(session=pg_session, channel="pigeon")


def test_rising_flags_a_jump_beyond_normal_variation(pg_session: Session) -> None:
    from datetime import timedelta

    from tests import factories

    end = DAY + timedelta(days=6 + 7 * 8)  # this week: the 7 days ending here
    for week in range(9):
        moment = scenario.T0 + timedelta(days=7 * week + 1)
        waste = 20 if week == 8 else 2
        roads = 5 if week == 8 else 4 - week % 2  # 4, 3, 4, 3 ...: steady
        with at(moment):
            for _ in range(waste):
                factories.routed_ticket(pg_session, category_id="waste")
            for _ in range(roads):
                factories.routed_ticket(pg_session, category_id="roads")
    rollup.rebuild_all(session=pg_session, now=NOW + timedelta(days=60))
    found = {r.key: r for r in service.rising(
        session=pg_session, filters=filters(pg_session, start=DAY.isoformat(),
                                            end=end.isoformat()))}
    assert found["waste"].this_week == 20 and found["waste"].mean == pytest.approx(2)
    assert found["waste"].flagged
    assert found["roads"].this_week == 5 and not found["roads"].flagged
    assert found["waste"].p_value < 1e-6


@pytest.mark.parametrize("dimension", ["category_id", "agency_id", None])
def test_the_ward_table_reads_only_what_the_covering_indexes_hold(
    pg_session: Session, city: scenario.City, dimension: str | None
) -> None:
    """At 10 M tickets the roll-up rows are too wide to read (1.3 to 1.9 s for a ward table,
    bench/dashboard.py), so on PostgreSQL the category and agency indexes and the open-ticket
    index carry what the ward table sums: every query of the ward table, filtered by category,
    by agency or not at all, reads only columns those indexes hold (an index-only scan)."""
    import re

    from sqlalchemy import event

    from dashboard import tables
    from dashboard.models import BACKLOG_COLUMNS, WARD_TABLE_COLUMNS

    definitions = dict(pg_session.connection().exec_driver_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'dashboard_daily'").all())

    def held(index: str) -> set[str]:
        keys, _, included = definitions[index].partition(" INCLUDE ")
        return set(re.findall(r"\w+", keys.split("btree", 1)[1].split(" WHERE ")[0])) | set(
            re.findall(r"\w+", included.split(" WHERE ")[0]))

    by_category = held("ix_dashboard_daily_level_category_day")
    by_agency = held("ix_dashboard_daily_level_agency_day")
    backlog = held("ix_dashboard_daily_open")
    assert set(WARD_TABLE_COLUMNS) <= by_category & by_agency
    assert set(BACKLOG_COLUMNS) <= backlog

    values = {} if dimension is None else {
        dimension: "roads" if dimension == "category_id" else "transport"}
    statements: list[str] = []
    connection = pg_session.connection()

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM dashboard_daily" in statement:
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", capture)
    try:
        tables.build("wards", session=pg_session, filters=filters(pg_session, **values),
                     language="en", by="day")
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    assert len(statements) == 2  # the period's sums and the backlog
    for statement in statements:
        read = set(re.findall(r"dashboard_daily\.(\w+)", statement))
        index = backlog if "open > " in statement else (
            by_agency if dimension == "agency_id" else by_category)
        assert read <= index, (read - index, statement)
