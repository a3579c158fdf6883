"""A report about an administrative procedure that came by SMS, phone or Zalo rarely carries
its dossier code: once it is routed, the resident is asked for it (answered with "MHS <code>",
intake/sms.py)."""

from __future__ import annotations

from sqlmodel import Session

from core.events import subscriber
from notify import service
from routing.taxonomy import PROCEDURE_CATEGORY
from tickets import dossiers
from tickets.models import Channel, Ticket

ASKED_ON = frozenset({Channel.sms, Channel.phone, Channel.zalo})


def _about_a_procedure(ticket: Ticket) -> bool:
    return ticket.category_id == PROCEDURE_CATEGORY and ticket.channel in ASKED_ON


@subscriber("ticket.routed", name="notify.dossier_code_question", when=_about_a_procedure)
def ask_for_the_dossier_code(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise LookupError(f"ticket {ticket_id} does not exist")
    if not _about_a_procedure(ticket):
        return "not_about_a_procedure"
    known = dossiers.of(session=session, ticket=ticket)
    if known is not None and known.dossier_code:
        return "code_known"
    queued = service.message_resident(
        session=session, ticket=ticket, kind="dossier_code_asked", dedupe_key="dossier_code_asked"
    )
    return "queued" if queued else "no_contact"
