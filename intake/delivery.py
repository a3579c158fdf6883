"""Twilio's SMS status callback: delivered, failed or undelivered, on the message and timeline."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from core.clock import utcnow
from notify.models import MessageStatus, OutboundMessage
from tickets import service as tickets_service
from tickets.models import Ticket

FINAL = {
    "delivered": MessageStatus.delivered,
    "failed": MessageStatus.failed,
    "undelivered": MessageStatus.undelivered,
}
TWILIO = tickets_service.Actor(label="twilio")


def record_delivery(*, session: Session, params: dict[str, str]) -> str:
    """Apply one status callback; a repeated or out-of-date callback changes nothing."""
    sid = (params.get("MessageSid") or params.get("SmsSid") or "").strip()
    reported = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    if not sid:
        return "no_sid"
    status = FINAL.get(reported)
    if status is None:
        return "not_final"  # queued, sending, sent: nothing to record yet
    message = session.execute(
        select(OutboundMessage).where(col(OutboundMessage.provider_id) == sid)
    ).scalar_one_or_none()
    if message is None:
        return "unknown"
    if message.status == status or message.status == MessageStatus.delivered:
        return "unchanged"  # Twilio repeats callbacks, and "delivered" is the last word
    previous = message.status
    message.status = status
    message.status_at = utcnow()
    if status != MessageStatus.delivered:
        message.last_error = f"Twilio: {reported} (error {params.get('ErrorCode') or '-'})"
    session.add(message)
    ticket = session.get(Ticket, message.ticket_id) if message.ticket_id is not None else None
    if ticket is not None:
        tickets_service.record_event(
            session=session,
            ticket=ticket,
            kind="sms_" + status.value,
            actor=TWILIO,
            public=False,
            data={
                "message_id": message.id,
                "message_kind": message.kind,
                "from_status": previous,
                "status": status.value,
                "error_code": params.get("ErrorCode") or None,
            },
        )
    session.flush()
    return status.value
