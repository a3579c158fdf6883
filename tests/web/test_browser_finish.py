"""Issue 13, residents: each defect found by trying the pages in Chromium, as a test that failed
before its fix. One server and one browser for the module; screenshots of each page at phone
and desktop width go to test-results/screenshots; axe-core checks every page in both languages.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from notify.models import ContactCode, OutboundMessage
from tests import factories
from tests.conftest import truncate_activity
from tests.live import (
    PHONE,
    browser,
    overflow_at_phone_width,
    screenshot,
    serious_violations,
    serve,
)
from tickets import links, workflow
from tickets.models import Attachment, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WARD = "26743"
FIRE = "Nhà số 5 hẻm 12 đang cháy, có người mắc kẹt trên tầng hai"


@pytest.fixture(scope="module")
def db(pg_engine: Engine) -> Iterator[Engine]:
    truncate_activity(pg_engine)
    yield pg_engine
    truncate_activity(pg_engine)


@pytest.fixture(scope="module")
def site(db: Engine) -> Iterator[tuple[str, Any]]:
    from api.app import create_app

    with serve(create_app(start_worker=False)) as base_url, browser() as chromium:
        yield base_url, chromium


def new_page(site: tuple[str, Any], **context: Any) -> Any:
    _base, chromium = site
    return chromium.new_context(viewport=PHONE, **context).new_page()


def big_jpeg(width: int = 4032, height: int = 3024) -> bytes:
    """A phone-sized photo of noise: several MB as a JPEG."""
    image = Image.effect_noise((width, height), 90).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def ticket_by_code(db: Engine, shown: str) -> Ticket:
    with Session(db, expire_on_commit=False) as session:
        return session.execute(
            select(Ticket).where(Ticket.code == shown.replace("-", ""))
        ).scalar_one()


def test_a_photo_too_large_for_the_server_brings_the_form_back_in_its_language(
    site: tuple[str, Any], db: Engine
) -> None:
    """Without JavaScript a 17 MB file reaches the server: the form comes back in Vietnamese
    with the text, ward and contact kept (it answered raw English JSON)."""
    base_url, _ = site
    page = new_page(site, java_script_enabled=False)
    page.goto(f"{base_url}/report?lang=vi")
    page.fill("#description", "Đèn đường hỏng cả dãy phố, tối om")
    page.select_option("#area_id", WARD)
    page.fill("#phone", "0901234567")
    page.set_input_files(
        "#photo",
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg",
                "buffer": b"\xff\xd8\xff\xe0" + b"\0" * (17 * 1024 * 1024)}],
    )
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#form-error")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Ảnh quá lớn" in page.locator("#form-error").inner_text()
    assert page.input_value("#description") == "Đèn đường hỏng cả dãy phố, tối om"
    assert page.input_value("#area_id") == WARD
    assert page.input_value("#phone") == "0901234567"
    assert "too_large" not in page.content()


def test_a_phone_photo_is_shrunk_in_the_browser_before_upload(
    site: tuple[str, Any], db: Engine
) -> None:
    base_url, _ = site
    photo = big_jpeg()
    assert len(photo) > 3 * 1024 * 1024
    page = new_page(site)
    page.goto(f"{base_url}/report?lang=en")
    page.fill("#description", "Fallen tree blocks the pavement")
    page.select_option("#area_id", WARD)
    page.set_input_files(
        "#photo", files=[{"name": "IMG_1234.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.wait_for_selector("#photo[data-shrunk]")
    sent = int(page.get_attribute("#photo", "data-shrunk") or 0)
    assert 0 < sent < len(photo) // 2
    assert "Photo ready" in page.inner_text("#photo-status")
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r"/status/[0-9A-Z]{8}"))
    ticket = ticket_by_code(db, page.inner_text("#tracking-code"))
    with Session(db) as session:
        stored = session.execute(
            select(Attachment).where(Attachment.ticket_id == ticket.id)
        ).scalar_one()
        assert stored.content_type == "image/jpeg"


def test_the_description_shows_a_counter(site: tuple[str, Any]) -> None:
    base_url, _ = site
    page = new_page(site)
    page.goto(f"{base_url}/report?lang=en")
    page.fill("#description", "x" * 4990)
    assert page.inner_text("#description-count") == "4,990 of 5,000 characters"
    page.goto(f"{base_url}/report?lang=vi")
    page.fill("#description", "abc")
    assert page.inner_text("#description-count") == "3 / 5.000 ký tự"


def test_location_is_marked_required_and_can_come_from_the_browser(
    site: tuple[str, Any],
) -> None:
    base_url, _ = site
    page = new_page(
        site,
        geolocation={"latitude": 10.7769, "longitude": 106.7009},
        permissions=["geolocation"],
    )
    page.goto(f"{base_url}/report?lang=vi")
    assert "bắt buộc" in page.inner_text("#where legend")
    page.click("#use-location")
    # the page's CSP forbids evaluating strings (wait_for_function); expect polls without eval
    from playwright.sync_api import expect
    expect(page.locator("#latitude")).not_to_have_value("")
    assert page.input_value("#latitude") == "10.776900"
    assert page.input_value("#longitude") == "106.700900"


def test_an_emergency_is_shown_first_with_numbers_to_tap(
    site: tuple[str, Any], db: Engine
) -> None:
    base_url, _ = site
    page = new_page(site)
    page.goto(f"{base_url}/report?lang=vi")
    page.fill("#description", FIRE)
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r"/status/[0-9A-Z]{8}"))
    emergency = page.locator("#emergency").bounding_box()
    thanks = page.locator("#confirmation").bounding_box()
    assert emergency and thanks and emergency["y"] < thanks["y"]
    for number in ("113", "114", "115"):
        link = page.locator(f"#emergency a[href='tel:{number}']")
        box = link.bounding_box()
        assert box and box["height"] >= 44  # a finger's size
        assert page.locator(f"footer a[href='tel:{number}']").count() == 1
    screenshot(page, "resident-emergency-vi")
    # the status page, later, shows it first too
    page.goto(page.url.split("?")[0] + "?lang=en")
    assert page.locator("main > *").first.get_attribute("id") == "emergency"


def test_the_tracking_code_is_sent_as_soon_as_the_report_is_filed(
    site: tuple[str, Any], db: Engine
) -> None:
    from core import runner

    base_url, _ = site
    page = new_page(site)
    page.goto(f"{base_url}/report?lang=en")
    page.fill("#description", "Water leaking from the main pipe on the corner")
    page.select_option("#area_id", WARD)
    page.fill("#email", "lan@example.vn")
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r"/status/[0-9A-Z]{8}"))
    shown = page.inner_text("#tracking-code")
    ticket = ticket_by_code(db, shown)
    runner.drain()
    with Session(db) as session:
        sent = session.execute(
            select(OutboundMessage).where(OutboundMessage.ticket_id == ticket.id)
        ).scalars().all()
    assert [(m.kind, m.channel, m.recipient) for m in sent] == [
        ("received", "email", "lan@example.vn")
    ]
    assert shown in sent[0].body


def resolved_ticket(db: Engine, **values: Any) -> Ticket:
    with Session(db, expire_on_commit=False) as session:
        ticket = factories.routed_ticket(session, language="vi", **values)
        workflow.acknowledge(session=session, ticket=ticket, actor=factories.STAFF)
        workflow.resolve(
            session=session, ticket=ticket, resolution="Đã vá ổ gà sáng thứ Hai.",
            actor=factories.STAFF,
        )
        session.commit()
        return ticket


def verify(page: Any, db: Engine, ticket: Ticket) -> None:
    """Ask for a one-time code from the status page and type it (read from the queued SMS)."""
    page.click("#verify-form button")
    page.wait_for_selector("#one-time-code")
    with Session(db) as session:
        body = session.execute(
            select(OutboundMessage.body)
            .where(OutboundMessage.ticket_id == ticket.id, OutboundMessage.kind == "contact_code")
            .order_by(OutboundMessage.id.desc())  # type: ignore[union-attr]
        ).scalars().first()
    assert body
    code = re.search(r"\b(\d{6})\b", body)
    assert code, body
    page.fill("#one-time-code", code.group(1))
    page.click("#verify-check-form button")


def test_a_resident_who_proves_the_contact_rates_and_reopens_from_the_status_page(
    site: tuple[str, Any], db: Engine
) -> None:
    base_url, _ = site
    ticket = resolved_ticket(db, reporter_phone="+84901234567")
    page = new_page(site)
    page.goto(f"{base_url}/status/{ticket.code}?lang=vi")
    screenshot(page, "resident-status-resolved-vi")
    verify(page, db, ticket)
    page.wait_for_selector("#rate-form")
    # the radio buttons sit beside their labels
    radio = page.locator("input[name='rating'][value='5']").bounding_box()
    label = page.locator("label.choice").nth(4).bounding_box()
    assert radio and label and abs(radio["y"] - label["y"]) < label["height"]
    assert label["height"] < 2.2 * radio["height"] + 8
    screenshot(page, "resident-rate-vi")
    page.check("input[name='rating'][value='4']")
    page.click("#rate-form button")
    page.wait_for_selector("#thanks")
    page.fill("#reason", "Ổ gà lại xuất hiện sau cơn mưa")
    page.click("#reopen-form button")
    page.wait_for_url(re.compile(rf"/status/{ticket.code}\?"))
    assert page.locator("#flash").count() == 1
    # after a reopen the old answer is history, not "Kết quả giải quyết"
    assert page.locator("#resolution").count() == 0
    assert "Đã vá ổ gà" in page.inner_text("#earlier-answer")
    assert "Kết quả giải quyết" not in page.inner_text("main")
    with Session(db) as session:
        done = session.get(Ticket, ticket.id)
        assert done is not None and (done.rating, done.state) == (4, "in_progress")
        hashes = session.execute(
            select(ContactCode.code_hash).where(ContactCode.ticket_id == ticket.id)
        ).scalars().all()
        assert hashes and all(len(h) == 64 for h in hashes)


def test_a_resident_answers_a_question_with_a_photo_after_proving_the_contact(
    site: tuple[str, Any], db: Engine
) -> None:
    base_url, _ = site
    with Session(db, expire_on_commit=False) as session:
        ticket = factories.routed_ticket(session, language="en", reporter_email="lan@example.vn")
        workflow.acknowledge(session=session, ticket=ticket, actor=factories.STAFF)
        workflow.request_information(
            session=session, ticket=ticket, question="Which house number?", actor=factories.STAFF
        )
        session.commit()
    page = new_page(site)
    page.goto(f"{base_url}/status/{ticket.code}?lang=en")
    verify(page, db, ticket)
    page.wait_for_selector("#answer-form")
    assert "Which house number?" in page.inner_text("#question")
    page.fill("#answer-text", "Number 12, opposite the school")
    page.set_input_files(
        "#answer-photo",
        files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": big_jpeg(800, 600)}],
    )
    page.wait_for_selector("#answer-photo[data-shrunk], #answer-photo-status:has-text('ready')")
    page.click("#answer-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/status/{ticket.code}\?"))
    with Session(db) as session:
        done = session.get(Ticket, ticket.id)
        assert done is not None and done.state == "in_progress"
        photos = session.execute(
            select(Attachment).where(Attachment.ticket_id == ticket.id)
        ).scalars().all()
        assert len(photos) == 1


def test_a_wrong_code_opens_nothing(site: tuple[str, Any], db: Engine) -> None:
    base_url, _ = site
    ticket = resolved_ticket(db, reporter_phone="+84907654321")
    page = new_page(site)
    page.goto(f"{base_url}/status/{ticket.code}?lang=en")
    page.click("#verify-form button")
    page.fill("#one-time-code", "000000" if True else "")
    page.click("#verify-check-form button")
    page.wait_for_selector("#verify-error")
    assert page.locator("#rate-form").count() == 0


def test_an_anonymous_report_says_it_can_be_followed_but_not_rated(
    site: tuple[str, Any], db: Engine
) -> None:
    base_url, _ = site
    ticket = resolved_ticket(db, anonymous=True)
    page = new_page(site)
    page.goto(f"{base_url}/status/{ticket.code}?lang=en")
    assert "cannot be rated" in page.inner_text("#anonymous-note")
    assert page.locator("#verify-form").count() == 0


def test_masks_are_in_the_page_language_and_public_is_linked(
    site: tuple[str, Any], db: Engine
) -> None:
    base_url, _ = site
    with Session(db, expire_on_commit=False) as session:
        ticket = factories.ticket(
            session, description="Gọi tôi 0912 345 678 hoặc lan@example.vn về ổ gà"
        )
        session.commit()
    page = new_page(site)
    page.goto(f"{base_url}/status/{ticket.code}?lang=vi")
    text = page.inner_text("main")
    assert "[phone hidden]" not in text and "[email hidden]" not in text
    assert "[đã ẩn số điện thoại]" in text
    assert page.locator("header nav a[href^='/public']").count() == 1


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_header_does_not_wrap_and_codes_do_not_break(
    site: tuple[str, Any], db: Engine, width: str
) -> None:
    from tests.live import WIDTHS

    base_url, _ = site
    with Session(db, expire_on_commit=False) as session:
        ticket = factories.ticket(session)
        session.commit()
    page = new_page(site)
    page.set_viewport_size(WIDTHS[width])
    page.goto(f"{base_url}/status/{ticket.code}?lang=en&new=1")
    line = float(page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)"))
    for link in page.locator("header a").all():
        box = link.bounding_box()
        assert box and box["height"] < 1.6 * line or link.get_attribute("class") == "brand", (
            link.inner_text()
        )
    code = page.locator("#tracking-code").bounding_box()
    assert code and code["height"] < 2 * line


RESIDENT_PAGES = ["/", "/report", "/status", "/public", "/privacy"]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_residents_pages_pass_axe_and_are_photographed(
    site: tuple[str, Any], db: Engine, language: str
) -> None:
    base_url, _ = site
    with Session(db, expire_on_commit=False) as session:
        ticket = factories.ticket(session, language=language, reporter_phone="+84901112233")
        session.commit()
    page = new_page(site, bypass_csp=True)
    found: list[str] = []
    pages = [*RESIDENT_PAGES, f"/status/{ticket.code}", f"/status/{ticket.code}?new=1"]
    for path in pages:
        joiner = "&" if "?" in path else "?"
        page.goto(f"{base_url}{path}{joiner}lang={language}")
        found += serious_violations(page)
        if wide := overflow_at_phone_width(page):
            found.append(f"{page.url}: wider than a 360-pixel phone: {wide}")
        name = path.strip("/").replace("/", "-").replace("?new=1", "-new") or "home"
        name = re.sub(r"[0-9A-Z]{8}", "code", name)
        screenshot(page, f"resident-{name}-{language}")
    # the pages a resident reaches by a signed link: rate or reopen, answer a question,
    # "is it fixed?", and the procedure form
    with Session(db, expire_on_commit=False) as session:
        done = factories.routed_ticket(session, language=language, reporter_phone="+84901112244")
        workflow.acknowledge(session=session, ticket=done, actor=factories.STAFF)
        workflow.resolve(session=session, ticket=done, resolution="Đã vá ổ gà.",
                         actor=factories.STAFF)
        asked = factories.routed_ticket(session, language=language, reporter_phone="+84901112255")
        workflow.acknowledge(session=session, ticket=asked, actor=factories.STAFF)
        workflow.request_information(
            session=session, ticket=asked, question="Số nhà cụ thể?", actor=factories.STAFF
        )
        session.commit()
    linked = [
        (f"/status/{done.code}/rate?t={links.make_token(done, 'rate')}", "rate"),
        (f"{links.fixed_path(done)}", "fixed"),
        (f"/status/{asked.code}/answer?t={links.make_token(asked, 'answer')}", "answer"),
        ("/report/procedure", "procedure"),
    ]
    for path, name in linked:
        joiner = "&" if "?" in path else "?"
        page.goto(f"{base_url}{path}{joiner}lang={language}")
        assert page.locator("h1").count() == 1, path  # the page itself, not an error
        found += serious_violations(page)
        if wide := overflow_at_phone_width(page):
            found.append(f"{page.url}: wider than a 360-pixel phone: {wide}")
        screenshot(page, f"resident-{name}-{language}")
    # the form with an error, as a resident sees it
    page.goto(f"{base_url}/report?lang={language}")
    page.fill("#description", "x")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#form-error")
    found += serious_violations(page)
    screenshot(page, f"resident-report-error-{language}")
    assert found == []
