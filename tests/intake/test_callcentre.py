"""The call-centre page: an operator files a caller's report (channel phone) behind log-in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from httpbase.csrf import SESSION_COOKIE
from notify.models import OutboundMessage
from staff import service as staff_service
from tests import factories
from tests.conftest import make_client
from tests.intake.helpers import count
from tickets import codes
from tickets.models import Ticket, TicketEvent

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CALL = {
    "phone": "0912 345 678",
    "caller_language": "vi",
    "description": "Cây xanh gãy đổ chắn ngang hẻm 15 Trần Hưng Đạo, xe không qua được.",
    "area_id": "26743",
    "address": "Hẻm 15 Trần Hưng Đạo",
}


def logged_in(session, role: str, agency_id: str | None = None):  # type: ignore[no-untyped-def]
    account = staff_service.create_user(
        session=session, email=f"{role}@example.org", name="Operator Lan", password=PASSWORD,
        role=role, agency_id=agency_id,
    )
    client = make_client(session)
    client.cookies.set(SESSION_COOKIE, staff_service.start_session(session=session, user=account))
    return client, account


def form_token(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/staff/callcentre")
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def test_the_page_asks_for_log_in(pg_session) -> None:
    with make_client(pg_session) as client:
        answer = client.get("/staff/callcentre", follow_redirects=False)
        posted = client.post("/staff/callcentre", data=CALL, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/staff/login?next=")
    assert posted.status_code == 303 and count(pg_session, Ticket) == 0


def test_an_operator_files_a_callers_report_on_the_phone_channel(pg_session) -> None:
    client, operator = logged_in(pg_session, "triage_agent")
    with client:
        answer = client.post(
            "/staff/callcentre", data={**CALL, "csrf_token": form_token(client)},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        confirmation = client.get(answer.headers["location"])
    ticket = pg_session.execute(select(Ticket)).scalar_one()
    assert (ticket.channel, ticket.reporter_phone, ticket.language) == (
        "phone", "+84912345678", "vi"
    )
    assert codes.display(ticket.code) in confirmation.text  # to read to the caller
    entered = pg_session.execute(
        select(TicketEvent).where(TicketEvent.kind == "entered_by_operator")
    ).scalar_one()
    assert (entered.actor_id, entered.public) == (operator.id, False)
    factories.deliver_events(pg_session)  # what the worker does after the commit
    sms = pg_session.execute(select(OutboundMessage)).scalar_one()
    assert (sms.kind, sms.recipient) == ("received", "+84912345678")


def test_a_post_without_the_csrf_token_is_refused(pg_session) -> None:
    client, _ = logged_in(pg_session, "agent", agency_id="transport")
    with client:
        answer = client.post("/staff/callcentre", data=CALL, follow_redirects=False)
    assert answer.status_code == 403
    assert count(pg_session, Ticket) == 0


@pytest.mark.parametrize(
    ("change", "problem"),
    [({"phone": ""}, "số điện thoại"), ({"phone": "12"}, "12"), ({"description": " "}, "mô tả")],
)
def test_bad_input_shows_the_form_again_and_files_nothing(pg_session, change, problem) -> None:
    client, _ = logged_in(pg_session, "triage_agent")
    with client:
        answer = client.post(
            "/staff/callcentre?lang=vi", data={**CALL, **change, "csrf_token": form_token(client)}
        )
    assert answer.status_code == 422
    assert problem in answer.text.lower() and 'id="form-error"' in answer.text
    assert CALL["address"] in answer.text  # what the operator typed is kept
    assert count(pg_session, Ticket) == 0


def test_officials_may_not_file_calls(pg_session) -> None:
    client, _ = logged_in(pg_session, "official")
    with client:
        answer = client.get("/staff/callcentre")
    assert answer.status_code == 403
