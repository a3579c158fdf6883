"""E-mails to staff about deadlines: reminders to the agency, escalations to heads and officials.

They subscribe to the sweep's events (`ticket.reminded`, `ticket.escalated`). Each message is an
`outbound_message` row delivered by the `notify.send` task (SMTP, or the console when SMTP is
not set), so it is sent once and retried with backoff like residents' messages. The dedupe key
names the deadline, so a repeated event queues nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core import outbox
from core.clock import as_utc, utcnow
from core.events import subscriber
from core.i18n import format_datetime, gettext
from core.settings import get_settings
from notify.models import OutboundMessage
from notify.service import SEND_TASK
from routing.models import Agency
from staff.models import Role, StaffNotice, StaffUser
from tickets import codes
from tickets.models import Ticket, TicketEvent


@dataclass(frozen=True)
class Alert:
    """One reminder or escalation that the sweep recorded."""

    ticket_id: int
    code: str
    agency_id: str | None
    kind: str  # reminder | escalation
    deadline: str  # acknowledge | resolve
    due_at: datetime

    @classmethod
    def of(cls, ticket: Ticket, event: TicketEvent) -> Alert:
        assert ticket.id is not None
        due = as_utc(datetime.fromisoformat(event.data["due_at"]))
        assert due is not None
        return cls(
            ticket_id=ticket.id,
            code=ticket.code,
            agency_id=event.data.get("agency_id"),
            kind="escalation" if event.kind == "escalated" else "reminder",
            deadline=event.data["deadline"],
            due_at=due,
        )

SUBJECTS = {
    ("reminder", "acknowledge"): "Reminder: ticket %(code)s must be acknowledged by %(due)s",
    ("reminder", "resolve"): "Reminder: ticket %(code)s must be resolved by %(due)s",
    ("escalation", "acknowledge"): "Overdue: ticket %(code)s was not acknowledged by %(due)s",
    ("escalation", "resolve"): "Overdue: ticket %(code)s was not resolved by %(due)s",
}
BODY = "%(subject)s. Agency: %(agency)s. Open the ticket: %(link)s"


def recipients(session: Session, alert: Alert) -> list[tuple[str, str]]:
    """(e-mail, language) pairs: the agency for a reminder; its heads and officials when late."""
    found: dict[str, str] = {}
    agency = session.get(Agency, alert.agency_id) if alert.agency_id else None
    if alert.kind == "reminder":
        if agency is not None and agency.email:
            found[agency.email.lower()] = "vi"
        roles: tuple[str, ...] = () if found else (Role.agent, Role.agency_head)
        officials = False
    else:
        roles = (Role.agency_head,)
        officials = True
    if roles and alert.agency_id:
        for email, language in session.execute(
            select(col(StaffUser.email), col(StaffUser.language)).where(
                col(StaffUser.agency_id) == alert.agency_id,
                col(StaffUser.role).in_(roles),
                col(StaffUser.active),
            )
        ).all():
            found.setdefault(email, language)
    if officials:
        for email, language in session.execute(
            select(col(StaffUser.email), col(StaffUser.language)).where(
                col(StaffUser.role) == Role.official, col(StaffUser.active)
            )
        ).all():
            found.setdefault(email, language)
    return sorted(found.items())


@subscriber("ticket.reminded", name="staff.deadline_reminder")
@subscriber("ticket.escalated", name="staff.deadline_escalation")
def deadline_notice(*, session: Session, ticket_id: int, event_id: int | None) -> int:
    ticket = session.get(Ticket, ticket_id)
    event = session.get(TicketEvent, event_id) if event_id is not None else None
    if ticket is None or event is None or event.ticket_id != ticket_id:
        raise LookupError(f"ticket {ticket_id} or its event {event_id} does not exist")
    return notify_deadline_alerts(session, [Alert.of(ticket, event)])


def notify_deadline_alerts(session: Session, alerts: list[Alert]) -> int:
    """Queue one e-mail per alert and recipient; a repeated alert queues nothing."""
    settings = get_settings()
    queued = 0
    for alert in alerts:
        agency = session.get(Agency, alert.agency_id) if alert.agency_id else None
        for email, language in recipients(session, alert):
            key = f"staff:{alert.kind}:{alert.deadline}:{int(alert.due_at.timestamp())}:{email}"
            exists = session.execute(
                select(col(OutboundMessage.id)).where(
                    col(OutboundMessage.ticket_id) == alert.ticket_id,
                    col(OutboundMessage.dedupe_key) == key[:120],
                )
            ).first() or session.execute(
                select(col(StaffNotice.id)).where(
                    col(StaffNotice.recipient) == email,
                    col(StaffNotice.dedupe_key) == f"{alert.ticket_id}:{key}"[:120],
                )
            ).first()
            if exists:
                continue
            due = format_datetime(alert.due_at, language, timezone=settings.city_timezone)
            subject = gettext(
                language,
                SUBJECTS[(alert.kind, alert.deadline)],
                code=codes.display(alert.code),
                due=due,
            )
            agency_name = ""
            if agency is not None:
                agency_name = agency.name_vi if language == "vi" else agency.name_en
            body = gettext(
                language,
                BODY,
                subject=subject,
                agency=agency_name,
                link=f"{settings.public_base_url}/staff/tickets/{alert.ticket_id}",
            )
            if settings.staff_digest_minutes > 0:
                queued += hold_for_digest(
                    session,
                    recipient=email,
                    language=language,
                    ticket_id=alert.ticket_id,
                    dedupe_key=f"{alert.ticket_id}:{key}"[:120],
                    kind=f"staff_{alert.kind}",
                    line=body,
                )
                continue
            message = OutboundMessage(
                ticket_id=alert.ticket_id,
                dedupe_key=key[:120],
                kind=f"staff_{alert.kind}",
                channel="email",
                recipient=email,
                language=language,
                subject=subject[:200],
                body=body,
            )
            session.add(message)
            session.flush()
            outbox.enqueue(session=session, task=SEND_TASK, args={"message_id": message.id})
            queued += 1
    return queued


# Digests -------------------------------------------------------------------------------------
# Staff and officials get their notices batched: at most one e-mail per person per
# settings.staff_digest_minutes (the first one as soon as the digest task runs, the next ones
# once the period since the last has passed). Residents' messages never come here.

DIGEST_KIND = "staff_digest"
DIGEST_SUBJECT = "Hotline 1022: %(num)s notices about your tickets"
DIGEST_INTRO = "Notices since your last summary:"
MAX_LINES_IN_DIGEST = 200


def hold_for_digest(
    session: Session,
    *,
    recipient: str,
    language: str,
    ticket_id: int | None,
    dedupe_key: str,
    kind: str,
    line: str,
) -> int:
    """Keep a notice for the recipient's next digest (once per recipient and key)."""
    try:
        with session.begin_nested():
            session.add(
                StaffNotice(
                    recipient=recipient,
                    language=language,
                    ticket_id=ticket_id,
                    dedupe_key=dedupe_key,
                    kind=kind,
                    line=line,
                )
            )
            session.flush()
    except IntegrityError:  # a repeated event: already waiting, or already sent
        return 0
    return 1


def send_digests(session: Session, *, now: datetime | None = None) -> int:
    """One e-mail per person with notices waiting, unless they had one within the period."""
    settings = get_settings()
    now = now or utcnow()
    period = timedelta(minutes=max(settings.staff_digest_minutes, 1))
    waiting = session.execute(
        select(col(StaffNotice.recipient)).where(col(StaffNotice.digest_id).is_(None)).distinct()
    ).scalars().all()
    sent = 0
    for recipient in waiting:
        last = session.execute(
            select(func.max(col(OutboundMessage.created_at))).where(
                col(OutboundMessage.recipient) == recipient,
                col(OutboundMessage.kind) == DIGEST_KIND,
            )
        ).scalar_one_or_none()
        last_at = as_utc(last)
        if last_at is not None and now - last_at < period:
            continue
        notices = list(
            session.execute(
                select(StaffNotice)
                .where(
                    col(StaffNotice.recipient) == recipient, col(StaffNotice.digest_id).is_(None)
                )
                .order_by(col(StaffNotice.created_at), col(StaffNotice.id))
                .limit(MAX_LINES_IN_DIGEST)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if not notices:
            continue
        language = notices[-1].language
        subject = gettext(language, DIGEST_SUBJECT, num=len(notices))
        body = "\n".join(
            [gettext(language, DIGEST_INTRO), *(f"- {notice.line}" for notice in notices)]
        )
        message = OutboundMessage(
            ticket_id=None,
            dedupe_key=f"{DIGEST_KIND}:{notices[0].id}",
            kind=DIGEST_KIND,
            channel="email",
            recipient=recipient,
            language=language,
            subject=subject[:200],
            body=body,
            created_at=now,
        )
        session.add(message)
        session.flush()
        for notice in notices:
            notice.digest_id = message.id
            session.add(notice)
        outbox.enqueue(session=session, task=SEND_TASK, args={"message_id": message.id})
        sent += 1
    session.flush()
    return sent
