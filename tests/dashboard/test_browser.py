"""An official logs in, sees the charts drawn, filters by a category and downloads a CSV whose
rows are the rows on the page."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import rollup
from tests.dashboard import scenario
from tests.dashboard.scenario import DAY, NOW
from tests.live import browser, serve
from tests.staff import helpers

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def table_rows(page, name: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(
        f'table[data-table="{name}"] tbody tr',
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))",
    )


def test_official_sees_charts_filters_and_downloads_csv(
    committed_pg: Engine, tmp_path: Path
) -> None:
    from api.app import create_app

    with Session(committed_pg) as session:
        scenario.build(session)
        official = helpers.user(session, role="official", agency_id=None,
                                email="official@example.org")
        rollup.rebuild_all(session=session, now=NOW)
        session.commit()
        email = official.email

    period = f"start={DAY.isoformat()}&end={DAY.isoformat()}"
    with serve(create_app(start_worker=False)) as base_url, browser() as chromium:
        context = chromium.new_context(accept_downloads=True)
        page = context.new_page()
        page.goto(f"{base_url}/dashboard?{period}&lang=en")
        page.wait_for_url("**/staff/login**")
        page.fill("#email", email)
        page.fill("#password", helpers.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard?**")

        for chart in ("chart-volume", "chart-category", "chart-agency", "chart-channel"):
            page.wait_for_selector(f"canvas#{chart}")
            drawn = page.evaluate(
                "id => { const c = Chart.getChart(document.getElementById(id));"
                " return !!c && c.data.datasets.length > 0 && c.canvas.width > 0; }",
                chart,
            )
            assert drawn, chart
        assert page.evaluate("window.dashboardCharts.length") == 4
        assert page.inner_text("#kpi-created .value") == "6"

        page.select_option("#category_id", "roads")
        page.click("#apply")
        page.wait_for_url("**category_id=roads**")
        assert page.inner_text("#kpi-created .value") == "3"
        categories = table_rows(page, "categories")
        assert [row[0] for row in categories] == ["Roads, bridges & sidewalks"]
        assert page.evaluate("Chart.getChart(document.getElementById('chart-volume')) != null")

        with page.expect_download() as download_info:
            page.click("#csv-agencies")
        target = tmp_path / "agencies.csv"
        download_info.value.save_as(target)
        downloaded = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"))))
        header = page.eval_on_selector_all(
            'table[data-table="agencies"] thead th', "cells => cells.map(c => c.innerText.trim())"
        )
        assert downloaded[0] == header
        assert downloaded[1:] == table_rows(page, "agencies")
        assert downloaded[1][0] == "Department of Transport" and downloaded[1][1] == "3"
        context.close()
