"""The public scoreboard in a real browser: no log-in, the stated method, the fair order, both
languages, the month picker and the CSV download; an official sees the same page with links
to the tickets behind each figure."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.dashboard.test_scoreboard import add_rollup
from tests.live import browser, serve
from tests.staff import helpers

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_scoreboard_in_a_browser(committed_pg: Engine, tmp_path: Path) -> None:
    from api.app import create_app

    with Session(committed_pg) as session:
        add_rollup(session, "drainage", on_time=2, late=0)
        add_rollup(session, "transport", on_time=388, late=12, fix_confirmed=40, fix_not_fixed=5)
        official = helpers.user(session, role="official", agency_id=None,
                                email="official.scoreboard@example.org")
        session.commit()
        email = official.email

    with serve(create_app(start_worker=False)) as base_url, browser() as chromium:
        context = chromium.new_context(accept_downloads=True)
        page = context.new_page()
        page.goto(f"{base_url}/scoreboard?lang=en")
        assert page.title().startswith("Agency scoreboard")
        assert "Wilson" in page.inner_text("#method")
        ranked = page.eval_on_selector_all(
            "#ranked tbody tr", "rows => rows.map(r => [r.dataset.agency, r.dataset.rank])")
        assert ranked == [["transport", "1"]]
        unranked = page.eval_on_selector_all("#unranked tbody tr",
                                             "rows => rows.map(r => r.dataset.agency)")
        assert unranked == ["drainage"]
        assert "97% (388/400)" in page.inner_text('#ranked tr[data-agency="transport"]')
        assert "89% (40/45)" in page.inner_text('#ranked tr[data-agency="transport"]')
        assert page.eval_on_selector_all("#ranked a[href*='/dashboard/tickets']",
                                         "links => links.length") == 0

        # what assistive technology relies on: the page language, captions, header scopes,
        # a label for every field
        problems = page.evaluate(
            """() => {
              const found = [];
              if (!document.documentElement.lang) found.push('no lang');
              for (const t of document.querySelectorAll('table'))
                if (!t.caption || !t.caption.innerText.trim()) found.push('table without caption');
              for (const th of document.querySelectorAll('th'))
                if (!th.getAttribute('scope')) found.push('th without scope: ' + th.innerText);
              const fields = 'input:not([type=hidden]), select, textarea';
              for (const f of document.querySelectorAll(fields))
                if (!f.labels || !f.labels.length) found.push('field without label: ' + f.name);
              if (document.querySelectorAll('h1').length !== 1) found.push('not one h1');
              return found;
            }"""
        )
        assert problems == []

        with page.expect_download() as download_info:
            page.click("#download-csv")
        target = tmp_path / "scoreboard.csv"
        download_info.value.save_as(target)
        rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8-sig"))))
        assert [(r["agency_id"], r["rank"]) for r in rows] == [("transport", "1"),
                                                               ("drainage", "")]

        page.click("a[hreflang=vi]")
        page.wait_for_selector("html[lang=vi]")
        assert page.inner_text("h1") == "Bảng xếp hạng cơ quan"
        assert "Wilson" in page.inner_text("#method")

        page.fill("#month", "2026-01") if page.get_attribute("#month", "type") != "month" else \
            page.evaluate("document.getElementById('month').value = '2026-01'")
        page.click("#month-form button[type=submit]")
        page.wait_for_url("**month=2026-01**")
        assert "01/2026" in page.inner_text("#month-title")

        page.goto(f"{base_url}/staff/login")
        page.fill("#email", email)
        page.fill("#password", helpers.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{base_url}/scoreboard?lang=en")
        link = page.get_attribute('#ranked tr[data-agency="transport"] a', "href")
        assert link is not None and link.startswith("/dashboard/tickets?agency_id=transport")
        page.click('#ranked tr[data-agency="transport"] a')
        page.wait_for_url("**/dashboard/tickets**")
        context.close()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_scoreboard_passes_axe_and_fits_a_phone(committed_pg: Engine, language: str) -> None:
    from api.app import create_app
    from tests.live import PHONE, overflow_at_phone_width, screenshot, serious_violations

    with Session(committed_pg) as session:
        add_rollup(session, "drainage", on_time=2, late=0)
        add_rollup(session, "transport", on_time=388, late=12, fix_confirmed=40, fix_not_fixed=5)
        session.commit()
    with serve(create_app(start_worker=False)) as base_url, browser() as chromium:
        # axe-core is injected into the page: the test's context lets it past the page's CSP
        page = chromium.new_context(viewport=PHONE, bypass_csp=True).new_page()
        page.goto(f"{base_url}/scoreboard?lang={language}")
        assert page.locator('#ranked tr[data-agency="transport"]').count() == 1
        found = serious_violations(page)
        if wide := overflow_at_phone_width(page):
            found.append(f"{page.url}: wider than a 360-pixel phone: {wide}")
        screenshot(page, f"scoreboard-{language}")
    assert found == []
