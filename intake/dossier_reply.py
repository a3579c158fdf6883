"""`MHS <code>` by SMS or Zalo: the resident sends the dossier code the hotline asked for
(notify/dossier_question.py); it joins their newest open report about a procedure."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlmodel import Session, col

from core.i18n import gettext
from intake.procedures import DOSSIER_CODE
from routing.taxonomy import PROCEDURE_CATEGORY
from tickets import codes, dossiers
from tickets.lifecycle import OPEN_STATES
from tickets.models import Ticket

COMMAND = re.compile(r"^\s*(?:MHS|MA\s*HS|MÃ\s*HS|DOSSIER)\s*[:#]?\s*(\S+)\s*$", re.IGNORECASE)


def parse(body: str) -> str | None:
    """The code after the keyword, or None when the text is no such command."""
    match = COMMAND.match(body or "")
    return match.group(1) if match else None


def answer(*, session: Session, phone: str, code: str, language: str, channel: str) -> str:
    """`MHS <code>` by SMS: the code joins the newest open procedure report of this number."""
    ticket = None
    if DOSSIER_CODE.match(code):
        ticket = session.execute(
            select(Ticket)
            .where(
                col(Ticket.reporter_phone) == phone,
                col(Ticket.category_id) == PROCEDURE_CATEGORY,
                col(Ticket.state).in_([state.value for state in OPEN_STATES]),
            )
            .order_by(col(Ticket.id).desc())
            .limit(1)
        ).scalar_one_or_none()
    return attach(session=session, ticket=ticket, code=code, language=language, channel=channel)


def attach(
    *, session: Session, ticket: Ticket | None, code: str, language: str, channel: str
) -> str:
    """Attach the code to the resident's open procedure report (found by the channel) and say
    so, or say why not (a malformed code, no such report)."""
    if not DOSSIER_CODE.match(code):
        return gettext(
            language,
            "Hotline 1022: a dossier code has 4 to 40 letters, digits, dots, dashes or slashes, "
            "as printed on the receipt. Reply MHS followed by the code.",
        )
    if ticket is None:
        return gettext(
            language,
            "Hotline 1022: we found no open report of yours about an administrative procedure.",
        )
    dossiers.add_code(session=session, ticket=ticket, code=code, channel=channel)
    return gettext(
        language,
        "Hotline 1022: thank you, the dossier code was added to report %(code)s. It is never "
        "published.",
        code=codes.display(ticket.code),
    )
