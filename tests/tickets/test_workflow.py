"""The workflow's transitions on a ticket, by staff and residents: each one, and its refusal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from notify.models import OutboundMessage
from tests import factories
from tickets import corrections, links, workflow
from tickets.models import Ticket, TicketEvent

STAFF = workflow.Actor(type="staff", id=7, label="Agent Lan")
PHONE = "+84901234567"


def messages(session: Session, ticket: Ticket) -> list[OutboundMessage]:
    """What the resident was sent, once the workflow's events have reached their subscribers."""
    factories.deliver_events(session)
    return list(
        session.execute(
            select(OutboundMessage)
            .where(OutboundMessage.ticket_id == ticket.id)
            .order_by(OutboundMessage.id)
        ).scalars()
    )


def last_event(session: Session, ticket: Ticket) -> TicketEvent:
    return session.execute(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).scalar_one()


@pytest.fixture
def ticket(pg_session: Session) -> Ticket:
    return factories.routed_ticket(pg_session, category_id="roads", reporter_phone=PHONE)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


def test_acknowledge_records_and_tells_the_resident_once(pg_session, ticket) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    assert ticket.state == "acknowledged" and ticket.acknowledged_at is not None
    event = last_event(pg_session, ticket)
    assert (event.kind, event.actor_label, event.to_state) == (
        "acknowledged",
        "Agent Lan",
        "acknowledged",
    )
    sent = messages(pg_session, ticket)
    # the receipt with the tracking code went when it was filed; the acknowledgement once
    assert [m.kind for m in sent] == ["received", "acknowledged"]
    assert "Sở Giao thông Vận tải" in sent[1].body  # the agency, in the resident's language


def test_acknowledge_twice_is_refused(pg_session, ticket) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    with pytest.raises(IllegalTransition):
        workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)


def test_start_work_only_after_acknowledging(pg_session, ticket) -> None:
    with pytest.raises(IllegalTransition):
        workflow.start_work(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.start_work(session=pg_session, ticket=ticket, actor=STAFF)
    assert ticket.state == "in_progress"


def test_transfer_needs_a_reason_and_counts(pg_session, ticket) -> None:
    with pytest.raises(InvalidInput):
        workflow.transfer(
            session=pg_session, ticket=ticket, agency_id="drainage", reason=" ", actor=STAFF
        )
    due = ticket.resolve_due_at
    workflow.transfer(
        session=pg_session,
        ticket=ticket,
        agency_id="drainage",
        reason="It is a blocked drain, not the road",
        actor=STAFF,
    )
    assert ticket.agency_id == "drainage" and ticket.state == "routed"
    assert ticket.transfer_count == 1
    assert ticket.resolve_due_at == due  # a transfer never buys time
    event = last_event(pg_session, ticket)
    assert event.kind == "transferred"
    assert event.data["from_agency_id"] == "transport"
    assert event.message == "It is a blocked drain, not the road"


def test_transfer_to_unknown_or_same_agency_is_refused(pg_session, ticket) -> None:
    for agency in ("nowhere", "transport"):
        with pytest.raises(InvalidInput):
            workflow.transfer(
                session=pg_session, ticket=ticket, agency_id=agency, reason="r", actor=STAFF
            )
    assert ticket.transfer_count == 0


def test_transfer_refused_while_waiting_for_the_resident(pg_session, ticket) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.request_information(session=pg_session, ticket=ticket, question="Q?", actor=STAFF)
    with pytest.raises(IllegalTransition):
        workflow.transfer(
            session=pg_session, ticket=ticket, agency_id="drainage", reason="r", actor=STAFF
        )


def test_request_information_pauses_and_links_to_the_answer_page(pg_session, ticket) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.request_information(
        session=pg_session, ticket=ticket, question="Which house number?", actor=STAFF
    )
    assert ticket.state == "waiting_for_resident" and ticket.paused_at is not None
    asked = [m for m in messages(pg_session, ticket) if m.kind == "info_requested"]
    assert len(asked) == 1
    assert "Which house number?" in asked[0].body
    assert f"/status/{ticket.code}/answer?t=" in asked[0].body


def test_request_information_refused_before_acknowledging(pg_session, ticket) -> None:
    with pytest.raises(IllegalTransition):
        workflow.request_information(session=pg_session, ticket=ticket, question="Q?", actor=STAFF)


def test_request_information_refused_without_contact(pg_session) -> None:
    anonymous = factories.routed_ticket(pg_session, anonymous=True, reporter_phone=PHONE)
    workflow.acknowledge(session=pg_session, ticket=anonymous, actor=STAFF)
    with pytest.raises(Conflict):
        workflow.request_information(
            session=pg_session, ticket=anonymous, question="Q?", actor=STAFF
        )
    assert anonymous.state == "acknowledged"


def test_internal_note_is_not_public_and_changes_no_state(pg_session, ticket) -> None:
    workflow.add_note(session=pg_session, ticket=ticket, text="Called the contractor", actor=STAFF)
    event = last_event(pg_session, ticket)
    assert (event.kind, event.public, event.message) == ("note", False, "Called the contractor")
    assert ticket.state == "routed"
    with pytest.raises(InvalidInput):
        workflow.add_note(session=pg_session, ticket=ticket, text="", actor=STAFF)


def test_resolve_sends_the_rating_link_of_this_ticket(pg_session, ticket) -> None:
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.resolve(
        session=pg_session, ticket=ticket, resolution="Patched on 3 March.", actor=STAFF
    )
    assert ticket.state == "resolved" and ticket.resolution == "Patched on 3 March."
    resolved = [m for m in messages(pg_session, ticket) if m.kind == "resolved"]
    assert len(resolved) == 1
    token = resolved[0].body.split("/rate?t=")[1].split("&")[0]
    links.check_token(token, ticket=ticket, purpose="rate")  # raises if not this ticket's


def test_resolve_needs_a_resolution_and_an_acknowledged_ticket(pg_session, ticket) -> None:
    with pytest.raises(IllegalTransition):
        workflow.resolve(session=pg_session, ticket=ticket, resolution="Done", actor=STAFF)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    with pytest.raises(InvalidInput):
        workflow.resolve(session=pg_session, ticket=ticket, resolution="  ", actor=STAFF)
    assert ticket.state == "acknowledged" and ticket.resolution is None


def test_reject_as_spam(pg_session, ticket) -> None:
    workflow.reject(session=pg_session, ticket=ticket, reason="spam", actor=STAFF)
    assert ticket.state == "rejected" and ticket.closed_at is not None
    assert last_event(pg_session, ticket).data == {"reason": "spam"}


def test_reject_as_duplicate_links_the_original(pg_session, ticket) -> None:
    original = factories.routed_ticket(pg_session)
    workflow.reject(
        session=pg_session,
        ticket=ticket,
        reason="duplicate",
        duplicate_of=original.code.lower(),
        actor=STAFF,
    )
    assert ticket.duplicate_of_id == original.id
    assert last_event(pg_session, ticket).data["duplicate_of"] == original.code


def test_reject_refusals(pg_session, ticket) -> None:
    with pytest.raises(InvalidInput):
        workflow.reject(session=pg_session, ticket=ticket, reason="boring", actor=STAFF)
    with pytest.raises(InvalidInput):
        workflow.reject(
            session=pg_session, ticket=ticket, reason="duplicate", duplicate_of="", actor=STAFF
        )
    with pytest.raises(NotFound):
        workflow.reject(
            session=pg_session,
            ticket=ticket,
            reason="duplicate",
            duplicate_of="ZZZZ-ZZZZ",
            actor=STAFF,
        )
    with pytest.raises(InvalidInput):
        workflow.reject(
            session=pg_session,
            ticket=ticket,
            reason="duplicate",
            duplicate_of=ticket.code,
            actor=STAFF,
        )
    assert ticket.state == "routed" and ticket.duplicate_of_id is None
    workflow.reject(session=pg_session, ticket=ticket, reason="spam", actor=STAFF)
    with pytest.raises(IllegalTransition):
        workflow.reject(session=pg_session, ticket=ticket, reason="spam", actor=STAFF)


def test_triage_category_routes_and_becomes_a_training_label(pg_session) -> None:
    waiting = factories.ticket(pg_session, area_id="26743")

    workflow.send_to_triage(session=pg_session, ticket=waiting, reason="low_confidence")
    workflow.set_category(
        session=pg_session, ticket=waiting, category_id="public_order", actor=STAFF
    )
    assert waiting.state == "routed"
    assert waiting.agency_id == "ward_committee"  # public order goes to the ward's committee
    assert waiting.category_set_by == "triage"
    assert waiting.transfer_count == 0
    labels = corrections.staff_labels(session=pg_session)
    assert {"text": waiting.description, "lang": "vi", "category": "public_order"} in [
        {k: v for k, v in label.items() if k != "source"} for label in labels
    ]


def test_triage_refusals(pg_session, ticket) -> None:
    waiting = factories.ticket(pg_session, area_id=None)

    workflow.send_to_triage(session=pg_session, ticket=waiting, reason="other")
    for category in ("other", "nonsense", ""):
        with pytest.raises(InvalidInput):
            workflow.set_category(
                session=pg_session, ticket=waiting, category_id=category, actor=STAFF
            )
    with pytest.raises(InvalidInput):  # the ward committee needs a ward
        workflow.set_category(
            session=pg_session, ticket=waiting, category_id="public_order", actor=STAFF
        )
    workflow.set_category(
        session=pg_session,
        ticket=waiting,
        category_id="public_order",
        area_id="26743",
        actor=STAFF,
    )
    assert waiting.agency_id == "ward_committee" and waiting.area_id == "26743"
    with pytest.raises(Conflict):  # an already routed ticket is not re-sorted here
        workflow.set_category(session=pg_session, ticket=ticket, category_id="waste", actor=STAFF)


def resolved(session: Session) -> Ticket:
    ticket = factories.routed_ticket(session, category_id="roads", reporter_phone=PHONE)
    workflow.acknowledge(session=session, ticket=ticket, actor=STAFF)
    workflow.resolve(session=session, ticket=ticket, resolution="Patched.", actor=STAFF)
    return ticket


def test_rating_once_per_resolution(pg_session) -> None:
    ticket = resolved(pg_session)
    workflow.rate(session=pg_session, ticket=ticket, rating=4)
    assert ticket.rating == 4 and ticket.rated_at is not None
    with pytest.raises(Conflict):
        workflow.rate(session=pg_session, ticket=ticket, rating=5)
    for bad in (0, 6):
        with pytest.raises(InvalidInput):
            workflow.rate(session=pg_session, ticket=ticket, rating=bad)


def test_rating_an_open_ticket_is_refused(pg_session, ticket) -> None:
    with pytest.raises(Conflict):
        workflow.rate(session=pg_session, ticket=ticket, rating=5)


def test_reopen_within_seven_days_gives_a_new_deadline(pg_session, clock) -> None:
    ticket = resolved(pg_session)
    clock[0] += timedelta(days=6, hours=23)
    workflow.reopen(session=pg_session, ticket=ticket, reason="Still a hole")
    assert ticket.state == "in_progress" and ticket.reopen_count == 1
    assert ticket.resolve_due_at > clock[0]
    assert last_event(pg_session, ticket).kind == "reopened"
    # resolved again: a second resolution message (with a fresh rating link) goes out
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Repaved.", actor=STAFF)
    assert [m.kind for m in messages(pg_session, ticket)].count("resolved") == 2


def test_reopen_after_seven_days_is_refused(pg_session, clock) -> None:
    ticket = resolved(pg_session)
    clock[0] += timedelta(days=7, minutes=1)
    with pytest.raises(Conflict):
        workflow.reopen(session=pg_session, ticket=ticket, reason="Still a hole")
    assert ticket.state == "resolved"


def test_reopen_needs_a_reason_and_a_resolved_ticket(pg_session, ticket) -> None:
    with pytest.raises(Conflict):
        workflow.reopen(session=pg_session, ticket=ticket, reason="why")
    done = resolved(pg_session)
    with pytest.raises(InvalidInput):
        workflow.reopen(session=pg_session, ticket=done, reason="")
