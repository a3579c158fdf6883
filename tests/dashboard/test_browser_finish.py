"""Issue 13, officials: the dashboard tried in Chromium, each defect as a test that failed
before its fix. One server and one hand-made day of reports for the module."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import rollup
from tests import factories
from tests.conftest import truncate_activity
from tests.dashboard import scenario
from tests.dashboard.scenario import DAY, NOW, T0
from tests.live import (
    DESKTOP,
    browser,
    overflow_at_phone_width,
    screenshot,
    serious_violations,
    serve,
)
from tests.staff import helpers

pytestmark = [pytest.mark.browser, pytest.mark.slow]
EXTRA = 60  # more than a page (50) of the drill-down
PERIOD = f"start={DAY.isoformat()}&end={DAY.isoformat()}"


@pytest.fixture(scope="module")
def db(pg_engine: Engine) -> Iterator[Engine]:
    truncate_activity(pg_engine)
    with Session(pg_engine) as session:
        scenario.build(session)
        with scenario.at(T0):
            for n in range(EXTRA):
                factories.ticket(session, description=f"Rác ở góc phố số {n}", channel="web")
        helpers.user(session, "official", None, email="official@city.gov", name="Official")
        rollup.rebuild_all(session=session, now=NOW)
        session.commit()
    yield pg_engine
    truncate_activity(pg_engine)


@pytest.fixture(scope="module")
def site(db: Engine) -> Iterator[tuple[str, Any]]:
    from api.app import create_app

    with serve(create_app(start_worker=False)) as base_url, browser() as chromium:
        yield base_url, chromium


def official(site: tuple[str, Any], language: str = "vi") -> Any:
    base_url, chromium = site
    page = chromium.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
    page.goto(f"{base_url}/staff/login?lang={language}")
    page.fill("#email", "official@city.gov")
    page.fill("#password", helpers.PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/(staff|dashboard)"))
    return page


def test_the_drill_down_csv_has_every_row_and_the_page_says_how_many(
    site: tuple[str, Any], tmp_path: Path
) -> None:
    base_url, _ = site
    page = official(site, "en")
    page.goto(f"{base_url}/dashboard/tickets?{PERIOD}&figure=created&lang=en")
    total = 6 + EXTRA  # the scenario's six, and the extra ones, all filed that day
    assert page.locator("table[data-table='tickets'] tbody tr").count() == 50
    assert f"{total} tickets in all" in page.inner_text("#drill-total")
    with page.expect_download() as download:
        page.click("#csv-all")
    target = tmp_path / "tickets.csv"
    download.value.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"))))
    assert rows[0][:2] == ["Ticket", "Tracking code"]
    assert len(rows) - 1 == total
    assert len({row[0] for row in rows[1:]}) == total


def test_on_time_opens_the_on_time_list(site: tuple[str, Any]) -> None:
    base_url, _ = site
    page = official(site, "en")
    page.goto(f"{base_url}/dashboard?{PERIOD}&lang=en")
    page.click("#kpi-ack a")
    page.wait_for_url(re.compile(r"/dashboard/tickets"))
    assert "figure=ack_on_time" in page.url
    assert page.inner_text("h1") == "Acknowledged on time"
    page.go_back()
    page.click("#kpi-resolved a")
    page.wait_for_url(re.compile(r"figure=resolved_on_time"))


def test_charts_label_every_category_and_agency(site: tuple[str, Any]) -> None:
    base_url, _ = site
    page = official(site, "vi")
    page.goto(f"{base_url}/dashboard?{PERIOD}&lang=vi")
    for chart in ("chart-category", "chart-agency"):
        page.wait_for_selector(f"canvas#{chart}")
        labels, ticks = page.evaluate(
            "id => { const c = Chart.getChart(document.getElementById(id));"
            " return [c.data.labels.length, c.scales.y.ticks.length]; }",
            chart,
        )
        assert labels >= 2 and ticks == labels, chart


def test_no_jargon_and_the_method_is_one_click_away(site: tuple[str, Any]) -> None:
    base_url, _ = site
    page = official(site, "vi")
    page.goto(f"{base_url}/dashboard?{PERIOD}&lang=vi")
    visible = page.inner_text("main")
    for jargon in ("Poisson", "bách phân vị", "Giá trị p"):
        assert jargon not in visible, jargon
    page.click("#table-rising details.method > summary")
    assert "Poisson" in page.inner_text("#table-rising details.method")


@pytest.mark.parametrize(("language", "share"), [("vi", r"^\d+,\d%$"), ("en", r"^\d+\.\d%$")])
def test_numbers_and_dates_in_the_page_language(
    site: tuple[str, Any], language: str, share: str
) -> None:
    base_url, _ = site
    page = official(site, language)
    page.goto(f"{base_url}/dashboard?{PERIOD}&lang={language}")
    assert re.match(share, page.inner_text("#kpi-ack .value")), page.inner_text("#kpi-ack .value")
    period = page.inner_text("main p.hint")
    assert ("2 thg 3, 2026" if language == "vi" else "2 Mar 2026") in period
    assert "2026-03-02" not in period


def test_an_end_before_the_start_shows_the_form_with_a_message(site: tuple[str, Any]) -> None:
    base_url, _ = site
    page = official(site, "vi")
    response = page.goto(f"{base_url}/dashboard?start=2026-03-10&end=2026-03-01&lang=vi")
    assert response is not None and response.status == 422
    assert page.locator("#filters-error").count() == 1
    assert page.input_value("#start") == "2026-03-10" and page.input_value("#end") == "2026-03-01"
    assert page.locator("#filters").count() == 1 and page.locator("#kpis").count() == 1


@pytest.mark.parametrize("language", ["vi", "en"])
def test_officials_pages_pass_axe_and_are_photographed(
    site: tuple[str, Any], language: str
) -> None:
    base_url, _ = site
    page = official(site, language)
    found: list[str] = []
    for path, name in (
        (f"/dashboard?{PERIOD}", "dashboard"),
        (f"/dashboard/tickets?{PERIOD}&figure=created", "drilldown"),
    ):
        page.goto(f"{base_url}{path}&lang={language}")
        found += serious_violations(page)
        if wide := overflow_at_phone_width(page):
            found.append(f"{page.url}: wider than a 360-pixel phone: {wide}")
        screenshot(page, f"official-{name}-{language}")
    assert found == []
