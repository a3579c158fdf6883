"""Messages to Zalo residents: contacts, the tickets they follow, queuing and sending.

A Zalo message is an OutboundMessage like an SMS (channel "zalo"), so it is sent by the same
`notify.send` task, once, with retries for transient errors and its delivery recorded on the
row. Its recipient is the contact's internal id; the Zalo user id is looked up only when the
message is sent, so it never travels in task arguments or logs.

Zalo lets an OA answer a resident with customer-service messages for a while after the
resident's last message (ZALO_CS_WINDOW_HOURS, 48 hours today). A message due outside that
window is held, not dropped: it goes out as soon as the resident writes again.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlmodel import Session, col

from core import outbox
from core.clock import as_utc, utcnow
from core.settings import Settings
from core.tasks import TransientError
from notify import zalo_client, zalo_tokens
from notify.models import MessageStatus, OutboundMessage
from notify.zalo_models import ZaloContact, ZaloTicket

log = logging.getLogger(__name__)
CHANNEL = "zalo"
SEND_TASK = "notify.send"
MAX_TEXT = 2000  # Zalo's limit for a text message
# Where a Zalo resident's message must differ from the SMS one (English keys, vi in zalo.po)
TEMPLATES = {
    "info_requested": "Hotline 1022: about your report %(code)s, the agency asks: %(question)s "
    "Reply here on Zalo or answer at %(link)s",
}


class ZaloUnavailable(Exception):
    """The resident unfollowed the OA, or is outside the messaging window."""

    def __init__(self, reason: str, *, hold: bool) -> None:
        super().__init__(reason)
        self.hold = hold


# --- contacts and tickets --------------------------------------------------------------------


def contact_for(*, session: Session, user_id: str) -> ZaloContact:
    """The contact for this Zalo user id, created on first sight."""
    contact = session.execute(
        select(ZaloContact).where(col(ZaloContact.user_id) == user_id)
    ).scalar_one_or_none()
    if contact is None:
        contact = ZaloContact(user_id=user_id)
        session.add(contact)
        session.flush()
    return contact


def follow_ticket(*, session: Session, ticket_id: int, contact: ZaloContact) -> None:
    if session.get(ZaloTicket, ticket_id) is None:
        assert contact.id is not None
        session.add(ZaloTicket(ticket_id=ticket_id, contact_id=contact.id))
        session.flush()


def contact_of_ticket(*, session: Session, ticket_id: int | None) -> ZaloContact | None:
    if ticket_id is None:
        return None
    link = session.get(ZaloTicket, ticket_id)
    return session.get(ZaloContact, link.contact_id) if link is not None else None


def tickets_of(*, session: Session, contact: ZaloContact) -> list[int]:
    """The contact's tickets, newest first."""
    return list(
        session.execute(
            select(col(ZaloTicket.ticket_id))
            .where(col(ZaloTicket.contact_id) == contact.id)
            .order_by(col(ZaloTicket.ticket_id).desc())
        ).scalars()
    )


def in_window(contact: ZaloContact, settings: Settings) -> bool:
    last = as_utc(contact.last_inbound_at)
    return last is not None and utcnow() - last < timedelta(hours=settings.zalo_cs_window_hours)


# --- queuing ---------------------------------------------------------------------------------


def queue_message(
    *,
    session: Session,
    contact: ZaloContact,
    body: str,
    kind: str,
    language: str,
    ticket_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboundMessage:
    """Queue one Zalo message in the caller's transaction; `notify.send` delivers it."""
    assert contact.id is not None
    message = OutboundMessage(
        ticket_id=ticket_id,
        dedupe_key=dedupe_key or f"zalo-{kind}-{utcnow().timestamp():.6f}",
        kind=kind,
        channel=CHANNEL,
        recipient=str(contact.id),
        language=language,
        body=body[:MAX_TEXT],
    )
    session.add(message)
    session.flush()
    outbox.enqueue(session=session, task=SEND_TASK, args={"message_id": message.id})
    return message


def release_held(*, session: Session, contact: ZaloContact) -> int:
    """The resident wrote again: the messages held for lack of a window go out now."""
    held = list(
        session.execute(
            select(OutboundMessage)
            .where(
                col(OutboundMessage.channel) == CHANNEL,
                col(OutboundMessage.recipient) == str(contact.id),
                col(OutboundMessage.status) == MessageStatus.held,
            )
            .order_by(col(OutboundMessage.id))
        ).scalars()
    )
    for message in held:
        message.status = MessageStatus.pending
        session.add(message)
        session.flush()
        outbox.enqueue(session=session, task=SEND_TASK, args={"message_id": message.id})
    return len(held)


def suppressed_reason(*, session: Session, message: OutboundMessage) -> str | None:
    contact = _recipient(session, message)
    if contact is None:
        return "the Zalo contact no longer exists"
    if contact.opted_out:
        return "the resident unfollowed the Zalo OA"
    return None


def _recipient(session: Session, message: OutboundMessage) -> ZaloContact | None:
    try:
        return session.get(ZaloContact, int(message.recipient))
    except ValueError:
        return None


# --- sending ---------------------------------------------------------------------------------


class ConsoleZaloSender:
    """Embedded mode without OA tokens: what the resident would have received, in the log."""

    name = "console"
    sent: list[dict[str, str]] = []

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    def send_to(self, message: OutboundMessage) -> str | None:
        log.info("[console zalo] to contact %s\n%s", message.recipient, message.body)
        ConsoleZaloSender.sent.append({"contact_id": message.recipient, "body": message.body})
        return None


class ZaloSender:
    """The OA messaging API, with the access token refreshed once if Zalo refuses it."""

    name = "zalo"

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    def send_to(self, message: OutboundMessage) -> str | None:
        contact = _recipient(self.session, message)
        if contact is None:
            raise ZaloUnavailable("the Zalo contact no longer exists", hold=False)
        user_id = contact.user_id
        if not in_window(contact, self.settings):
            raise ZaloUnavailable("outside Zalo's customer-service window", hold=True)
        try:
            token = zalo_tokens.access_token(session=self.session, settings=self.settings)
        except zalo_tokens.NoZaloTokens as error:
            raise ZaloUnavailable(str(error), hold=True) from error
        try:
            return self._send(token, user_id, message.body)
        except zalo_client.ZaloTokenExpired:
            # one refresh at a time, then this message is tried once more with the new token
            token = zalo_tokens.refresh(session=self.session, settings=self.settings, stale=token)
        try:
            return self._send(token, user_id, message.body)
        except zalo_client.ZaloTokenExpired as error:  # refused again: later, with backoff
            raise TransientError(f"Zalo refused a fresh access token: {error}") from error

    def _send(self, token: str, user_id: str, body: str) -> str:
        try:
            return zalo_client.send_text(
                api_url=self.settings.zalo_api_url, access_token=token, user_id=user_id, text=body
            )
        except zalo_client.ZaloOutsideWindow as error:
            raise ZaloUnavailable(str(error), hold=True) from error


def deliver(*, session: Session, message: OutboundMessage, settings: Settings) -> str:
    """Send one pending Zalo message, once (the caller checked that it is pending).

    The row is claimed and committed before Zalo is called, as for SMS. Transient failures put
    it back to pending and raise, so the task retries with backoff; a resident outside the
    window gets the message later (held); a refusal for good marks it failed.
    """
    reason = suppressed_reason(session=session, message=message)
    if reason is not None:
        message.status, message.last_error = MessageStatus.suppressed, reason
        session.add(message)
        return message.status
    claimed = cast(
        "CursorResult[Any]",
        session.execute(
            update(OutboundMessage)
            .where(
                col(OutboundMessage.id) == message.id,
                col(OutboundMessage.status) == MessageStatus.pending,
                col(OutboundMessage.attempts) == message.attempts,
            )
            .values(status=MessageStatus.sending, attempts=message.attempts + 1)
        ),
    ).rowcount
    if not claimed:
        return "claimed_elsewhere"
    session.commit()
    session.refresh(message)
    backend = sender(session, settings)
    try:
        provider_id = backend.send_to(message)
    except ZaloUnavailable as error:
        message.status = MessageStatus.held if error.hold else MessageStatus.failed
        message.last_error = str(error)
        session.add(message)
        return message.status
    except zalo_client.ZaloRefused as error:
        message.status, message.last_error = MessageStatus.failed, str(error)
        session.add(message)
        return message.status
    except Exception as error:
        session.rollback()
        message.status, message.last_error = MessageStatus.pending, str(error)[:500]
        session.add(message)
        session.commit()
        raise
    message.status = MessageStatus.sent
    message.backend, message.provider_id = backend.name, provider_id or None
    message.sent_at = utcnow()
    session.add(message)
    return message.status


def sender(session: Session, settings: Settings) -> ZaloSender | ConsoleZaloSender:
    return ZaloSender(session, settings) if settings.zalo_sends else ConsoleZaloSender(
        session, settings
    )
