"""Queue a message to a resident (in the caller's transaction) and deliver it (in a task)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core import outbox
from core.clock import utcnow
from core.i18n import gettext
from core.settings import Settings, get_settings
from notify import quiet, senders, zalo
from notify.models import MessageStatus, OptOut, OutboundMessage, QuestionOptOut
from tickets import codes, links
from tickets.models import InboundMessage, Ticket

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
    # --- closing the loop (issue 17) ---
    "resolved_not_responsible": "Hotline 1022: your report %(code)s was answered: it is not "
    "the responsibility of %(agency)s. %(resolution)s Reopen it within %(days)s days: %(link)s",
    "resolved_cannot_be_done": "Hotline 1022: your report %(code)s was answered: it cannot be "
    "done. %(resolution)s Reopen it within %(days)s days: %(link)s",
    "transferred": "Hotline 1022: your report %(code)s was passed to %(agency)s, who are "
    "responsible for it. Follow it: %(link)s",
    "scheduled": "Hotline 1022: the work on your report %(code)s is planned for %(date)s: "
    "%(note)s Follow it: %(link)s",
    "fix_question": "Hotline 1022: your report %(code)s was resolved on %(date)s. Is it fixed? "
    "Reply DA SUA if it is, or CHUA SUA and what is wrong if not. Or answer at %(link)s "
    "(reply DUNG HOI to stop these questions)",
    "not_fixed_reopened": "Hotline 1022: thank you. Your report %(code)s is open again and back "
    "with %(agency)s. Follow it: %(link)s",
    "fix_thanks": "Hotline 1022: thank you for confirming that your report %(code)s is fixed.",
    # --- duplicates (issue 16) ---
    "master_resolved": "Hotline 1022: your report %(code)s was the same problem as report "
    "%(master)s, which was resolved: %(resolution)s Follow it: %(link)s",
    "contact_code": "Hotline 1022: your code for report %(code)s is %(otp)s. It is valid for "
    "%(minutes)s minutes. Do not give it to anyone.",
}
TEMPLATES["dossier_code_asked"] = (
    "Hotline 1022: your report %(code)s concerns an administrative procedure. If you have the "
    "dossier code printed on your receipt, reply MHS followed by the code. Follow it: %(link)s"
)

# messages whose body is a secret: blanked once sent, so that no copy of it stays at rest
EPHEMERAL_KINDS = {"contact_code": "[one-time code removed after sending]"}
SUBJECTS = {
    "dossier_code_asked": "Your report %(code)s: the dossier code",
    "acknowledged": "Your report %(code)s was acknowledged",
    "info_requested": "Your report %(code)s: the agency needs information",
    "resolved": "Your report %(code)s was resolved",
    "emergency": "Emergency numbers",
    "received": "Your report %(code)s was received",
    "resolved_not_responsible": "Your report %(code)s was answered",
    "resolved_cannot_be_done": "Your report %(code)s was answered",
    "transferred": "Your report %(code)s was passed to another agency",
    "scheduled": "Your report %(code)s: the work is planned",
    "fix_question": "Your report %(code)s: is it fixed?",
    "not_fixed_reopened": "Your report %(code)s is open again",
    "fix_thanks": "Your report %(code)s: thank you",
    "master_resolved": "Your report %(code)s: the problem was resolved",
    "contact_code": "Your code for report %(code)s",
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


def question_contact(*, session: Session, ticket: Ticket) -> str | None:
    """The key under which a resident's "stop asking me" is kept: their Zalo id, phone or
    e-mail address (the one their messages go to)."""
    zalo_contact = zalo.contact_of_ticket(session=session, ticket_id=ticket.id)
    if zalo_contact is not None:
        return f"zalo:{zalo_contact.id}"
    if ticket.reporter_phone:
        return ticket.reporter_phone
    if ticket.reporter_email:
        return ticket.reporter_email.strip().lower()
    return None


def stops_questions(*, session: Session, ticket: Ticket) -> bool:
    contact = question_contact(session=session, ticket=ticket)
    return contact is not None and session.get(QuestionOptOut, contact) is not None


def stop_questions(*, session: Session, ticket: Ticket) -> bool:
    """No more "is it fixed?" questions to this resident (about any report)."""
    contact = question_contact(session=session, ticket=ticket)
    if contact is None:
        return False
    if session.get(QuestionOptOut, contact) is None:
        session.add(QuestionOptOut(contact=contact))
        session.flush()
    return True


def _wrote_during_quiet_spell(*, session: Session, ticket: Ticket, since: datetime) -> bool:
    """The resident texted us (about this report) since the quiet spell began."""
    return (
        session.execute(
            select(col(InboundMessage.id))
            .where(
                col(InboundMessage.ticket_id) == ticket.id,
                col(InboundMessage.channel) == "sms",
                col(InboundMessage.received_at) >= since,
            )
            .limit(1)
        ).first()
        is not None
    )


def send_delay(
    *, session: Session, ticket: Ticket, channel: str, reply: bool, settings: Settings
) -> float:
    """Seconds to hold the send task: SMS waits out the quiet hours unless it answers the
    resident's own message of this quiet spell."""
    if channel != "sms":
        return 0.0
    now = utcnow()
    spell = quiet.quiet_spell_start(now, settings)
    if spell is None:
        return 0.0
    if reply or _wrote_during_quiet_spell(session=session, ticket=ticket, since=spell):
        return 0.0
    return quiet.quiet_delay(now, settings)


def message_resident(
    *,
    session: Session,
    ticket: Ticket,
    kind: str,
    values: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    settings: Settings | None = None,
    reply: bool = False,
) -> OutboundMessage | None:
    """Queue one message of this kind for the ticket's reporter, by SMS or else e-mail.

    Returns None when the resident left no contact. The (ticket, dedupe_key) pair is unique,
    so asking twice for the same message queues it once. Call in the transaction that makes the
    change the message announces; it is sent by a task after the commit, and an SMS waits out
    the quiet hours (notify.quiet) unless `reply` (or the resident texted during them).
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
    delay = send_delay(
        session=session, ticket=ticket, channel=channel, reply=reply, settings=settings
    )
    outbox.enqueue(
        session=session, task=SEND_TASK, args={"message_id": message.id}, delay_seconds=delay
    )
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
        outcome = zalo.deliver(session=session, message=message, settings=settings)
        _blank_if_secret(message)
        return outcome
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
        _blank_if_secret(message)
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
    _blank_if_secret(message)
    session.add(message)
    return message.status


def _blank_if_secret(message: OutboundMessage) -> None:
    if message.kind in EPHEMERAL_KINDS and message.status != MessageStatus.pending:
        message.body = EPHEMERAL_KINDS[message.kind]
