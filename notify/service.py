"""Queue a message to a resident (in the caller's transaction) and deliver it (in a task)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core import outbox
from core.clock import utcnow
from core.i18n import gettext
from core.settings import Settings, get_settings
from notify import senders, zalo
from notify.models import MessageStatus, OptOut, OutboundMessage
from tickets import codes, links
from tickets.models import Ticket

SEND_TASK = "notify.send"

# What residents receive, by purpose. English catalog keys; Vietnamese in web/translations/vi.
TEMPLATES = {
    "acknowledged": "Hotline 1022: your report %(code)s was acknowledged by %(agency)s. "
    "Follow it: %(link)s",
    "info_requested": "Hotline 1022: about your report %(code)s, the agency asks: %(question)s "
    "Reply to this SMS or answer at %(link)s",
    "resolved": "Hotline 1022: your report %(code)s was resolved: %(resolution)s "
    "Rate the answer or reopen it within %(days)s days: %(link)s",
    "emergency": "If this is an emergency happening now, call 113 (police), 114 (fire and "
    "rescue) or 115 (ambulance) at once.",
    "received": "Hotline 1022: we received your report. Tracking code %(code)s. "
    "Follow it: %(link)s",
}
SUBJECTS = {
    "acknowledged": "Your report %(code)s was acknowledged",
    "info_requested": "Your report %(code)s: the agency needs information",
    "resolved": "Your report %(code)s was resolved",
    "emergency": "Emergency numbers",
    "received": "Your report %(code)s was received",
}


def is_opted_out(*, session: Session, phone: str) -> bool:
    return session.get(OptOut, phone) is not None


def set_opt_out(*, session: Session, phone: str, opted_out: bool) -> None:
    row = session.get(OptOut, phone)
    if opted_out and row is None:
        session.add(OptOut(phone=phone))
    elif not opted_out and row is not None:
        session.delete(row)
    session.flush()


def message_resident(
    *,
    session: Session,
    ticket: Ticket,
    kind: str,
    values: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    settings: Settings | None = None,
) -> OutboundMessage | None:
    """Queue one message of this kind for the ticket's reporter, by SMS or else e-mail.

    Returns None when the resident left no contact. The (ticket, dedupe_key) pair is unique,
    so asking twice for the same message queues it once. Call in the transaction that makes the
    change the message announces; it is sent by a task after the commit.
    """
    settings = settings or get_settings()
    zalo_contact = zalo.contact_of_ticket(session=session, ticket_id=ticket.id)
    if zalo_contact is not None:  # filed on Zalo: followed on Zalo
        channel, recipient = zalo.CHANNEL, str(zalo_contact.id)
    elif ticket.reporter_phone:
        channel, recipient = "sms", ticket.reporter_phone
    elif ticket.reporter_email:
        channel, recipient = "email", ticket.reporter_email
    else:
        return None
    key = dedupe_key or kind
    existing = session.execute(
        select(OutboundMessage).where(
            col(OutboundMessage.ticket_id) == ticket.id, col(OutboundMessage.dedupe_key) == key
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    language = ticket.language
    filled = {
        "code": codes.display(ticket.code),
        "link": links.status_url(ticket.code, settings=settings, lang=ticket.language),
        "days": settings.reopen_window_days,
        **(values or {}),
    }
    template = zalo.TEMPLATES.get(kind, TEMPLATES[kind]) if channel == zalo.CHANNEL else None
    body = gettext(language, template or TEMPLATES[kind], **filled)
    subject = gettext(language, SUBJECTS[kind], **filled) if channel == "email" else None
    message = OutboundMessage(
        ticket_id=ticket.id,
        dedupe_key=key,
        kind=kind,
        channel=channel,
        recipient=recipient,
        language=language,
        subject=subject,
        body=body,
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:  # a concurrent request queued it first
        return session.execute(
            select(OutboundMessage).where(
                col(OutboundMessage.ticket_id) == ticket.id, col(OutboundMessage.dedupe_key) == key
            )
        ).scalar_one()
    outbox.enqueue(session=session, task=SEND_TASK, args={"message_id": message.id})
    return message


def deliver(*, session: Session, message_id: int, settings: Settings | None = None) -> str:
    """Send one queued message, once. Safe to run twice: only a pending row is claimed."""
    settings = settings or get_settings()
    message = session.get(OutboundMessage, message_id)
    if message is None:
        raise LookupError(f"outbound message {message_id} does not exist")
    if message.status != MessageStatus.pending:
        # "sending" means a worker died while calling the provider: the message may have gone
        # out, and sending it again could repeat it, so it is left for a person to check
        return message.status
    if message.channel == zalo.CHANNEL:
        return zalo.deliver(session=session, message=message, settings=settings)
    if message.channel == "sms" and is_opted_out(session=session, phone=message.recipient):
        message.status = MessageStatus.suppressed
        message.last_error = "the number opted out (STOP)"
        session.add(message)
        return message.status
    # claim: a concurrent worker running the same task finds the row no longer pending
    claimed = cast(
        "CursorResult[Any]",
        session.execute(
            update(OutboundMessage)
            .where(
                col(OutboundMessage.id) == message_id,
                col(OutboundMessage.status) == MessageStatus.pending,
                col(OutboundMessage.attempts) == message.attempts,
            )
            .values(status=MessageStatus.sending, attempts=message.attempts + 1)
        ),
    ).rowcount
    if not claimed:
        return "claimed_elsewhere"
    session.commit()  # the claim is durable before the provider is called
    sender = (
        senders.sms_sender(settings) if message.channel == "sms" else senders.email_sender(settings)
    )
    callback = f"{settings.public_base_url}/twilio/sms/status" if message.channel == "sms" else None
    session.refresh(message)
    try:
        sent = sender.send(
            to=message.recipient,
            body=message.body,
            subject=message.subject,
            status_callback=callback,
        )
    except senders.PermanentSendError as error:
        message.status, message.last_error = MessageStatus.failed, str(error)
        session.add(message)
        return message.status
    except Exception as error:
        message.status, message.last_error = MessageStatus.pending, str(error)
        session.add(message)
        session.commit()
        raise
    message.status = MessageStatus.sent
    message.backend, message.provider_id = sent.backend, sent.provider_id
    message.sent_at = utcnow()
    session.add(message)
    return message.status
