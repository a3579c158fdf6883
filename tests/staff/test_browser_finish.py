"""Issue 13, agents: the ticket page, the queue, the triage desk and the admin area tried in
Chromium; each test names a defect that was there before. One server for the module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import utcnow
from core.i18n import gettext
from tests import factories
from tests.conftest import truncate_activity
from tests.live import (
    DESKTOP,
    browser,
    overflow_at_phone_width,
    screenshot,
    serious_violations,
    serve,
)
from tests.staff import helpers
from tickets import codes, workflow
from tickets.models import Ticket, TicketEvent

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FIRE = "Nhà số 5 hẻm 12 đang cháy, có người mắc kẹt trên tầng hai"


@pytest.fixture(scope="module")
def db(pg_engine: Engine) -> Iterator[Engine]:
    truncate_activity(pg_engine)
    with Session(pg_engine) as session:
        helpers.user(session, "agent", "transport", email="agent@transport.org", name="Lan")
        helpers.user(session, "agent", "sanitation", email="agent@sanitation.org", name="Minh")
        helpers.user(session, "triage_agent", None, email="desk@city.gov", name="Desk")
        helpers.user(session, "official", None, email="official@city.gov", name="Official")
        helpers.user(session, "admin", None, email="admin@city.gov", name="Admin")
        session.commit()
    yield pg_engine
    truncate_activity(pg_engine)


@pytest.fixture(scope="module")
def site(db: Engine) -> Iterator[tuple[str, Any]]:
    from api.app import create_app

    with serve(create_app(start_worker=False)) as base_url, browser() as chromium:
        yield base_url, chromium


def logged_in(site: tuple[str, Any], email: str, language: str = "vi") -> Any:
    base_url, chromium = site
    page = chromium.new_context(viewport=DESKTOP).new_page()
    page.goto(f"{base_url}/staff/login?lang={language}")
    page.fill("#email", email)
    page.fill("#password", helpers.PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/(staff|dashboard)"))
    return page


def routed(db: Engine, **values: Any) -> Ticket:
    with Session(db, expire_on_commit=False) as session:
        ticket = factories.routed_ticket(session, **values)
        session.commit()
        return ticket


def test_actions_are_laid_out_by_weight_confirmed_and_reported(
    site: tuple[str, Any], db: Engine
) -> None:
    base_url, _ = site
    ticket = routed(db, reporter_phone="+84901234567")
    page = logged_in(site, "agent@transport.org")
    page.goto(f"{base_url}/staff/tickets/{ticket.id}?lang=vi")
    # one primary action; reject hidden behind a destructive disclosure, not a twin of resolve
    assert page.locator("#primary-actions button[type=submit]").count() == 1
    assert page.locator("#reject-box.destructive button.danger").count() == 1
    assert not page.locator("#form-reject button").is_visible()
    screenshot(page, "staff-ticket-vi")
    page.click("#form-acknowledge button")
    page.wait_for_selector("#state[data-state='acknowledged']")
    display = codes.display(ticket.code)
    assert page.inner_text("#action-done") == f"Đã tiếp nhận phản ánh {display}."
    # resolving asks first: dismissed, nothing happens; accepted, it is resolved
    page.fill("#resolution-text", "Đã vá ổ gà.")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#form-resolve button")
    page.wait_for_timeout(300)
    assert page.get_attribute("#state", "data-state") == "acknowledged"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#form-resolve button")
    page.wait_for_selector("#state[data-state='resolved']")
    assert display in page.inner_text("#action-done")


def test_reject_asks_to_confirm_and_its_radios_sit_beside_their_labels(
    site: tuple[str, Any], db: Engine
) -> None:
    base_url, _ = site
    ticket = routed(db)
    page = logged_in(site, "agent@transport.org", "en")
    page.goto(f"{base_url}/staff/tickets/{ticket.id}?lang=en")
    page.click("#reject-box > summary")
    radio = page.locator("#form-reject input[value='spam']").bounding_box()
    label = page.locator("#form-reject label.choice").first.bounding_box()
    assert radio and label and abs((radio["y"] + radio["height"] / 2)
                                   - (label["y"] + label["height"] / 2)) < 6
    page.check("#form-reject input[value='spam']")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#form-reject button")
    page.wait_for_timeout(300)
    assert page.get_attribute("#state", "data-state") == "routed"
    assert page.locator("#form-reject[data-confirm]").count() == 1


def test_the_responsible_agent_sees_the_contact_and_the_view_is_logged(
    site: tuple[str, Any], db: Engine
) -> None:
    base_url, _ = site
    ticket = routed(db, reporter_phone="+84901234567", reporter_email="lan@example.vn")
    page = logged_in(site, "agent@transport.org")
    page.goto(f"{base_url}/staff/tickets/{ticket.id}?lang=vi")
    assert "+84901234567" not in page.inner_text("#resident")
    page.click("#form-contact button")
    page.wait_for_selector("#contact-phone")
    assert page.get_attribute("#contact-phone", "href") == "tel:+84901234567"
    assert page.inner_text("#contact-email") == "lan@example.vn"
    with Session(db) as session:
        viewed = session.execute(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "contact_viewed"
            )
        ).scalars().all()
        assert len(viewed) == 1 and not viewed[0].public and viewed[0].actor_label == "Lan"
    # an official reads the ticket but gets no contact
    official = logged_in(site, "official@city.gov")
    official.goto(f"{base_url}/staff/tickets/{ticket.id}?lang=vi")
    assert official.locator("#form-contact").count() == 0


def test_vietnamese_ticket_pages_have_no_english(site: tuple[str, Any], db: Engine) -> None:
    base_url, _ = site
    with Session(db, expire_on_commit=False) as session:
        ticket = factories.routed_ticket(session, reporter_phone="+84901234567")
        workflow.acknowledge(session=session, ticket=ticket, actor=factories.STAFF)
        workflow.request_information(
            session=session, ticket=ticket, question="Số nhà mấy?", actor=factories.STAFF
        )
        workflow.take_answer(session=session, ticket=ticket, text="Số 12", channel="web")
        session.commit()
    page = logged_in(site, "agent@transport.org")
    page.goto(f"{base_url}/staff/tickets/{ticket.id}?lang=vi")
    text = page.inner_text("main")
    for english in ("[phone hidden]", "· resident", "web", "phone", "Done."):
        assert english not in text, english
    assert page.inner_text("#channel") == "Biểu mẫu trực tuyến"
    assert "người dân" in page.inner_text("#timeline")


def test_the_queue_is_a_dense_sortable_table_with_counts_and_markers(
    site: tuple[str, Any], db: Engine
) -> None:
    base_url, _ = site
    with Session(db, expire_on_commit=False) as session:
        late = factories.routed_ticket(session, description="Ổ gà quá hạn ở đường A")
        late.ack_due_at = utcnow() - timedelta(hours=2)
        reopened = factories.routed_ticket(session, description="Ổ gà mở lại ở đường B")
        workflow.acknowledge(session=session, ticket=reopened, actor=factories.STAFF)
        workflow.resolve(
            session=session, ticket=reopened, resolution="Đã vá", actor=factories.STAFF
        )
        workflow.reopen(session=session, ticket=reopened, reason="Chưa vá xong")
        urgent = factories.routed_ticket(session, description=FIRE, emergency=True)
        session.add(late)
        session.commit()
    page = logged_in(site, "agent@transport.org")
    page.goto(f"{base_url}/staff?lang=vi")
    total = int(page.inner_text("#count-total").replace(".", ""))
    assert total == page.locator("#queue tbody tr").count()
    assert int(page.inner_text("#count-overdue")) >= 1
    assert int(page.inner_text("#count-reopened")) >= 1
    assert int(page.inner_text("#count-emergency")) >= 1
    assert "Quá hạn" in page.inner_text(f"tr[data-ticket-id='{late.id}']")
    assert "Mở lại" in page.inner_text(f"tr[data-ticket-id='{reopened.id}']")
    assert "Khẩn cấp" in page.inner_text(f"tr[data-ticket-id='{urgent.id}']")
    row = page.locator(f"tr[data-ticket-id='{late.id}']").bounding_box()
    assert row and row["height"] < 60  # dense: many rows a screen
    # sortable: the markers column, descending, puts the emergency first
    page.click("#queue thead th:nth-child(2) button")
    page.click("#queue thead th:nth-child(2) button")
    first = page.locator("#queue tbody tr").first.get_attribute("data-ticket-id")
    assert first == str(urgent.id)
    screenshot(page, "staff-queue-vi")


def test_triage_puts_emergencies_on_top_flagged_and_says_the_suggestion_in_words(
    site: tuple[str, Any], db: Engine
) -> None:
    base_url, _ = site
    with Session(db, expire_on_commit=False) as session:
        older = factories.ticket(session, description="Cây đổ chắn đường")
        older.predicted_category_id, older.confidence = "trees_parks", 0.39
        older.model_version = "tfidf-2026-12-01"
        workflow.send_to_triage(session=session, ticket=older, reason="low_confidence")
        fire = factories.ticket(
            session, description=FIRE, area_id=None, emergency=True, reporter_phone="+84901234567"
        )
        workflow.send_to_triage(session=session, ticket=fire, reason="low_confidence")
        session.commit()
    page = logged_in(site, "desk@city.gov")
    page.goto(f"{base_url}/staff/triage?lang=vi")
    first = page.locator("#triage tbody tr").first
    assert first.get_attribute("data-ticket-id") == str(fire.id)
    assert "Khẩn cấp" in first.inner_text()
    cells = first.locator("td")
    unknown = gettext("vi", "Place unknown")  # the catalog's words (any room may define them)
    assert cells.nth(2).inner_text().strip() == unknown  # place: said, not blank
    assert cells.nth(3).inner_text().strip() == "có để lại liên hệ"
    suggestion = page.locator(f"tr[data-ticket-id='{older.id}'] td").nth(4)
    assert "độ tin cậy thấp (39%)" in suggestion.inner_text()
    assert "tfidf-2026-12-01" not in suggestion.inner_text()
    assert "tfidf-2026-12-01" in (suggestion.locator("span").get_attribute("title") or "")
    screenshot(page, "staff-triage-vi")


def test_the_admin_area_opens_on_a_landing_page_in_vietnamese(site: tuple[str, Any]) -> None:
    base_url, _ = site
    page = logged_in(site, "admin@city.gov")
    page.goto(f"{base_url}/admin/")
    text = page.inner_text("body")
    assert "Agencys" not in text
    assert "Cơ quan (agencies)" in text and "Cán bộ (staff)" in text
    page.click("text=Lĩnh vực (categories)")
    page.wait_for_url(re.compile(r"/admin/category/list"))
    assert "Cơ quan mặc định" in page.inner_text("body")
    screenshot(page, "admin-landing")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_staff_pages_pass_axe_and_are_photographed(
    site: tuple[str, Any], db: Engine, language: str
) -> None:
    base_url, _ = site
    ticket = routed(db, reporter_phone="+84901234567", language=language)
    found: list[str] = []
    page = logged_in(site, "agent@transport.org", language)
    for path, name in ((f"/staff/tickets/{ticket.id}", "ticket"), ("/staff", "queue")):
        page.goto(f"{base_url}{path}?lang={language}")
        found += serious_violations(page)
        if wide := overflow_at_phone_width(page):
            found.append(f"{page.url}: wider than a 360-pixel phone: {wide}")
        screenshot(page, f"staff-{name}-{language}")
    desk = logged_in(site, "desk@city.gov", language)
    desk.goto(f"{base_url}/staff/triage?lang={language}")
    found += serious_violations(desk)
    screenshot(desk, f"staff-triage-{language}")
    login = site[1].new_context(viewport=DESKTOP).new_page()
    login.goto(f"{base_url}/staff/login?lang={language}")
    found += serious_violations(login)
    if wide := overflow_at_phone_width(login):
        found.append(f"{login.url}: wider than a 360-pixel phone: {wide}")
    screenshot(login, f"staff-login-{language}")
    assert found == []
