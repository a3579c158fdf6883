"""SMS out through Twilio's REST API: retried on errors, sent once, delivery recorded."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import select

from core.tasks import TransientError
from notify import service as notify_service
from notify.models import MessageStatus, OutboundMessage
from tests import factories
from tests.intake.helpers import (
    CALLER,
    FROM_NUMBER,
    MESSAGES_URL,
    caught_twilio,
    signed_post,
    twilio_client,
    twilio_settings,
)
from tickets.models import TicketEvent

TWILIO_500 = {"code": 20500, "message": "Internal Server Error", "status": 500}
SENT = {"sid": "SM" + "a" * 32, "status": "queued", "to": CALLER, "from": FROM_NUMBER}


def queued_message(session) -> OutboundMessage:
    ticket = factories.ticket(session, reporter_phone=CALLER)
    message = notify_service.message_resident(session=session, ticket=ticket, kind="received")
    assert message is not None
    return message


def test_a_send_that_fails_twice_then_succeeds_is_sent_once(pg_session) -> None:
    message = queued_message(pg_session)
    settings = twilio_settings()
    with caught_twilio() as caught:
        caught.add(responses.POST, MESSAGES_URL, json=TWILIO_500, status=500)
        caught.add(responses.POST, MESSAGES_URL, json=TWILIO_500, status=500)
        caught.add(responses.POST, MESSAGES_URL, json=SENT, status=201)
        for _ in range(2):
            with pytest.raises(TransientError):
                notify_service.deliver(session=pg_session, message_id=message.id, settings=settings)
            assert message.status == MessageStatus.pending
        third, fourth = (
            notify_service.deliver(session=pg_session, message_id=message.id, settings=settings)
            for _ in range(2)
        )
        statuses = [call.response.status_code for call in caught.calls]
        sent = parse_qs(caught.calls[-1].request.body)
    assert statuses == [500, 500, 201]  # one successful POST; the fourth run sent nothing
    assert (third, fourth) == (MessageStatus.sent, MessageStatus.sent)
    assert sent["To"] == [CALLER] and sent["From"] == [FROM_NUMBER]
    assert sent["Body"] == [message.body]
    assert sent["StatusCallback"] == ["http://testserver/twilio/sms/status"]
    assert (message.provider_id, message.attempts) == (SENT["sid"], 3)


def test_without_twilio_settings_the_console_sender_is_used(pg_session) -> None:
    message = queued_message(pg_session)
    with caught_twilio() as caught:
        status = notify_service.deliver(session=pg_session, message_id=message.id)
        assert len(caught.calls) == 0
    assert status == MessageStatus.sent and message.backend == "console"


def delivered_message(session) -> OutboundMessage:
    message = queued_message(session)
    message.status, message.provider_id = MessageStatus.sent, "SM" + "b" * 32
    session.add(message)
    session.flush()
    return message


def status_events(session, message: OutboundMessage) -> list[TicketEvent]:
    return list(
        session.execute(
            select(TicketEvent).where(
                TicketEvent.ticket_id == message.ticket_id, TicketEvent.kind.startswith("sms_")
            )
        ).scalars()
    )


def callback(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC0", **extra}


def test_a_delivery_callback_is_recorded_once_on_the_internal_timeline(pg_session) -> None:
    message = delivered_message(pg_session)
    with twilio_client(pg_session) as client:
        delivered = callback(message.provider_id, "delivered")
        first = signed_post(client, "/twilio/sms/status", delivered)
        again = signed_post(client, "/twilio/sms/status", delivered)
        late = signed_post(
            client, "/twilio/sms/status", callback(message.provider_id, "failed", ErrorCode="30003")
        )
    assert (first.status_code, again.status_code, late.status_code) == (204, 204, 204)
    pg_session.refresh(message)
    assert message.status == MessageStatus.delivered
    events = status_events(pg_session, message)
    assert [(e.kind, e.public, e.data["status"]) for e in events] == [
        ("sms_delivered", False, "delivered")
    ]


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_a_failed_delivery_is_recorded_with_its_error(pg_session, status) -> None:
    message = delivered_message(pg_session)
    with twilio_client(pg_session) as client:
        signed_post(
            client, "/twilio/sms/status", callback(message.provider_id, status, ErrorCode="30006")
        )
    pg_session.refresh(message)
    assert message.status == status and "30006" in (message.last_error or "")
    [event] = status_events(pg_session, message)
    assert (event.kind, event.data["error_code"]) == (f"sms_{status}", "30006")


def test_intermediate_and_unknown_callbacks_change_nothing(pg_session) -> None:
    message = delivered_message(pg_session)
    with twilio_client(pg_session) as client:
        sending = signed_post(client, "/twilio/sms/status", callback(message.provider_id, "sent"))
        unknown = signed_post(client, "/twilio/sms/status", callback("SM" + "c" * 32, "failed"))
    assert (sending.status_code, unknown.status_code) == (204, 204)
    pg_session.refresh(message)
    assert message.status == MessageStatus.sent
    assert status_events(pg_session, message) == []
