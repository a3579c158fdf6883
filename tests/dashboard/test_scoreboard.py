"""The public scoreboard: a fair ranking (minimum volume, Wilson lower bound), its figures read
from the roll-ups, the page in both languages without log-in, JSON and CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import insert

from dashboard import scoreboard, service
from dashboard.models import COUNTS, RESOLVE_BUCKETS, dashboard_daily


def add_rollup(session, agency_id: str, *, on_time: int, late: int, **counts: int) -> None:
    """One day's city-level roll-up row for an agency (what dashboard.rollup writes)."""
    values = dict.fromkeys((*COUNTS, *RESOLVE_BUCKETS), 0)
    values.update(
        created=on_time + late, resolved=on_time + late, resolved_on_time=on_time,
        resolved_late=late, **counts,
    )
    session.execute(insert(dashboard_daily).values(
        level="city", day=service.today(), category_id="roads", area_id=None,
        agency_id=agency_id, channel="web", **values,
    ))
    session.flush()


def test_wilson_lower_bound_matches_the_formula_worked_by_hand() -> None:
    # 2/2: (1 + 1.9208/2 - 1.96*sqrt(0 + 3.8416/16)) / (1 + 3.8416/2) = 0.3424
    assert scoreboard.wilson_lower_bound(2, 2) == pytest.approx(0.3424, abs=1e-4)
    # 388/400 (97%): 0.9483
    assert scoreboard.wilson_lower_bound(388, 400) == pytest.approx(0.9483, abs=1e-4)
    assert scoreboard.wilson_lower_bound(0, 0) is None


def test_two_reports_on_time_do_not_outrank_four_hundred_at_97_percent(session) -> None:
    add_rollup(session, "drainage", on_time=2, late=0)
    add_rollup(session, "transport", on_time=388, late=12)
    board = scoreboard.build(session=session, language="en")
    assert [s.agency_id for s in board.ranked] == ["transport"]
    assert [s.agency_id for s in board.unranked] == ["drainage"]
    assert board.ranked[0].rank == 1 and board.unranked[0].rank is None


def test_without_a_minimum_the_lower_bound_still_ranks_the_large_agency_first(
    session, monkeypatch
) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("SCOREBOARD_MIN_REPORTS", "1")
    get_settings.cache_clear()
    add_rollup(session, "drainage", on_time=2, late=0)  # 100% on time, on 2 reports
    add_rollup(session, "transport", on_time=388, late=12)  # 97% on time, on 400
    board = scoreboard.build(session=session, language="en")
    assert [(s.agency_id, s.rank) for s in board.ranked] == [("transport", 1), ("drainage", 2)]


def test_figures_per_agency(session) -> None:
    add_rollup(session, "transport", on_time=30, late=10, ack_on_time=36, ack_late=4,
               fix_confirmed=6, fix_not_fixed=2, rated=4, rating_sum=14)
    (score,) = scoreboard.build(session=session, language="en").agencies
    rolling = score.rolling
    assert rolling["received"] == 40
    assert rolling["acknowledged_on_time_rate"] == pytest.approx(0.9)
    assert rolling["resolved_on_time_rate"] == pytest.approx(0.75)
    assert rolling["confirmed_fixed_rate"] == pytest.approx(0.75)
    assert rolling["satisfaction"] == pytest.approx(3.5)
    assert score.month["received"] == 40


def test_the_page_is_public_in_both_languages_and_states_the_method(client, session) -> None:
    add_rollup(session, "transport", on_time=388, late=12)
    add_rollup(session, "drainage", on_time=2, late=0)
    english = client.get("/scoreboard?lang=en")
    assert english.status_code == 200
    assert "Wilson" in english.text and "How agencies are ranked" in english.text
    assert english.text.index('data-agency="transport"') < english.text.index(
        'data-agency="drainage"')
    vietnamese = client.get("/scoreboard?lang=vi")
    assert "Bảng xếp hạng cơ quan" in vietnamese.text and "Wilson" in vietnamese.text


def test_json_and_csv_carry_the_method_the_figures_and_the_rank(client, session) -> None:
    add_rollup(session, "transport", on_time=388, late=12)
    add_rollup(session, "drainage", on_time=2, late=0)
    body = client.get("/api/v1/scoreboard").json()
    assert body["method"]["interval"] == "wilson" and body["method"]["minimum_reports"] == 30
    by_id = {a["agency_id"]: a for a in body["agencies"]}
    assert by_id["transport"]["rank"] == 1 and by_id["drainage"]["rank"] is None
    assert by_id["transport"]["rolling"]["resolved_on_time"] == 388
    answer = client.get("/api/v1/scoreboard.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert [(r["agency_id"], r["rank"]) for r in rows] == [("transport", "1"), ("drainage", "")]


def test_a_bad_month_is_a_422_in_the_callers_language(client) -> None:
    answer = client.get("/scoreboard?month=2026-13&lang=vi")
    assert answer.status_code == 422 and "Đây không phải là tháng" in answer.text
    assert client.get("/api/v1/scoreboard?month=abc").status_code == 422
