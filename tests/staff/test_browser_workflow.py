"""In a real browser: the triage desk categorizes a ticket, an agent acknowledges it and asks
for information, the resident answers by the link, the agent resolves it, and the resident
reads and rates the answer."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import runner
from notify.models import OutboundMessage
from tests import factories
from tests.live import browser, serve
from tests.staff import helpers
from tickets import workflow
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def log_in(page, base_url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/staff/login?lang=en")
    page.fill("#email", email)
    page.fill("#password", helpers.PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(re.compile(r"/staff(/triage)?(\?.*)?$"))


def link_in(session: Session, ticket: Ticket, kind: str, base_url: str) -> str:
    runner.drain()  # the worker: the workflow's events reach notify's subscribers
    body = session.execute(
        select(OutboundMessage.body).where(
            OutboundMessage.ticket_id == ticket.id, OutboundMessage.kind == kind
        )
    ).scalar_one()
    link = re.search(r"http://testserver(/status/\S+)", body)
    assert link, body
    return base_url + link.group(1)


def test_triage_to_rating(committed_pg: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app

    with Session(committed_pg, expire_on_commit=False) as session:
        helpers.user(session, "triage_agent", None, email="desk@city.gov")
        helpers.user(session, "agent", "sanitation", email="agent@sanitation.org")
        ticket = factories.ticket(
            session,
            description="Rác thải chất đống ở góc đường Lê Lợi, bốc mùi hôi thối.",
            reporter_phone="+84901234567",
            language="en",
        )
        workflow.send_to_triage(session=session, ticket=ticket, reason="low_confidence")
        session.commit()

    with serve(create_app(start_worker=False)) as base_url, browser() as chromium:
        desk = chromium.new_page()
        log_in(desk, base_url, "desk@city.gov")
        desk.goto(f"{base_url}/staff/triage?lang=en")
        desk.click(f"tr[data-ticket-id='{ticket.id}'] a")
        desk.select_option("#category_id", "waste")
        desk.click("#form-categorize button")
        desk.wait_for_url(re.compile(r"/staff/triage"))

        agent = chromium.new_page()
        agent.on("dialog", lambda dialog: dialog.accept())  # resolving asks to confirm
        log_in(agent, base_url, "agent@sanitation.org")
        agent.goto(f"{base_url}/staff?lang=en")
        agent.click(f"tr[data-ticket-id='{ticket.id}'] a")
        agent.click("#form-acknowledge button")
        agent.wait_for_selector("#state[data-state='acknowledged']")
        agent.click("details:has(#form-request_info) > summary")
        agent.fill("#question", "Which corner exactly?")
        agent.click("#form-request_info button")
        agent.wait_for_selector("#state[data-state='waiting_for_resident']")

        with Session(committed_pg) as session:
            answer_link = link_in(session, ticket, "info_requested", base_url)
        resident = chromium.new_page()
        resident.goto(answer_link)
        assert "Which corner exactly?" in resident.locator("#question").inner_text()
        resident.fill("#answer-text", "The corner with Pasteur street")
        resident.click("#answer-form button")
        resident.wait_for_url(re.compile(rf"/status/{ticket.code}"))

        agent.reload()
        assert agent.locator("#state").get_attribute("data-state") == "in_progress"
        assert "The corner with Pasteur street" in agent.locator("#timeline").inner_text()
        agent.fill("#resolution-text", "The rubbish was collected on Monday morning.")
        agent.click("#form-resolve button")
        agent.wait_for_selector("#state[data-state='resolved']")

        with Session(committed_pg) as session:
            rate_link = link_in(session, ticket, "resolved", base_url)
        resident.goto(rate_link)
        assert "collected on Monday" in resident.locator("#resolution").inner_text()
        resident.check("input[name='rating'][value='5']")
        resident.click("#rate-form button")
        resident.wait_for_selector("#thanks")

        resident.goto(f"{base_url}/public?lang=en&q=rubbish")
        assert ticket.code in resident.locator("#record").inner_html()

    with Session(committed_pg) as session:
        done = session.get(Ticket, ticket.id)
        assert done is not None
        assert (done.state, done.category_set_by, done.rating) == ("resolved", "triage", 5)
