"""The one door through which a ticket changes state.

Every transition here checks the lifecycle once (tickets.lifecycle), sets the clocks by the
deadline policy (tickets.policy), writes exactly one audit event (TicketEvent) and emits exactly
one named event (`ticket.<kind>`, see EVENTS) into the outbox, all in the caller's transaction.
What reacts to a transition (messages to the resident, notices to staff, follow-ups) subscribes
to its event (core.events) in its own room; this module imports none of them.

Who may call which transition is the caller's business (staff.service.check_act for staff, a
signed link or a verified contact for residents); these functions know only the ticket's rules.

    file                 -> received                     ticket.filed
    send_to_triage       -> triage                       ticket.sent_to_triage
    route / set_category -> routed                       ticket.routed
    transfer             -> routed (another agency)      ticket.transferred
    acknowledge          -> acknowledged                 ticket.acknowledged
    start_work           -> in_progress                  ticket.work_started
    request_information  -> waiting_for_resident         ticket.info_requested
    take_answer          -> in_progress (if waiting)     ticket.info_received
    resolve              -> resolved                     ticket.resolved
    reject               -> rejected (spam, duplicate)   ticket.rejected
    reopen               -> in_progress                  ticket.reopened
    close                -> closed                       ticket.closed
    rate                 (no change of state)            ticket.rated
    schedule             -> in_progress (committed date) ticket.scheduled
    ask_if_fixed         (no change of state)            ticket.fix_asked
    confirm_fixed        (no change of state)            ticket.fix_confirmed
    report_not_fixed     -> in_progress (same agency)    ticket.not_fixed
    record_no_answer     (no change of state)            ticket.fix_unanswered
    merge                -> closed ("duplicate of ...")  ticket.merged (the master: merge_received)
    unmerge              -> the state before the merge   ticket.unmerged (the master: merge_undone)

A resolution carries an outcome (tickets.models.Outcome): fixed, not our responsibility
(explained; a transfer is `transfer`), or cannot be done. "Scheduled for a date" is not a
resolution: the ticket stays open with the date as its deadline (tickets.policy).
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core import events
from core.clock import as_utc, utcnow
from core.errors import Conflict, InvalidInput, NotFound
from places import service as places_service
from routing import service as routing_service
from routing.models import Agency, Area, Category
from routing.taxonomy import OTHER_CATEGORY, TRIAGE_AGENCY
from tickets import codes, lifecycle, policy
from tickets.models import (
    Channel,
    FixAnswer,
    InboundMessage,
    Outcome,
    Ticket,
    TicketEvent,
    TicketState,
)
from tickets.service import (
    RESIDENT,
    SYSTEM,
    Actor,
    NewAttachment,
    NewReport,
    add_attachment,
    find_inbound_ticket,
    get_by_code,
    record_event,
    remember_filed,
)

MAX_TEXT = 4000
REJECT_REASONS = ("spam", "duplicate")
RESOLUTION_OUTCOMES = (Outcome.fixed, Outcome.not_responsible, Outcome.cannot_be_done)
# the audit kind of each transition, and the event it emits (by default "ticket.<kind>")
EVENTS = {"created": "ticket.filed"}


def event_name(kind: str) -> str:
    return EVENTS.get(kind, f"ticket.{kind}")


def _emit(session: Session, ticket: Ticket, event: TicketEvent) -> None:
    assert ticket.id is not None
    events.emit(
        session=session,
        event=event_name(event.kind),
        ticket_id=ticket.id,
        event_id=event.id,
        subject=ticket,
    )


def _text(value: str | None, *, field: str, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput("Please fill in this field.", field=field)
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            "The text is too long (at most %(max)s characters).", field=field, max=MAX_TEXT
        )
    return text


def _transition(
    *,
    session: Session,
    ticket: Ticket,
    to_state: str,
    kind: str,
    actor: Actor = SYSTEM,
    message: str | None = None,
    data: dict[str, Any] | None = None,
    public: bool = True,
    checked: bool = False,
) -> TicketEvent:
    """Check, stamp the clocks, record, emit: the steps every transition shares (`checked`: the
    caller has applied a rule of its own instead of the lifecycle's table)."""
    from_state = ticket.state
    if not checked:
        lifecycle.check(from_state, to_state)
    now = utcnow()
    if from_state == TicketState.waiting_for_resident and to_state != from_state:
        policy.resume(ticket, now)
    if to_state == TicketState.waiting_for_resident:
        policy.pause(ticket, now)
    if to_state == TicketState.acknowledged and ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
    if to_state == TicketState.resolved:
        ticket.resolved_at = now
    if to_state in (TicketState.closed, TicketState.rejected):
        ticket.closed_at = now
    elif from_state == TicketState.closed:
        ticket.closed_at = None
    ticket.state = TicketState(to_state)
    ticket.updated_at = now
    session.add(ticket)
    event = record_event(
        session=session,
        ticket=ticket,
        kind=kind,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        message=message,
        data=data,
        public=public,
    )
    session.flush()
    _emit(session, ticket, event)
    return event


# Filing -----------------------------------------------------------------------------------


def file(
    *, session: Session, report: NewReport, attachments: list[NewAttachment] | None = None
) -> Ticket:
    """Store a report as a received ticket. A channel's retried delivery (same external id)
    returns the ticket it filed the first time and writes nothing."""
    if report.external_id is not None:
        existing = find_inbound_ticket(
            session=session, channel=report.channel, external_id=report.external_id
        )
        if existing is not None:
            return existing
    if report.anonymous:
        report.reporter_name = report.reporter_phone = report.reporter_email = None
    now = utcnow()
    ticket = Ticket(
        code="",
        channel=report.channel,
        language=report.language,
        state=TicketState.received,
        description=report.description,
        address=report.address,
        area_id=report.area_id,
        latitude=report.latitude,
        longitude=report.longitude,
        reporter_name=report.reporter_name,
        reporter_phone=report.reporter_phone,
        reporter_email=report.reporter_email,
        anonymous=report.anonymous,
        requested_category_id=report.requested_category_id,
        emergency=report.emergency,
        created_at=now,
        updated_at=now,
    )
    _insert_with_unique_code(session=session, ticket=ticket)
    stored = [
        add_attachment(session=session, ticket=ticket, attachment=attachment)
        for attachment in attachments or []
    ]
    created = record_event(
        session=session,
        ticket=ticket,
        kind="created",
        actor=RESIDENT,
        to_state=TicketState.received,
        data={"channel": report.channel, "emergency": report.emergency},
    )
    if report.external_id is not None:
        session.add(
            InboundMessage(
                channel=report.channel,
                external_id=report.external_id,
                ticket_id=ticket.id,
                payload=report.raw_payload,
            )
        )
    session.flush()
    _emit(session, ticket, created)
    remember_filed(session=session, ticket=ticket, created=created, attachments=stored)
    return ticket


def _insert_with_unique_code(*, session: Session, ticket: Ticket, tries: int = 5) -> None:
    """Insert the ticket under a fresh tracking code, drawing again on the rare collision. On
    PostgreSQL one ``INSERT ... ON CONFLICT (code) DO NOTHING RETURNING id`` per draw (no
    savepoint: two round trips fewer per report); elsewhere a savepoint per draw."""
    if session.get_bind().dialect.name == "postgresql":
        _insert_on_conflict(session=session, ticket=ticket, tries=tries)
        return
    for attempt in range(tries):
        ticket.code = codes.new_code()
        try:
            with session.begin_nested():
                session.add(ticket)
                session.flush()
            return
        except IntegrityError:
            if attempt == tries - 1:
                raise
            session.expunge(ticket) if ticket in session else None


def _insert_on_conflict(*, session: Session, ticket: Ticket, tries: int) -> None:
    from sqlalchemy import inspect
    from sqlalchemy.orm import make_transient_to_detached

    table = Ticket.__table__  # type: ignore[attr-defined]
    values = {
        column.key: getattr(ticket, column.key)
        for column in table.columns
        if column.key not in ("id", "code")
        and not (getattr(ticket, column.key) is None and column.default is not None)
    }
    for _ in range(tries):
        code = codes.new_code()
        new_id = session.execute(_insert_unless_code_taken(), {**values, "code": code}
                                 ).scalar_one_or_none()
        if new_id is not None:
            ticket.id, ticket.code = new_id, code
            make_transient_to_detached(ticket)  # stored: the session tracks it from here
            session.add(ticket)
            # as for a row the ORM inserted itself: a rollback makes the ticket transient
            # again, its values kept, rather than an expired row that no longer exists
            # (tests/tickets/test_workflow_events.py::test_a_rollback_drops_the_announcement)
            session._transaction._new[inspect(ticket)] = True  # type: ignore[union-attr]
            return
    raise IntegrityError("INSERT INTO ticket", {}, Exception(f"no free code in {tries} draws"))


@functools.cache
def _insert_unless_code_taken() -> Any:
    """Built once (its compiled form is cached by the parameters' names)."""
    from sqlalchemy.dialects.postgresql import insert

    table = Ticket.__table__  # type: ignore[attr-defined]
    return (insert(table).on_conflict_do_nothing(index_elements=["code"])
            .returning(table.c.id))


# Routing ----------------------------------------------------------------------------------


def route(
    *,
    session: Session,
    ticket: Ticket,
    agency_id: str,
    category_id: str | None,
    actor: Actor = SYSTEM,
    message: str | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Give the ticket to an agency and start its clocks.

    A transfer restarts the acknowledgement clock for the new agency but keeps the resident's
    resolve deadline, so passing a ticket around never buys time.
    """
    now = utcnow()
    if category_id is not None:
        ticket.category_id = category_id
    category = session.get(Category, ticket.category_id) if ticket.category_id else None
    transfer = ticket.agency_id is not None and ticket.state not in (
        TicketState.received,
        TicketState.triage,
    )
    ticket.agency_id = agency_id
    policy.start_acknowledge_clock(ticket, category, now)
    if ticket.resolve_due_at is None or not transfer:
        policy.start_resolve_clock(ticket, category, now)
    if transfer:
        ticket.transfer_count += 1
    details = {"agency_id": agency_id, "category_id": ticket.category_id, **(data or {})}
    return _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState.routed,
        kind="transferred" if transfer else "routed",
        actor=actor,
        message=message,
        data=details,
    )


def send_to_triage(
    *, session: Session, ticket: Ticket, reason: str, actor: Actor = SYSTEM
) -> TicketEvent:
    ticket.agency_id = TRIAGE_AGENCY
    return _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState.triage,
        kind="sent_to_triage",
        actor=actor,
        data={"reason": reason},
    )


def set_category(
    *,
    session: Session,
    ticket: Ticket,
    category_id: str,
    actor: Actor,
    area_id: str | None = None,
) -> TicketEvent:
    """The triage desk's choice: it routes the ticket and becomes a label for the classifier."""
    if ticket.state not in (TicketState.triage, TicketState.received):
        raise Conflict("Only tickets waiting at the triage desk can be categorized here.")
    category = session.get(Category, category_id) if category_id else None
    if category is None or not category.active or category.id == OTHER_CATEGORY:
        raise InvalidInput("Choose a category.", field="category_id", value=category_id)
    if area_id:
        if session.get(Area, area_id) is None:
            raise InvalidInput("Unknown ward %(value)s.", field="area_id", value=area_id)
        if area_id != ticket.area_id:
            _remember_place(session, ticket, area_id, actor, source="staff")
        ticket.area_id = area_id
    agency_id = routing_service.pick_agency(
        session=session, category_id=category.id, area_id=ticket.area_id
    )
    if agency_id == TRIAGE_AGENCY:
        raise InvalidInput(
            "This category goes to the ward's People's Committee: choose the ward first.",
            field="area_id",
        )
    ticket.category_set_by = "triage"
    return route(
        session=session,
        ticket=ticket,
        agency_id=agency_id,
        category_id=category.id,
        actor=actor,
        data={
            "set_by": "triage",
            "predicted_category_id": ticket.predicted_category_id,
            "confidence": ticket.confidence,
        },
    )


def set_place(
    *,
    session: Session,
    ticket: Ticket,
    area_id: str,
    actor: Actor,
    source: str = "staff",
    message: str | None = None,
) -> TicketEvent:
    """A person gives the ticket's ward: staff (at triage or later) or the resident answering
    "which ward?". It is kept as a place correction for the reader. A ticket that waits at the
    triage desk only for its ward (its category goes to the ward committee) is routed now."""
    area = session.get(Area, area_id) if area_id else None
    if area is None or not area.active:
        raise InvalidInput("Unknown ward %(value)s.", field="area_id", value=area_id)
    previous = ticket.area_id
    _remember_place(session, ticket, area.id, actor, source=source)
    ticket.area_id = area.id
    event = _same_state(
        session,
        ticket,
        kind="place_set",
        actor=actor,
        message=message,
        public=False,
        data={"area_id": area.id, "previous_area_id": previous, "source": source},
    )
    if ticket.state == TicketState.triage and ticket.category_id and (
        ticket.category_id != OTHER_CATEGORY
    ):
        agency_id = routing_service.pick_agency(
            session=session, category_id=ticket.category_id, area_id=ticket.area_id
        )
        if agency_id != TRIAGE_AGENCY:
            return route(session=session, ticket=ticket, agency_id=agency_id, category_id=None,
                         actor=actor, data={"set_by": "place"})
    return event


def _remember_place(
    session: Session, ticket: Ticket, area_id: str, actor: Actor, *, source: str
) -> None:
    text = ticket.description if not ticket.address else f"{ticket.address}. {ticket.description}"
    places_service.record_correction(
        session=session, text=text, ward_code=area_id, source=source, ticket_id=ticket.id,
        actor_id=actor.id,
    )


def transfer(
    *, session: Session, ticket: Ticket, agency_id: str, reason: str, actor: Actor
) -> TicketEvent:
    """Hand the ticket to another agency; counted in transfer_count (a routing-quality figure)."""
    reason = _text(reason, field="reason")
    agency = session.get(Agency, agency_id) if agency_id else None
    if agency is None or not agency.active:
        raise InvalidInput("Unknown agency %(value)s.", field="agency_id", value=agency_id)
    if agency_id == ticket.agency_id:
        raise InvalidInput("The ticket is already with this agency.", field="agency_id")
    lifecycle.check(ticket.state, TicketState.routed)
    if agency_id == TRIAGE_AGENCY:
        return send_to_triage(
            session=session, ticket=ticket, reason="transferred_back", actor=actor
        )
    return route(
        session=session,
        ticket=ticket,
        agency_id=agency_id,
        category_id=None,
        actor=actor,
        message=reason,
        data={"from_agency_id": ticket.agency_id, "reason": reason},
    )


# The agency's work ------------------------------------------------------------------------


def acknowledge(*, session: Session, ticket: Ticket, actor: Actor) -> TicketEvent:
    return _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState.acknowledged,
        kind="acknowledged",
        actor=actor,
        data={"agency_id": ticket.agency_id},
    )


def start_work(*, session: Session, ticket: Ticket, actor: Actor) -> TicketEvent:
    """The agency starts (or, after asking, resumes) the work. A resolved ticket goes back to
    work only by its resident's reopening (reopen): within the window, with a fresh deadline."""
    if ticket.state == TicketState.resolved:
        raise Conflict("Only the resident can reopen a resolved report.")
    return _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState.in_progress,
        kind="work_started",
        actor=actor,
    )


def request_information(
    *, session: Session, ticket: Ticket, question: str, actor: Actor
) -> TicketEvent:
    """Ask the resident; the resolve clock pauses until the answer comes (take_answer)."""
    question = _text(question, field="question")
    # a report filed on Zalo is followed there (notify links it to the resident's Zalo contact)
    reachable = ticket.reporter_phone or ticket.reporter_email or ticket.channel == Channel.zalo
    if not reachable:
        raise Conflict(
            "The resident left no phone number or e-mail address: they cannot be asked.",
            field="question",
        )
    return _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState.waiting_for_resident,
        kind="info_requested",
        actor=actor,
        message=question,
    )


def take_answer(
    *,
    session: Session,
    ticket: Ticket,
    text: str,
    channel: str,
    attachments: list[NewAttachment] | None = None,
) -> TicketEvent:
    """The resident's words (and photos) join the ticket; if the agency was waiting, its clock
    resumes."""
    data: dict[str, Any] = {"channel": channel}
    stored = [
        add_attachment(session=session, ticket=ticket, attachment=attachment)
        for attachment in attachments or []
    ]
    if stored:
        data["attachments"] = [row.id for row in stored]
    if ticket.state == TicketState.waiting_for_resident:
        return _transition(
            session=session,
            ticket=ticket,
            to_state=TicketState.in_progress,
            kind="info_received",
            actor=RESIDENT,
            message=text,
            data=data,
        )
    return _same_state(
        session, ticket, kind="info_received", actor=RESIDENT, message=text, data=data
    )


def add_note(*, session: Session, ticket: Ticket, text: str, actor: Actor) -> TicketEvent:
    """An internal note: no change of state, never public, nothing to announce."""
    event = record_event(
        session=session,
        ticket=ticket,
        kind="note",
        actor=actor,
        message=_text(text, field="note"),
        public=False,
    )
    session.flush()
    return event


def resolve(
    *,
    session: Session,
    ticket: Ticket,
    resolution: str,
    actor: Actor,
    outcome: str = Outcome.fixed,
) -> TicketEvent:
    """The agency's answer, with what it says happened: fixed, not its responsibility (and
    why), or cannot be done. A fresh resolution starts a fresh "is it fixed?" question."""
    resolution = _text(resolution, field="resolution")
    if outcome not in RESOLUTION_OUTCOMES:
        raise InvalidInput("Unknown outcome %(value)s.", field="outcome", value=str(outcome)[:40])
    lifecycle.check(ticket.state, TicketState.resolved)
    ticket.resolution = resolution
    ticket.outcome = Outcome(outcome)
    ticket.fix_answer = ticket.fix_asked_at = ticket.fix_answered_at = None
    return _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState.resolved,
        kind="resolved",
        actor=actor,
        message=resolution,
        data={"reopen_count": ticket.reopen_count, "outcome": str(outcome)},
    )


def schedule(
    *, session: Session, ticket: Ticket, day: date, note: str, actor: Actor
) -> TicketEvent:
    """The agency commits to a date: the ticket stays open and the date becomes its resolve
    deadline (tickets.policy.schedule_clock), shown on the public page."""
    note = _text(note, field="note")
    if not isinstance(day, date):
        raise InvalidInput("Give the date the work is planned for.", field="scheduled_for")
    policy.check_schedule_date(day)
    if ticket.state not in (TicketState.acknowledged, TicketState.in_progress):
        raise Conflict("Only an acknowledged report can be scheduled.")
    policy.schedule_clock(ticket, day)
    ticket.outcome = Outcome.scheduled
    data = {"scheduled_for": day.isoformat(), "agency_id": ticket.agency_id}
    if ticket.state == TicketState.acknowledged:
        return _transition(
            session=session,
            ticket=ticket,
            to_state=TicketState.in_progress,
            kind="scheduled",
            actor=actor,
            message=note,
            data=data,
        )
    return _same_state(session, ticket, kind="scheduled", actor=actor, message=note, data=data)


def _same_state(
    session: Session,
    ticket: Ticket,
    *,
    kind: str,
    actor: Actor = SYSTEM,
    message: str | None = None,
    data: dict[str, Any] | None = None,
    public: bool = True,
) -> TicketEvent:
    """A step that changes no state: one audit event, one named event."""
    ticket.updated_at = utcnow()
    session.add(ticket)
    event = record_event(
        session=session,
        ticket=ticket,
        kind=kind,
        actor=actor,
        from_state=ticket.state,
        to_state=ticket.state,
        message=message,
        data=data,
        public=public,
    )
    session.flush()
    _emit(session, ticket, event)
    return event


def reject(
    *,
    session: Session,
    ticket: Ticket,
    reason: str,
    actor: Actor,
    duplicate_of: str | None = None,
    note: str | None = None,
) -> TicketEvent:
    """Reject as spam, or as a duplicate of another ticket (given by id or tracking code)."""
    if reason not in REJECT_REASONS:
        raise InvalidInput("Unknown reason %(value)s.", field="reason", value=reason)
    data: dict[str, Any] = {"reason": reason}
    message = _text(note, field="note", required=False) or None
    if reason == "duplicate":
        original = _find_ticket(session=session, reference=duplicate_of or "")
        if original.id == ticket.id:
            raise InvalidInput("A ticket cannot duplicate itself.", field="duplicate_of")
        if original.duplicate_of_id == ticket.id:
            raise InvalidInput(
                "That ticket is already a duplicate of this one.", field="duplicate_of"
            )
        lifecycle.check(ticket.state, TicketState.rejected)
        ticket.duplicate_of_id = original.id
        data["duplicate_of"] = original.code
    return _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState.rejected,
        kind="rejected",
        actor=actor,
        message=message,
        data=data,
    )


def _find_ticket(*, session: Session, reference: str) -> Ticket:
    reference = reference.strip()
    if not reference:
        raise InvalidInput("Give the tracking code of the original ticket.", field="duplicate_of")
    if reference.isdigit() and len(reference) < 12:
        found = session.get(Ticket, int(reference))
        if found is not None:
            return found
    try:
        return get_by_code(session=session, code=reference)
    except (NotFound, InvalidInput) as error:
        raise NotFound(
            "No ticket has the tracking code %(value)s.", field="duplicate_of", value=reference
        ) from error


# The resident's side ----------------------------------------------------------------------


def find_ticket(*, session: Session, reference: str) -> Ticket:
    """A ticket by id or tracking code (NotFound otherwise)."""
    return _find_ticket(session=session, reference=reference)


def can_reopen(ticket: Ticket) -> bool:
    return policy.within_reopen_window(ticket)


def can_rate(ticket: Ticket) -> bool:
    if ticket.state not in (TicketState.resolved, TicketState.closed):
        return False
    rated, resolved = as_utc(ticket.rated_at), as_utc(ticket.resolved_at)
    return rated is None or (resolved is not None and rated < resolved)


def rate(
    *, session: Session, ticket: Ticket, rating: int, comment: str | None = None
) -> TicketEvent:
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput("The rating is a number from 1 to 5.", field="rating", value=rating)
    if ticket.state not in (TicketState.resolved, TicketState.closed):
        raise Conflict("Only a resolved report can be rated.")
    if not can_rate(ticket):
        raise Conflict("This answer has already been rated.")
    ticket.rating = rating
    ticket.rated_at = utcnow()
    return _same_state(
        session,
        ticket,
        kind="rated",
        actor=RESIDENT,
        message=_text(comment, field="comment", required=False) or None,
        data={"rating": rating},
    )


def reopen(*, session: Session, ticket: Ticket, reason: str) -> TicketEvent:
    """Within the reopen window: the agency gets a fresh resolve deadline, and the reminder and
    escalation of that deadline will come again."""
    reason = _text(reason, field="reason")
    if ticket.state != TicketState.resolved:
        raise Conflict("Only a resolved report can be reopened.")
    if not can_reopen(ticket):
        raise Conflict(
            "A report can be reopened only within %(days)s days of its resolution.",
            days=policy.reopen_window_days(),
        )
    category = session.get(Category, ticket.category_id) if ticket.category_id else None
    ticket.reopen_count += 1
    policy.start_resolve_clock(ticket, category, utcnow())
    return _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState.in_progress,
        kind="reopened",
        actor=RESIDENT,
        message=reason,
        data={"reopen_count": ticket.reopen_count},
    )


def close(
    *, session: Session, ticket: Ticket, reason: str, actor: Actor = SYSTEM
) -> TicketEvent:
    """A resolved ticket becomes final (the sweep, once the reopen window has passed)."""
    return _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState.closed,
        kind="closed",
        actor=actor,
        data={"reason": reason},
    )


# "Is it fixed?" ---------------------------------------------------------------------------


def ask_if_fixed(*, session: Session, ticket: Ticket, channel: str) -> TicketEvent:
    """The question was put to the resident (by `channel`) about the latest resolution."""
    if ticket.state not in (TicketState.resolved, TicketState.closed):
        raise Conflict("Only a resolved report can be followed up.")
    if ticket.outcome not in (None, Outcome.fixed):
        raise Conflict("Only a report resolved as fixed can be followed up.")
    if ticket.fix_answer is not None:
        raise Conflict("The resident was already asked about this resolution.")
    ticket.fix_answer = FixAnswer.asked
    ticket.fix_asked_at = utcnow()
    return _same_state(
        session, ticket, kind="fix_asked", data={"channel": channel}, public=False
    )


def confirm_fixed(
    *, session: Session, ticket: Ticket, channel: str, text: str | None = None
) -> TicketEvent:
    """The resident says it is fixed."""
    if not policy.may_answer_fix_question(ticket):
        raise Conflict("This question is no longer open.")
    ticket.fix_answer = FixAnswer.fixed
    ticket.fix_answered_at = utcnow()
    words = _text(text, field="text", required=False) or None
    # public: the step shows on the status page, the resident's words do not (tickets.public)
    return _same_state(
        session,
        ticket,
        kind="fix_confirmed",
        actor=RESIDENT,
        message=words,
        data={"channel": channel},
    )


def report_not_fixed(
    *, session: Session, ticket: Ticket, text: str, channel: str
) -> TicketEvent:
    """The resident says it is not fixed: the ticket goes back to the same agency with their
    words and a fresh resolve deadline, even past the reopen window (it counts against the
    agency's fix rate: not_fixed_count)."""
    text = _text(text, field="text")
    if not policy.may_answer_fix_question(ticket) and not can_reopen(ticket):
        raise Conflict("This question is no longer open.")
    if ticket.state not in lifecycle.NOT_FIXED_FROM:
        raise Conflict("Only a resolved report can be reopened.")
    category = session.get(Category, ticket.category_id) if ticket.category_id else None
    ticket.fix_answer = FixAnswer.not_fixed
    ticket.fix_answered_at = utcnow()
    ticket.not_fixed_count += 1
    ticket.reopen_count += 1
    policy.start_resolve_clock(ticket, category, utcnow())
    return _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState.in_progress,
        kind="not_fixed",
        actor=RESIDENT,
        message=text,
        data={
            "channel": channel,
            "agency_id": ticket.agency_id,
            "reopen_count": ticket.reopen_count,
        },
        checked=True,
    )


def record_no_answer(*, session: Session, ticket: Ticket) -> TicketEvent | None:
    """The answer window passed in silence: recorded as no answer (None if it was answered)."""
    if ticket.fix_answer != FixAnswer.asked:
        return None
    ticket.fix_answer = FixAnswer.no_answer
    return _same_state(session, ticket, kind="fix_unanswered", public=False)


# Duplicates: one problem, one ticket ------------------------------------------------------


def merge(
    *, session: Session, ticket: Ticket, master: Ticket, actor: Actor, note: str | None = None
) -> TicketEvent:
    """Close an open ticket as a duplicate of `master` (which keeps its own deadline). Both
    audit trails show the merge; the duplicate's reporter follows the master (notify)."""
    message = _text(note, field="note", required=False) or None
    if master.id == ticket.id:
        raise InvalidInput("A ticket cannot duplicate itself.", field="master")
    if ticket.state not in lifecycle.OPEN_STATES:
        raise Conflict("Only an open ticket can be merged into another.")
    if master.duplicate_of_id is not None or master.state in lifecycle.FINAL_STATES:
        raise InvalidInput(
            "Ticket %(code)s cannot take duplicates: it is closed or itself merged.",
            field="master",
            code=master.code,
        )
    from_state = ticket.state
    ticket.duplicate_of_id = master.id
    event = _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState.closed,
        kind="merged",
        actor=actor,
        message=message,
        data={"duplicate_of": master.code, "from_state": str(from_state)},
        checked=True,
    )
    _same_state(
        session,
        master,
        kind="merge_received",
        actor=actor,
        data={"duplicate": ticket.code},
        public=False,
    )
    return event


def unmerge(*, session: Session, ticket: Ticket, actor: Actor) -> TicketEvent:
    """Undo a merge: the ticket goes back to the state it had, with its own deadline."""
    if ticket.duplicate_of_id is None or ticket.state != TicketState.closed:
        raise Conflict("This ticket is not merged into another.")
    merged = session.execute(
        select(TicketEvent)
        .where(col(TicketEvent.ticket_id) == ticket.id, col(TicketEvent.kind) == "merged")
        .order_by(col(TicketEvent.id).desc())
        .limit(1)
    ).scalar_one_or_none()
    back_to = (merged.data if merged is not None else {}).get("from_state") or "triage"
    master = session.get(Ticket, ticket.duplicate_of_id)
    ticket.duplicate_of_id = None
    event = _transition(
        session=session,
        ticket=ticket,
        to_state=TicketState(back_to),
        kind="unmerged",
        actor=actor,
        data={"duplicate_of": master.code if master else None},
        checked=True,
    )
    if master is not None:
        _same_state(
            session,
            master,
            kind="merge_undone",
            actor=actor,
            data={"duplicate": ticket.code},
            public=False,
        )
    return event
