"""A resident's own words (answers, rating comments) are public only once staff publish them."""

from __future__ import annotations

from sqlmodel import Session

from tests import factories
from tests.conftest import make_client
from tests.staff.helpers import csrf_for, login, user
from tickets import public, workflow

ANSWER = "Tôi là Nguyễn Văn An, đèn vẫn tắt ở hẻm 42"


def test_an_answer_is_hidden_from_the_public_until_staff_publish_it(pg_session: Session) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads", agency_id="transport")
    event = workflow.take_answer(session=pg_session, ticket=ticket, text=ANSWER, channel="web")
    view = public.public_ticket(session=pg_session, ticket=ticket, language="vi")
    assert all(entry.message is None for entry in view.timeline if entry.kind == "info_received")
    with make_client(pg_session) as client:
        assert "đèn vẫn tắt" not in client.get(f"/status/{ticket.code}").text
        login(client, user(pg_session, "agent", "transport"))
        client.post(f"/staff/tickets/{ticket.id}/events/{event.id}/publish",
                    data={"csrf_token": csrf_for(client)}, follow_redirects=False)
    pg_session.refresh(event)
    view = public.public_ticket(session=pg_session, ticket=ticket, language="vi")
    shown = [entry.message for entry in view.timeline if entry.kind == "info_received"]
    assert shown == ["Tôi là [name hidden], đèn vẫn tắt ở hẻm 42"]
