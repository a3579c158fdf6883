"""The dashboard also works on SQLite (the embedded default of `make run`)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from dashboard import rollup, service
from tests.dashboard import scenario
from tests.dashboard.scenario import DAY, NOW


def test_the_same_figures_on_both_databases(session: Session) -> None:
    scenario.build(session)
    rollup.rebuild_all(session=session, now=NOW)
    filters = service.parse_filters(session=session, start=DAY.isoformat(), end=DAY.isoformat())
    totals = service.totals(session=session, filters=filters)
    assert (totals["created"], totals["backlog_open"], totals["backlog_overdue"]) == (6, 2, 2)
    assert totals["ack_on_time_share"] == pytest.approx(0.6)
    assert 2 <= totals["ack_median_hours"] < 3
    assert totals["transfers_out"] == 1
    volumes = service.volumes(session=session, filters=filters)
    assert volumes == [{"period": DAY, "created": 6}]
