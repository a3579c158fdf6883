"""An alarm of the learned emergency detector is reviewed by a person (issue 15).

The detector is tuned for recall and raises false alarms the keyword rules would not (a burst
water main with nobody at risk). The resident still gets the emergency numbers and the
tracking code at once, but the ticket is filed as usual and waits at the triage desk, marked an
emergency, with the reason "emergency_review"; it is never routed on the model's word alone.
An emergency the rules name is routed as usual (urgent).

The detector here is a stand-in that flags every text, so these tests need no trained model.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from classify import emergency as rules
from classify import emergency_model
from intake import filing
from staff import queue
from tests import factories
from tickets import processing
from tickets.classifier_port import Suggestion
from tickets.models import Ticket, TicketEvent, TicketState

# the rules see no emergency here; a recall-first detector may
BURST_MAIN = ("Ống nước chính trước chợ Bến Thành bị vỡ, nước phun lên cao, tràn ra đường, "
              "người đi đường phải tránh.")
FIRE = "Nhà số 12 hẻm 45 đang cháy lớn, có người kẹt bên trong, cứu với!"


class AlwaysAlarmed:
    """A learned detector that flags every text (a rescue)."""

    threshold = 0.5

    def kinds(self, texts: list[str]) -> list[str | None]:
        return ["rescue" for _ in texts]


@pytest.fixture
def alarmed_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emergency_model, "served", lambda: AlwaysAlarmed())


def confident(category: str, *, emergency: bool) -> Any:
    def classify(text: str) -> Suggestion:
        return Suggestion(category=category, confidence=0.97, urgent=emergency,
                          emergency=emergency, model_version="test-v1", threshold=0.6)

    return classify


def file(session: Session, text: str) -> filing.Filed:
    return filing.file_report(session=session, report=factories.report(description=text))


def triage_reason(session: Session, ticket: Ticket) -> str | None:
    event = (session.query(TicketEvent)
             .filter_by(ticket_id=ticket.id, kind="sent_to_triage").one_or_none())
    return None if event is None else str(event.data["reason"])


def test_a_detector_alarm_is_filed_and_waits_at_the_triage_desk(
    session: Session, alarmed_detector: None
) -> None:
    assert rules.detect(BURST_MAIN) is None
    filed = file(session, BURST_MAIN)
    assert filed.emergency_kind == "rescue"  # the door answers with the emergency numbers
    ticket = filed.ticket
    assert ticket.emergency and ticket.code  # and files it, with a tracking code

    outcome = processing.process_ticket(session=session, ticket_id=ticket.id,
                                        classifier=confident("water_supply", emergency=True))

    assert outcome == "triage"
    assert ticket.state == TicketState.triage and ticket.agency_id == "hotline_desk"
    assert triage_reason(session, ticket) == processing.EMERGENCY_REVIEW
    assert ticket.emergency
    assert (ticket.predicted_category_id, ticket.category_id) == ("water_supply", None)
    # at the top of the desk, with the emergencies (above the ordinary queue)
    assert ticket.id in [t.id for t in queue.triage_emergencies(session=session)]
    classified = session.query(TicketEvent).filter_by(ticket_id=ticket.id,
                                                      kind="classified").one()
    assert classified.data["emergency_by"] == "detector"


def test_an_alarm_raised_only_by_the_classifiers_prediction_is_reviewed_too(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emergency_model, "served", lambda: None)
    ticket = file(session, BURST_MAIN).ticket  # no detector served at intake: no alarm yet
    assert not ticket.emergency

    processing.process_ticket(session=session, ticket_id=ticket.id,
                              classifier=confident("water_supply", emergency=True))

    assert ticket.emergency and ticket.state == TicketState.triage
    assert triage_reason(session, ticket) == processing.EMERGENCY_REVIEW


def test_an_emergency_the_rules_name_is_routed_at_once(
    session: Session, alarmed_detector: None
) -> None:
    assert rules.detect(FIRE) == "fire"
    filed = file(session, FIRE)
    assert filed.emergency_kind == "fire"

    outcome = processing.process_ticket(session=session, ticket_id=filed.ticket.id,
                                        classifier=confident("security", emergency=True))

    assert outcome == "routed"
    assert filed.ticket.state == TicketState.routed and filed.ticket.urgent
    assert triage_reason(session, filed.ticket) is None


def test_a_report_without_any_alarm_is_routed_as_before(session: Session) -> None:
    ticket = file(session, BURST_MAIN).ticket
    outcome = processing.process_ticket(session=session, ticket_id=ticket.id,
                                        classifier=confident("water_supply", emergency=False))
    assert outcome == "routed" and not ticket.emergency
