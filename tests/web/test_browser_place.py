"""The report form pre-selects the ward read from the description; the resident can change it."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tests.live import browser, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_ward_read_from_the_description_is_preselected(committed_pg: Engine) -> None:
    from api.app import create_app

    with serve(create_app(start_worker=False)) as base_url, browser() as chromium:
        page = chromium.new_page()
        page.goto(f"{base_url}/report?lang=vi")
        page.fill("#description", "Đèn đường hư trước hẻm 45 Lê Văn Sỹ, phường 13, Phú Nhuận")
        page.locator("#description").blur()
        for _ in range(50):  # polled from here: the page's CSP forbids evaluating strings
            if page.locator("#area_id").input_value() == "27073":
                break
            page.wait_for_timeout(100)
        assert page.locator("#area_id").input_value() == "27073"
        assert "Phường Phú Nhuận" in page.locator("#place-hint").inner_text()
        # the resident's own choice is never replaced
        page.select_option("#area_id", "26743")
        page.fill("#description", "Cây đổ ở P.Tân Định")
        page.locator("#description").blur()
        page.wait_for_timeout(800)
        assert page.locator("#area_id").input_value() == "26743"

