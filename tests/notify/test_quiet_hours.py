"""SMS quiet hours: a message due at 23:00 city time goes out at 07:00, unless it answers a
text the resident sent during those quiet hours; e-mail is never held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.clock import set_clock
from core.outbox import OutboxMessage
from notify.models import OutboundMessage
from tests import factories
from tickets import workflow
from tickets.models import InboundMessage

# Ho Chi Minh City is UTC+7 all year: 23:00 there is 16:00 UTC; 07:00 next morning is 00:00 UTC
AT_23_00 = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
NEXT_07_00 = datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
AT_NOON = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    def pin(moment: datetime) -> None:
        set_clock(lambda: moment)

    yield pin
    set_clock(None)


def _send_row(session, ticket) -> OutboxMessage:
    message = session.execute(
        select(OutboundMessage).where(
            OutboundMessage.ticket_id == ticket.id, OutboundMessage.kind == "acknowledged"
        )
    ).scalar_one()
    rows = [
        row
        for row in session.execute(
            select(OutboxMessage).where(OutboxMessage.task == "notify.send")
        ).scalars()
        if row.args.get("message_id") == message.id
    ]
    assert len(rows) == 1
    return rows[0]


def _acknowledged_at(session, clock, moment: datetime, **contact):
    clock(moment)
    ticket = factories.routed_ticket(session, category_id="lighting", **contact)
    workflow.acknowledge(session=session, ticket=ticket, actor=factories.STAFF)
    factories.deliver_events(session)
    return ticket


def test_an_sms_due_at_23_00_is_sent_at_07_00(session, clock) -> None:
    ticket = _acknowledged_at(session, clock, AT_23_00, reporter_phone="+84901234567")
    row = _send_row(session, ticket)
    assert row.available_at.astimezone(UTC) == NEXT_07_00


def test_an_sms_due_at_noon_goes_at_once(session, clock) -> None:
    ticket = _acknowledged_at(session, clock, AT_NOON, reporter_phone="+84901234567")
    assert _send_row(session, ticket).available_at.astimezone(UTC) == AT_NOON


def test_an_answer_to_the_residents_own_text_at_night_is_not_held(session, clock) -> None:
    clock(AT_23_00 - timedelta(minutes=20))
    ticket = factories.routed_ticket(session, category_id="lighting", reporter_phone="+84901234567")
    session.add(InboundMessage(channel="sms", external_id="SM-night", ticket_id=ticket.id,
                               payload={}, received_at=AT_23_00 - timedelta(minutes=20)))
    session.flush()
    clock(AT_23_00)
    workflow.acknowledge(session=session, ticket=ticket, actor=factories.STAFF)
    factories.deliver_events(session)
    assert _send_row(session, ticket).available_at.astimezone(UTC) == AT_23_00


def test_a_text_from_before_the_quiet_hours_does_not_open_them(session, clock) -> None:
    clock(AT_23_00 - timedelta(hours=3))  # 20:00 city time
    ticket = factories.routed_ticket(session, category_id="lighting", reporter_phone="+84901234567")
    session.add(InboundMessage(channel="sms", external_id="SM-evening", ticket_id=ticket.id,
                               payload={}, received_at=AT_23_00 - timedelta(hours=3)))
    session.flush()
    clock(AT_23_00)
    workflow.acknowledge(session=session, ticket=ticket, actor=factories.STAFF)
    factories.deliver_events(session)
    assert _send_row(session, ticket).available_at.astimezone(UTC) == NEXT_07_00


def test_email_is_not_held_by_the_sms_quiet_hours(session, clock) -> None:
    ticket = _acknowledged_at(session, clock, AT_23_00, reporter_email="an@example.org")
    assert _send_row(session, ticket).available_at.astimezone(UTC) == AT_23_00
