""""Is it fixed?": some days after a resolution the resident is asked, on their own channel.

- `notify.plan_fix_question` (a subscriber of `ticket.resolved`, for a resolution that says
  "fixed") queues `notify.ask_if_fixed` to run the category's `fix_question_days` later
  (tickets.policy.fix_question_delay): a delayed outbox row, so it survives restarts.
- `notify.ask_if_fixed` re-reads the ticket: if that resolution still stands and the resident
  can be reached and has not said "stop asking", `workflow.ask_if_fixed` records the question
  (`ticket.fix_asked`, whose subscriber sends it) and `notify.close_fix_question` is queued for
  the end of the answer window.
- `notify.close_fix_question` records "no answer" if none came (`workflow.record_no_answer`).

The answers arrive by SMS (intake.sms), on the signed "is it fixed?" page (web), or on Zalo,
and go through `workflow.confirm_fixed` / `workflow.report_not_fixed`.
"""

from __future__ import annotations

from sqlmodel import Session

from core import outbox
from core.clock import as_utc, utcnow
from core.db import session_scope
from core.events import subscriber
from core.tasks import task
from notify import service
from routing.models import Category
from tickets import policy, workflow
from tickets import service as tickets_service
from tickets.models import Outcome, Ticket, TicketEvent, TicketState

ASK_TASK = "notify.ask_if_fixed"
CLOSE_TASK = "notify.close_fix_question"


def _fixed(ticket: Ticket) -> bool:
    return ticket.outcome in (None, Outcome.fixed)


@subscriber("ticket.resolved", name="notify.plan_fix_question", when=_fixed)
def plan_fix_question(*, session: Session, ticket_id: int, event_id: int | None) -> str:
    ticket = session.get(Ticket, ticket_id)
    event = session.get(TicketEvent, event_id) if event_id is not None else None
    if ticket is None or event is None:
        raise LookupError(f"ticket {ticket_id} or its event {event_id} does not exist")
    if (event.data.get("outcome") or Outcome.fixed) != Outcome.fixed:
        return "not_fixed_outcome"
    category = session.get(Category, ticket.category_id) if ticket.category_id else None
    # counted from the resolution, however late this subscriber runs
    due = (as_utc(event.created_at) or utcnow()) + policy.fix_question_delay(category)
    outbox.enqueue(
        session=session,
        task=ASK_TASK,
        args={"ticket_id": ticket_id, "event_id": event_id},
        delay_seconds=max(0.0, (due - utcnow()).total_seconds()),
    )
    return "planned"


def _channel(session: Session, ticket: Ticket) -> str | None:
    contact = service.question_contact(session=session, ticket=ticket)
    if contact is None:
        return None
    if contact.startswith("zalo:"):
        return "zalo"
    return "sms" if ticket.reporter_phone else "email"


def ask(*, session: Session, ticket_id: int, event_id: int) -> str:
    """Put the question, if the resolution `event_id` is still the ticket's latest and stands."""
    ticket = tickets_service.get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    latest = [
        e.id for e in tickets_service.events(session=session, ticket=ticket, public_only=False)
        if e.kind == "resolved"
    ]
    if not latest or latest[-1] != event_id:
        return "superseded"
    if ticket.state not in (TicketState.resolved, TicketState.closed) or not _fixed(ticket):
        return "not_resolved"
    if ticket.fix_answer is not None:
        return "already_asked"
    channel = _channel(session, ticket)
    if channel is None:
        return "no_contact"
    if service.stops_questions(session=session, ticket=ticket):
        return "resident_stopped_questions"
    workflow.ask_if_fixed(session=session, ticket=ticket, channel=channel)
    outbox.enqueue(
        session=session,
        task=CLOSE_TASK,
        args={"ticket_id": ticket_id},
        delay_seconds=policy.fix_answer_window().total_seconds(),
    )
    return "asked"


def close(*, session: Session, ticket_id: int) -> str:
    ticket = tickets_service.get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    if policy.may_answer_fix_question(ticket):
        return "still_open"  # a task run early (a retry): the window has not passed
    return "no_answer" if workflow.record_no_answer(session=session, ticket=ticket) else "answered"


@task(ASK_TASK)
def ask_if_fixed(*, ticket_id: int, event_id: int) -> str:
    with session_scope() as session:
        return ask(session=session, ticket_id=ticket_id, event_id=event_id)


@task(CLOSE_TASK)
def close_fix_question(*, ticket_id: int) -> str:
    with session_scope() as session:
        return close(session=session, ticket_id=ticket_id)
