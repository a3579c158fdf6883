"""Twilio's doors keep a message holding a NUL byte: stripped, filed, answered (never a 500)."""

from __future__ import annotations

from sqlalchemy import select

from tests.intake.helpers import (
    call_params,
    messages,
    new_sid,
    parsed_twiml,
    signed_post,
    sms_params,
    twilio_client,
)
from tickets.models import InboundMessage, Ticket

REPORT = "Đèn đường hẻm 42 Lê Lợi\x00 bị hư, tối om"


def test_a_signed_text_with_a_nul_byte_is_filed_without_it(pg_session) -> None:
    with twilio_client(pg_session) as client:
        replies = messages(signed_post(client, "/twilio/sms", sms_params(REPORT)))
    ticket = pg_session.execute(select(Ticket)).scalar_one()
    assert ticket.description == REPORT.replace("\x00", "")
    assert "Mã tra cứu" in replies[0]  # then "which ward?" when the text names none (issue 14)
    kept = pg_session.execute(select(InboundMessage)).scalars().all()
    assert all("\x00" not in str(row.payload) for row in kept)


def test_a_speech_result_with_a_nul_byte_is_filed_without_it(pg_session) -> None:
    params = call_params(new_sid("CA"), SpeechResult="There is a broken\x00 street light on Le Loi")
    with twilio_client(pg_session) as client:
        root = parsed_twiml(signed_post(client, "/twilio/voice/speech?lang=en", params))
    ticket = pg_session.execute(select(Ticket)).scalar_one()
    assert "\x00" not in ticket.description and "broken street light" in ticket.description
    assert root.tag == "Response"
