"""Issue 16 in a real browser at phone width: a resident about to file a report that is
already open nearby is shown it (server step, and live while typing), in each language; following
it files nothing, "file anyway" files one. axe-core checks the step."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.conftest import truncate_activity
from tests.duplicates.test_duplicates import EN, WARD, filed
from tests.duplicates.test_report_form import NEW_TEXT, BaseCheckpointPredictor
from tests.live import (
    PHONE,
    browser,
    overflow_at_phone_width,
    screenshot,
    serious_violations,
    serve,
)
from tickets import classifier_port
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WORDS = {
    "vi": {"title": "Đã có người phản ánh việc này", "anyway": "Vẫn gửi phản ánh của tôi",
           "photo": "chọn lại ảnh", "send": "Gửi phản ánh"},
    "en": {"title": "This may already be reported", "anyway": "File my report anyway",
           "photo": "choose it again", "send": "Send report"},
}


@pytest.fixture(scope="module")
def db(pg_engine: Engine) -> Iterator[Engine]:
    truncate_activity(pg_engine)
    yield pg_engine
    truncate_activity(pg_engine)


@pytest.fixture(scope="module")
def master(db: Engine) -> Ticket:
    with Session(db, expire_on_commit=False) as session:
        ticket = filed(session, EN, category="water_supply", reporter_phone="+84901111111",
                       reporter_email="an@example.vn", reporter_name="Nguyễn Văn An")
        session.commit()
        return ticket


@pytest.fixture(scope="module")
def site(db: Engine, master: Ticket) -> Iterator[tuple[str, Any]]:
    from api.app import create_app

    predictor = BaseCheckpointPredictor()
    patch = pytest.MonkeyPatch()
    patch.setattr(classifier_port, "ready_predictor", lambda: predictor)
    try:
        with serve(create_app(start_worker=False)) as base_url, browser() as chromium:
            yield base_url, chromium
    finally:
        patch.undo()


def count(db: Engine) -> int:
    with Session(db) as session:
        return int(session.execute(select(func.count()).select_from(Ticket)).scalar_one())


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def fill(page: Any, base_url: str, language: str) -> None:
    page.goto(f"{base_url}/report?lang={language}")
    page.fill("#description", NEW_TEXT)
    page.select_option("#area_id", WARD)
    page.fill("#phone", "0907777777")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_suggestion_step_at_phone_width(
    site: tuple[str, Any], db: Engine, master: Ticket, language: str
) -> None:
    base_url, chromium = site
    words = WORDS[language]
    page = chromium.new_context(viewport=PHONE, bypass_csp=True).new_page()
    # the server's step: as without JavaScript (the live look-up is kept from answering)
    page.route("**/report/similar*", lambda route: route.abort())
    fill(page, base_url, language)
    page.set_input_files("#photo", files=[{"name": "a.jpg", "mimeType": "image/jpeg",
                                           "buffer": jpeg()}])
    before = count(db)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#similar")
    assert page.inner_text("#similar-title") == words["title"]
    item = page.locator(f"#similar li[data-code='{master.code}']")
    assert item.count() == 1 and page.locator("#similar li").count() == 1
    assert item.locator("a.code").get_attribute("href") == f"/status/{master.code}?lang={language}"
    assert words["photo"] in page.inner_text("#photo-again")
    text = page.inner_text("main")
    for private in ("0901111111", "an@example.vn", "Nguyễn Văn An"):
        assert private not in text
    assert page.input_value("#description") == NEW_TEXT
    assert page.input_value("#area_id") == WARD and page.input_value("#phone") == "0907777777"
    assert serious_violations(page) == []
    assert overflow_at_phone_width(page) == ""
    follow = item.locator("a.follow").bounding_box()
    assert follow and follow["height"] >= 40  # a finger's size
    screenshot(page, f"resident-report-similar-{language}")
    assert count(db) == before

    # following it: its status page, nothing filed
    item.locator("a.follow").click()
    page.wait_for_url(re.compile(rf"/status/{master.code}\?lang={language}$"))
    assert count(db) == before

    # or filing anyway (the photo chosen again): exactly one report, with its photo
    page.go_back()
    page.wait_for_selector("#similar")
    page.set_input_files("#photo", files=[{"name": "a.jpg", "mimeType": "image/jpeg",
                                           "buffer": jpeg()}])
    page.click(f"#file-anyway:has-text('{words['anyway']}')")
    page.wait_for_url(re.compile(r"/status/[0-9A-Z]{8}"))
    assert count(db) == before + 1
    assert page.locator("#tracking-code").inner_text().replace("-", "") != master.code


@pytest.mark.parametrize("language", ["vi", "en"])
def test_suggestions_appear_while_typing_and_are_not_asked_again(
    site: tuple[str, Any], db: Engine, master: Ticket, language: str
) -> None:
    base_url, chromium = site
    page = chromium.new_context(viewport=PHONE, bypass_csp=True).new_page()
    fill(page, base_url, language)
    page.locator("#description").blur()
    page.wait_for_selector(f"#similar-live li[data-code='{master.code}']")
    assert page.inner_text("#similar-live h2") == WORDS[language]["title"]
    assert page.input_value("#seen") == master.code
    assert serious_violations(page) == []
    assert overflow_at_phone_width(page) == ""
    before = count(db)
    page.click(f"#report-form button:has-text('{WORDS[language]['send']}')")
    page.wait_for_url(re.compile(r"/status/[0-9A-Z]{8}"))
    assert count(db) == before + 1


def test_without_javascript_the_form_asks_after_the_first_send(
    site: tuple[str, Any], db: Engine, master: Ticket
) -> None:
    base_url, chromium = site
    page = chromium.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    fill(page, base_url, "vi")
    before = count(db)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector(f"#similar li[data-code='{master.code}']")
    assert page.locator("#photo-again").count() == 0  # no photo was chosen
    page.click("#file-anyway")
    page.wait_for_url(re.compile(r"/status/[0-9A-Z]{8}"))
    assert count(db) == before + 1
