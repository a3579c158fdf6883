"""A resident files a report through the form in a real browser, in each language, and
follows it on its status page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.live import browser, serve
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CASES = {
    "vi": {"text": "Cống thoát nước trước nhà số 8 đường Trần Hưng Đạo bị nghẹt, mưa là ngập.",
           "button": "Gửi phản ánh", "thanks": "Cảm ơn bạn", "status": "Tình trạng"},
    "en": {"text": "The storm drain outside number 8 Tran Hung Dao street is blocked.",
           "button": "Send report", "thanks": "Thank you", "status": "Status"},
}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_file_a_report_and_follow_it(language: str, committed_pg: Engine) -> None:
    from api.app import create_app

    case = CASES[language]
    with serve(create_app(start_worker=True)) as base_url, browser() as chromium:
        page = chromium.new_page()
        page.goto(f"{base_url}/report?lang={language}")
        assert page.locator("html").get_attribute("lang") == language
        page.fill("#description", case["text"])
        page.select_option("#area_id", "26743")
        page.fill("#phone", "0901234567")
        page.click(f"button:has-text('{case['button']}')")
        page.wait_for_url(re.compile(r"/status/[0-9A-Z]{8}"))
        assert case["thanks"] in page.locator("#confirmation").inner_text()
        shown = page.locator("#tracking-code").inner_text()
        code = shown.replace("-", "")

        with Session(committed_pg) as session:
            ticket = session.execute(select(Ticket).where(Ticket.code == code)).scalar_one()
            assert ticket.language == language and ticket.reporter_phone == "+84901234567"

        # follow it later by typing the code (lower case, as people do) on the lookup page
        page.goto(f"{base_url}/status?lang={language}")
        page.fill("#code", shown.lower())
        page.press("#code", "Enter")
        page.wait_for_url(re.compile(rf"/status/{code}"))
        assert case["status"] in page.content()
        assert page.locator("#state").get_attribute("data-state") in ("received", "triage")
        assert "0901234567" not in page.content() and "+84901234567" not in page.content()


def test_a_form_error_is_shown_and_the_text_kept(committed_pg: Engine) -> None:
    from api.app import create_app

    with serve(create_app(start_worker=False)) as base_url, browser() as chromium:
        page = chromium.new_page()
        page.goto(f"{base_url}/report?lang=en")
        page.fill("#description", "Broken street lamp")
        page.select_option("#area_id", "26743")
        page.fill("#phone", "12")
        page.click("button:has-text('Send report')")
        assert "not a valid number" in page.locator("#form-error").inner_text()
        assert page.input_value("#description") == "Broken street lamp"
        with Session(committed_pg) as session:
            assert session.execute(select(Ticket)).first() is None
