"""The resident's signed links: rate or reopen a resolution, answer a question by web."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from core.clock import set_clock, utcnow
from tests import factories
from tickets import links, replies, workflow
from tickets.models import Ticket

STAFF = workflow.Actor(type="staff", id=None, label="agent")


def resolved(session: Session, text: str = "Patched the hole on 3 March.") -> Ticket:
    ticket = factories.routed_ticket(session, category_id="roads", reporter_phone="+84901234567")
    workflow.acknowledge(session=session, ticket=ticket, actor=STAFF)
    workflow.resolve(session=session, ticket=ticket, resolution=text, actor=STAFF)
    session.commit()  # a refused request rolls back its own work, not the test's data
    return ticket


def token(ticket: Ticket, purpose: str = "rate") -> str:
    return links.make_token(ticket, purpose)


def test_rating_page_shows_the_resolution_and_records_the_rating(pg_session, pg_client) -> None:
    ticket = resolved(pg_session)
    page = pg_client.get(f"/status/{ticket.code}/rate?t={token(ticket)}&lang=en")
    assert page.status_code == 200
    assert "Patched the hole on 3 March." in page.text
    assert 'id="rate-form"' in page.text and 'id="reopen-form"' in page.text
    answer = pg_client.post(
        f"/status/{ticket.code}/rate",
        data={"t": token(ticket), "rating": "5", "comment": "Quick!"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    pg_session.refresh(ticket)
    assert ticket.rating == 5


def test_a_rating_link_works_only_for_its_own_ticket(pg_session, pg_client) -> None:
    mine, other = resolved(pg_session), resolved(pg_session)
    stolen = token(mine)
    assert pg_client.get(f"/status/{other.code}/rate?t={stolen}").status_code == 403
    answer = pg_client.post(f"/status/{other.code}/rate", data={"t": stolen, "rating": "1"})
    assert answer.status_code == 403
    answer = pg_client.post(f"/status/{other.code}/reopen", data={"t": stolen, "reason": "x"})
    assert answer.status_code == 403
    pg_session.refresh(other)
    assert other.rating is None and other.state == "resolved"


def test_forged_or_wrong_purpose_tokens_are_refused(pg_session, pg_client) -> None:
    ticket = resolved(pg_session)
    good = token(ticket)
    # a changed character inside the signature (the last one carries padding bits that a
    # decoder may ignore, so changing only it would not always forge anything)
    forged = good[:-6] + ("A" if good[-6] != "A" else "B") + good[-5:]
    for bad in ("", "garbage", forged, token(ticket, "answer")):
        assert pg_client.get(f"/status/{ticket.code}/rate?t={bad}").status_code == 403


def test_bad_rating_is_a_422_page(pg_session, pg_client) -> None:
    ticket = resolved(pg_session)
    for bad in ("0", "6", "five", ""):
        answer = pg_client.post(
            f"/status/{ticket.code}/rate", data={"t": token(ticket), "rating": bad}
        )
        assert answer.status_code == 422, bad
    pg_session.refresh(ticket)
    assert ticket.rating is None


def test_reopen_by_the_link_within_seven_days(pg_session, pg_client) -> None:
    ticket = resolved(pg_session)
    answer = pg_client.post(
        f"/status/{ticket.code}/reopen",
        data={"t": token(ticket), "reason": "The hole is back"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    pg_session.refresh(ticket)
    assert ticket.state == "in_progress" and ticket.reopen_count == 1


def test_reopen_after_seven_days_is_refused_on_the_page(pg_session, pg_client) -> None:
    ticket = resolved(pg_session)
    later = utcnow() + timedelta(days=8)
    set_clock(lambda: later)
    try:
        page = pg_client.get(f"/status/{ticket.code}/rate?t={token(ticket)}")
        assert 'id="reopen-form"' not in page.text
        answer = pg_client.post(
            f"/status/{ticket.code}/reopen", data={"t": token(ticket), "reason": "Still broken"}
        )
        assert answer.status_code == 409
    finally:
        set_clock(None)
    pg_session.refresh(ticket)
    assert ticket.state == "resolved"


@pytest.fixture
def waiting(pg_session: Session) -> Ticket:
    ticket = factories.routed_ticket(pg_session, category_id="roads", reporter_phone="+84901234567")
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.request_information(
        session=pg_session, ticket=ticket, question="Which house number?", actor=STAFF
    )
    pg_session.commit()
    return ticket


def test_answer_by_web_restarts_the_clock(pg_session, pg_client, waiting) -> None:
    page = pg_client.get(f"/status/{waiting.code}/answer?t={token(waiting, 'answer')}")
    assert page.status_code == 200 and "Which house number?" in page.text
    answer = pg_client.post(
        f"/status/{waiting.code}/answer",
        data={"t": token(waiting, "answer"), "text": "Number 12, by the market"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    pg_session.refresh(waiting)
    assert waiting.state == "in_progress" and waiting.paused_at is None
    received = replies.events_of_kind(session=pg_session, ticket=waiting, kind="info_received")
    assert [e.message for e in received] == ["Number 12, by the market"]


def test_answer_link_of_another_ticket_is_refused(pg_session, pg_client, waiting) -> None:
    other = resolved(pg_session)
    answer = pg_client.post(
        f"/status/{waiting.code}/answer", data={"t": token(other, "answer"), "text": "hi"}
    )
    assert answer.status_code == 403
    pg_session.refresh(waiting)
    assert waiting.state == "waiting_for_resident"


def test_empty_answer_is_a_422(pg_session, pg_client, waiting) -> None:
    answer = pg_client.post(
        f"/status/{waiting.code}/answer", data={"t": token(waiting, "answer"), "text": "  "}
    )
    assert answer.status_code == 422
