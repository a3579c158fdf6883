"""Processing a new ticket: classify, route, or send to the triage desk.

An emergency raised by the learned detector alone (classify/emergency_model.py: tuned for
recall, so it raises false alarms the keyword rules would not) is never routed on the model's
word: the ticket goes to the triage desk with the reason "emergency_review" and its suggestion
kept, and a person decides. An emergency the rules name (fire, crime, medical) is routed as
usual, urgent.
"""

from __future__ import annotations

from sqlmodel import Session

from classify import emergency as emergency_rules
from routing import service as routing_service
from routing.models import Procedure
from routing.taxonomy import OTHER_CATEGORY, PROCEDURE_CATEGORY, TRIAGE_AGENCY
from tickets import dossiers, service, workflow
from tickets.classifier_port import Classifier
from tickets.models import Ticket, TicketState

EMERGENCY_REVIEW = "emergency_review"


def needs_emergency_review(ticket: Ticket) -> bool:
    """The ticket is marked an emergency but the rules see none in its text: the alarm came
    from the learned detector (at intake or in the classifier's prediction)."""
    return bool(ticket.emergency) and emergency_rules.detect(ticket.description) is None


def process_ticket(*, session: Session, ticket_id: int, classifier: Classifier | None) -> str:
    """Idempotent: a ticket that has left `received` is not touched again. Returns the outcome."""
    ticket: Ticket = service.get_ticket(session=session, ticket_id=ticket_id, for_update=True)
    if ticket.state != TicketState.received:
        return "already_processed"
    dossier = dossiers.of(session=session, ticket=ticket)
    if dossier is not None:  # the resident said which procedure: no guessing needed
        return _route_procedure(session, ticket, dossier.procedure_id)
    suggestion = classifier(ticket.description) if classifier is not None else None
    if suggestion is None:
        workflow.send_to_triage(session=session, ticket=ticket, reason="no_model")
        return "triage"

    ticket.predicted_category_id = suggestion.category
    ticket.confidence = suggestion.confidence
    ticket.model_version = suggestion.model_version
    ticket.urgent = ticket.urgent or suggestion.urgent
    ticket.emergency = ticket.emergency or suggestion.emergency
    review = needs_emergency_review(ticket)
    service.record_event(
        session=session,
        ticket=ticket,
        kind="classified",
        public=False,
        data={
            "category_id": suggestion.category,
            "confidence": round(suggestion.confidence, 4),
            "urgent": suggestion.urgent,
            "model_version": suggestion.model_version,
            "threshold": suggestion.threshold,
            "emergency": ticket.emergency,
            **({"emergency_by": "detector"} if review else {}),
        },
    )
    if review:
        workflow.send_to_triage(session=session, ticket=ticket, reason=EMERGENCY_REVIEW)
        return "triage"
    if suggestion.category == OTHER_CATEGORY or suggestion.confidence < suggestion.threshold:
        reason = "other" if suggestion.category == OTHER_CATEGORY else "low_confidence"
        workflow.send_to_triage(session=session, ticket=ticket, reason=reason)
        return "triage"

    agency_id = routing_service.pick_agency(
        session=session, category_id=suggestion.category, area_id=ticket.area_id
    )
    ticket.category_id = suggestion.category
    ticket.category_set_by = "model"
    if agency_id == TRIAGE_AGENCY:  # e.g. the ward committee, but no ward was given
        workflow.send_to_triage(session=session, ticket=ticket, reason="needs_area")
        return "triage"
    workflow.route(session=session, ticket=ticket, agency_id=agency_id, category_id=None)
    return "routed"


def _route_procedure(session: Session, ticket: Ticket, procedure_id: str) -> str:
    """A complaint about a procedure goes to the department that decides it, or to the service
    centre of its ward, with the administrative procedures' deadline."""
    procedure = session.get(Procedure, procedure_id)
    if procedure is None:
        workflow.send_to_triage(session=session, ticket=ticket, reason="unknown_procedure")
        return "triage"
    agency_id = routing_service.procedure_agency(
        session=session, procedure=procedure, area_id=ticket.area_id
    )
    ticket.category_set_by = "resident"
    if agency_id == TRIAGE_AGENCY:
        ticket.category_id = PROCEDURE_CATEGORY
        workflow.send_to_triage(session=session, ticket=ticket, reason="needs_area")
        return "triage"
    workflow.route(
        session=session,
        ticket=ticket,
        agency_id=agency_id,
        category_id=PROCEDURE_CATEGORY,
        data={"procedure_id": procedure.id},
    )
    return "routed"
