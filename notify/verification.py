"""A resident proves they filed a report: a one-time code sent to the phone or e-mail on file.

The code is six digits; only its HMAC (keyed with settings.secret_key and bound to the ticket)
is stored, and the message that carried it is blanked once sent (notify.service.deliver). A
ticket gets at most `contact_codes_per_hour` codes an hour; a code expires after
`contact_code_minutes`, allows `contact_code_attempts` tries, and works once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from core.clock import as_utc, utcnow
from core.errors import Conflict, Forbidden, RateLimited
from core.settings import Settings, get_settings
from notify import service
from notify.models import ContactCode
from tickets.models import Ticket

KIND = "contact_code"


def _hash(ticket: Ticket, code: str, settings: Settings) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"contact-code:{ticket.id}:{code}".encode(), hashlib.sha256).hexdigest()


def has_contact(ticket: Ticket) -> bool:
    return bool(ticket.reporter_phone or ticket.reporter_email)


def masked_contact(ticket: Ticket) -> str:
    """Where the code went, as the page may say it: +84 ••• ••• 567 or a•••@example.org."""
    if ticket.reporter_phone:
        return f"{ticket.reporter_phone[:3]} ••• ••• {ticket.reporter_phone[-3:]}"
    if ticket.reporter_email and "@" in ticket.reporter_email:
        name, domain = ticket.reporter_email.split("@", 1)
        return f"{name[:1]}•••@{domain}"
    return ""


def send_code(*, session: Session, ticket: Ticket, settings: Settings | None = None) -> ContactCode:
    """Queue a new code to the contact on file (in the caller's transaction)."""
    settings = settings or get_settings()
    if not has_contact(ticket):
        raise Conflict(
            "This report was sent without contact details: it can be followed but not rated."
        )
    since = utcnow() - timedelta(hours=1)
    recent = session.execute(
        select(func.count())
        .select_from(ContactCode)
        .where(col(ContactCode.ticket_id) == ticket.id, col(ContactCode.created_at) >= since)
    ).scalar_one()
    if recent >= settings.contact_codes_per_hour:
        raise RateLimited("Too many codes were asked for this report: try again in an hour.")
    code = f"{secrets.randbelow(10**6):06d}"
    assert ticket.id is not None
    row = ContactCode(
        ticket_id=ticket.id,
        code_hash=_hash(ticket, code, settings),
        expires_at=utcnow() + timedelta(minutes=settings.contact_code_minutes),
    )
    session.add(row)
    session.flush()
    service.message_resident(
        session=session,
        ticket=ticket,
        kind=KIND,
        values={"otp": code, "minutes": settings.contact_code_minutes},
        dedupe_key=f"{KIND}:{row.id}",
        settings=settings,
    )
    return row


def check_code(
    *, session: Session, ticket: Ticket, code: str, settings: Settings | None = None
) -> None:
    """Accept the ticket's latest unexpired code once; raise Forbidden otherwise."""
    settings = settings or get_settings()
    now = utcnow()
    row = session.execute(
        select(ContactCode)
        .where(col(ContactCode.ticket_id) == ticket.id, col(ContactCode.used_at).is_(None))
        .order_by(col(ContactCode.created_at).desc(), col(ContactCode.id).desc())
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()
    expires = as_utc(row.expires_at) if row is not None else None
    if row is None or expires is None or expires < now:
        raise Forbidden("The code has expired: ask for a new one.")
    if row.attempts >= settings.contact_code_attempts:
        raise Forbidden("Too many wrong codes: ask for a new one.")
    row.attempts += 1
    session.add(row)
    cleaned = "".join(ch for ch in (code or "") if ch.isdigit())
    if not hmac.compare_digest(row.code_hash, _hash(ticket, cleaned, settings)):
        session.flush()
        raise Forbidden("The code is not right: check it and try again.")
    row.used_at = now
    session.flush()
