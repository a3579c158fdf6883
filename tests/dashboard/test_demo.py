"""`hotline demo-data`: realistic tickets over the past year, and roll-ups that match them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import holidays
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import demo, drilldown, measures, service
from tests.conftest import _rollback_session
from tests.dashboard.scenario import at
from tickets.models import Ticket, TicketEvent

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
T = Ticket.__table__.c  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def demo_session(pg_engine: Engine) -> Iterator[Session]:
    """One load for the whole module (the tests only read), rolled back at its end."""
    yield from _rollback_session(pg_engine)


@pytest.fixture(scope="module")
def loaded(demo_session: Session) -> dict[str, float]:
    return demo.load(session=demo_session, count=20_000, seed=7, now=NOW)


@pytest.fixture
def pg_session(demo_session: Session) -> Session:
    return demo_session


def year(session: Session, **values: str) -> service.Filters:
    end = measures.day_of(NOW, "Asia/Ho_Chi_Minh")
    return service.parse_filters(
        session=session, start=(end - timedelta(days=365)).isoformat(), end=end.isoformat(),
        **values,
    )


def test_loads_the_tickets_with_events_and_every_channel(pg_session, loaded) -> None:  # type: ignore[no-untyped-def]
    assert loaded["tickets"] == 20_000
    assert pg_session.execute(select(func.count()).select_from(Ticket)).scalar_one() == 20_000
    assert pg_session.execute(select(func.count()).select_from(TicketEvent)).scalar_one() == (
        loaded["events"]
    )
    channels = set(pg_session.execute(select(T.channel).distinct()).scalars())
    assert channels == {"web", "sms", "phone", "open311", "api", "zalo"}
    first, last = pg_session.execute(select(func.min(T.created_at), func.max(T.created_at))).one()
    assert last <= NOW and NOW - first <= timedelta(days=366)
    for figure in ("transferred", "reopened", "rated", "paused", "rejected", "overdue"):
        assert drilldown.count(session=pg_session, filters=year(pg_session), figure=figure) > 0


def test_flooding_rises_in_the_rainy_season(pg_session, loaded) -> None:  # type: ignore[no-untyped-def]
    month = func.extract("month", func.timezone("Asia/Ho_Chi_Minh", T.created_at))
    rows = dict(pg_session.execute(
        select(month, func.count()).where(T.category_id == "drainage").group_by(month)
    ).all())
    rainy = sum(rows.get(m, 0) for m in (8, 9, 10)) / 3
    dry = sum(rows.get(m, 0) for m in (1, 2, 3)) / 3
    assert rainy > 3 * dry


def test_waste_reports_rise_after_holidays(pg_session, loaded) -> None:  # type: ignore[no-untyped-def]
    filters = year(pg_session, category_id="waste")
    per_day = {row["period"]: row["created"] for row in service.volumes(
        session=pg_session, filters=filters, by="day")}
    holiday_days = set(holidays.country_holidays("VN", years=[2025, 2026]).keys())
    after = [d for d in per_day if any(d - timedelta(days=k) in holiday_days for k in range(1, 8))]
    others = [d for d in per_day if d not in after and d not in holiday_days]
    mean_after = sum(per_day[d] for d in after) / len(after)
    mean_other = sum(per_day[d] for d in others) / len(others)
    assert mean_after > 1.8 * mean_other


def test_agencies_differ_in_punctuality(pg_session, loaded) -> None:  # type: ignore[no-untyped-def]
    with at(NOW):
        agencies = {r["key"]: r for r in service.agencies(
            session=pg_session, filters=year(pg_session))}
    assert agencies["power_utility"]["ack_on_time_share"] > 0.85
    assert agencies["construction"]["ack_on_time_share"] < 0.7
    assert agencies["sanitation"]["resolved_on_time_share"] > (
        agencies["natural_resources"]["resolved_on_time_share"] + 0.15
    )


def test_the_rollups_built_after_loading_match_direct_counts(pg_session, loaded) -> None:  # type: ignore[no-untyped-def]
    filters = year(pg_session)
    with at(NOW):
        rows = service.sums(session=pg_session, filters=filters)[0]
        for figure in ("created", "resolved_on_time", "ack_late", "rated", "transferred"):
            assert rows[figure] == drilldown.count(
                session=pg_session, filters=filters, figure=figure)
        assert service.totals(session=pg_session, filters=filters)["transfers_out"] == (
            drilldown.count(session=pg_session, filters=filters, figure="transferred_out")
        )


def test_the_command_is_registered() -> None:
    import typer
    from typer.testing import CliRunner

    from dashboard import cli

    app = typer.Typer()
    cli.register(app)

    @app.command()
    def other() -> None:  # a second command keeps typer from flattening the app
        pass

    answer = CliRunner().invoke(app, ["demo-data", "--help"])
    assert answer.exit_code == 0 and "--tickets" in answer.output
    refused = CliRunner().invoke(app, ["demo-data", "--tickets", "0"])
    assert refused.exit_code != 0
