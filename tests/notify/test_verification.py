"""A resident proves the contact on file with a one-time code: hashed at rest, expiring,
limited in tries and in number, usable once, and the message carrying it blanked once sent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core.errors import Conflict, Forbidden, RateLimited
from core.settings import get_settings
from notify import service, verification
from notify.models import ContactCode, OutboundMessage
from tests import factories


def sent_code(session: Session, ticket_id: int) -> str:
    body = session.execute(
        select(OutboundMessage.body)
        .where(OutboundMessage.ticket_id == ticket_id, OutboundMessage.kind == "contact_code")
        .order_by(OutboundMessage.id.desc())  # type: ignore[union-attr]
    ).scalars().first()
    assert body
    found = re.search(r"\b(\d{6})\b", body)
    assert found, body
    return found.group(1)


def test_the_right_code_works_once_and_is_not_stored(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session, reporter_phone="+84901234567")
    row = verification.send_code(session=pg_session, ticket=ticket)
    code = sent_code(pg_session, ticket.id)
    assert code not in row.code_hash and len(row.code_hash) == 64
    verification.check_code(session=pg_session, ticket=ticket, code=code)
    with pytest.raises(Forbidden):
        verification.check_code(session=pg_session, ticket=ticket, code=code)


def test_a_code_of_another_ticket_does_not_work(pg_session: Session) -> None:
    mine = factories.ticket(pg_session, reporter_phone="+84901234567")
    other = factories.ticket(pg_session, reporter_phone="+84901234568")
    verification.send_code(session=pg_session, ticket=other)
    verification.send_code(session=pg_session, ticket=mine)
    with pytest.raises(Forbidden):
        verification.check_code(
            session=pg_session, ticket=mine, code=sent_code(pg_session, other.id)
        )


def test_an_expired_code_is_refused(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session, reporter_email="lan@example.vn")
    row = verification.send_code(session=pg_session, ticket=ticket)
    row.expires_at = row.created_at - timedelta(seconds=1)
    pg_session.flush()
    with pytest.raises(Forbidden, match="expired"):
        verification.check_code(
            session=pg_session, ticket=ticket, code=sent_code(pg_session, ticket.id)
        )


def test_wrong_tries_are_counted_and_then_even_the_right_code_fails(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session, reporter_phone="+84901234567")
    verification.send_code(session=pg_session, ticket=ticket)
    code = sent_code(pg_session, ticket.id)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(get_settings().contact_code_attempts):
        with pytest.raises(Forbidden, match="not right"):
            verification.check_code(session=pg_session, ticket=ticket, code=wrong)
    with pytest.raises(Forbidden, match="Too many"):
        verification.check_code(session=pg_session, ticket=ticket, code=code)


def test_codes_per_hour_are_limited(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session, reporter_phone="+84901234567")
    for _ in range(get_settings().contact_codes_per_hour):
        verification.send_code(session=pg_session, ticket=ticket)
    with pytest.raises(RateLimited):
        verification.send_code(session=pg_session, ticket=ticket)
    count = pg_session.execute(
        select(ContactCode).where(ContactCode.ticket_id == ticket.id)
    ).scalars().all()
    assert len(count) == get_settings().contact_codes_per_hour


def test_an_anonymous_report_gets_no_code(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session, anonymous=True, reporter_phone="+84901234567")
    with pytest.raises(Conflict):
        verification.send_code(session=pg_session, ticket=ticket)


def test_the_message_with_the_code_is_blanked_once_sent(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session, reporter_email="lan@example.vn")
    verification.send_code(session=pg_session, ticket=ticket)
    code = sent_code(pg_session, ticket.id)
    message = pg_session.execute(
        select(OutboundMessage).where(OutboundMessage.kind == "contact_code")
    ).scalar_one()
    assert service.deliver(session=pg_session, message_id=message.id) == "sent"
    pg_session.flush()
    pg_session.expire_all()
    assert code not in pg_session.get(OutboundMessage, message.id).body  # type: ignore[union-attr]
