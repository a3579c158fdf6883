"""The processing task: classify, route by the prediction, or pass to the triage desk."""

from __future__ import annotations

from sqlmodel import Session

from tests import factories
from tickets import processing
from tickets.classifier_port import Suggestion
from tickets.models import TicketEvent, TicketState


def fixed(category: str, confidence: float, *, urgent: bool = False, threshold: float = 0.6):  # type: ignore[no-untyped-def]
    def classify(text: str) -> Suggestion:
        return Suggestion(category=category, confidence=confidence, urgent=urgent,
                          emergency=False, model_version="test-v1", threshold=threshold)

    return classify


def test_without_a_model_the_ticket_goes_to_the_triage_desk(session: Session) -> None:
    ticket = factories.ticket(session)
    outcome = processing.process_ticket(session=session, ticket_id=ticket.id, classifier=None)
    assert outcome == "triage"
    assert ticket.state == TicketState.triage
    assert ticket.agency_id == "hotline_desk"


def test_a_confident_prediction_routes_to_the_category_agency(session: Session) -> None:
    ticket = factories.ticket(session)
    outcome = processing.process_ticket(session=session, ticket_id=ticket.id,
                                        classifier=fixed("water_supply", 0.93))
    assert outcome == "routed"
    assert (ticket.state, ticket.category_id, ticket.agency_id) == (
        TicketState.routed, "water_supply", "water_utility")
    assert ticket.category_set_by == "model"
    assert ticket.model_version == "test-v1"
    assert ticket.ack_due_at is not None and ticket.resolve_due_at is not None


def test_low_confidence_goes_to_triage_with_the_suggestion_kept(session: Session) -> None:
    ticket = factories.ticket(session)
    outcome = processing.process_ticket(session=session, ticket_id=ticket.id,
                                        classifier=fixed("lighting", 0.41))
    assert outcome == "triage"
    assert ticket.state == TicketState.triage
    assert ticket.category_id is None
    assert (ticket.predicted_category_id, ticket.confidence) == ("lighting", 0.41)
    classified = session.query(TicketEvent).filter_by(ticket_id=ticket.id, kind="classified").one()
    assert classified.public is False and classified.data["category_id"] == "lighting"


def test_other_goes_to_triage_even_when_confident(session: Session) -> None:
    ticket = factories.ticket(session)
    processing.process_ticket(session=session, ticket_id=ticket.id,
                              classifier=fixed("other", 0.99))
    assert ticket.state == TicketState.triage


def test_urgency_from_the_model_shortens_the_deadline(session: Session) -> None:
    ticket = factories.ticket(session)
    processing.process_ticket(session=session, ticket_id=ticket.id,
                              classifier=fixed("electricity", 0.9, urgent=True))
    assert ticket.urgent is True
    hours = (ticket.resolve_due_at - ticket.routed_at).total_seconds() / 3600
    assert hours == 24


def test_processing_twice_does_nothing_the_second_time(session: Session) -> None:
    ticket = factories.ticket(session)
    classifier = fixed("roads", 0.9)
    processing.process_ticket(session=session, ticket_id=ticket.id, classifier=classifier)
    events = session.query(TicketEvent).filter_by(ticket_id=ticket.id).count()
    again = processing.process_ticket(session=session, ticket_id=ticket.id, classifier=classifier)
    assert again == "already_processed"
    assert session.query(TicketEvent).filter_by(ticket_id=ticket.id).count() == events


def test_a_ward_rule_sends_the_category_to_the_ward_committee(session: Session) -> None:
    from routing.models import RoutingRule

    session.add(RoutingRule(category_id="public_order", area_id="26743",
                            agency_id="ward_committee"))
    session.flush()
    ticket = factories.ticket(session, area_id="26743")
    processing.process_ticket(session=session, ticket_id=ticket.id,
                              classifier=fixed("public_order", 0.9))
    assert ticket.agency_id == "ward_committee"


def test_ward_committee_category_without_a_ward_needs_the_desk(session: Session) -> None:
    from routing.models import Category

    category = session.get(Category, "public_order")
    assert category is not None
    if category.default_agency_id != "ward_committee":
        category.default_agency_id = "ward_committee"
        session.flush()
    ticket = factories.ticket(session, area_id=None, address="somewhere")
    outcome = processing.process_ticket(session=session, ticket_id=ticket.id,
                                        classifier=fixed("public_order", 0.95))
    assert outcome == "triage"
    event = session.query(TicketEvent).filter_by(ticket_id=ticket.id,
                                                 kind="sent_to_triage").one()
    assert event.data["reason"] == "needs_area"
