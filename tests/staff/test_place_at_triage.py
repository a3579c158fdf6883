"""Triage sees "place unknown" with what the text may mean, sets the ward, and that routes."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from intake import filing
from places.models import PlaceCorrection
from routing.models import Category
from tests.staff import helpers
from tests.tickets.test_processing import fixed
from tickets import processing, service
from tickets.models import TicketEvent

CHANH_HUNG = "27418"  # one of the wards of the former Quận 8 (hand-checked)


def test_triage_sets_the_ward_of_a_ticket_waiting_for_it_and_the_ticket_is_routed(
    pg_session: Session, pg_client
) -> None:
    category = pg_session.get(Category, "public_order")
    assert category is not None
    category.default_agency_id = "ward_committee"
    report = service.NewReport(description="Hàng rong lấn chiếm vỉa hè ở Q8", channel="web")
    ticket = filing.file_report(session=pg_session, report=report).ticket
    processing.process_ticket(session=pg_session, ticket_id=ticket.id,
                              classifier=fixed("public_order", 0.95))
    assert (ticket.state, ticket.area_id) == ("triage", None)  # needs its ward

    csrf = helpers.login(pg_client, helpers.user(pg_session, role="triage_agent",
                                                 agency_id=None, email="t@desk.org"))
    page = pg_client.get(f"/staff/tickets/{ticket.id}")
    assert 'id="place-unknown"' in page.text
    assert "Phường Chánh Hưng" in page.text.split('id="place-candidates"')[1].split("</span>")[0]
    triage = pg_client.get("/staff/triage")
    assert "Place unknown" in triage.text or "Chưa rõ địa điểm" in triage.text

    done = pg_client.post(f"/staff/tickets/{ticket.id}/set_place",
                          data={"csrf_token": csrf, "area_id": CHANH_HUNG},
                          follow_redirects=False)
    assert done.status_code == 303, done.text
    pg_session.refresh(ticket)
    assert (ticket.area_id, ticket.state, ticket.agency_id) == (
        CHANH_HUNG, "routed", "ward_committee")
    correction = pg_session.execute(select(PlaceCorrection)).scalar_one()
    assert (correction.ticket_id, correction.source, correction.ward_code) == (
        ticket.id, "staff", CHANH_HUNG)
    assert CHANH_HUNG in correction.read_candidates and correction.read_ward_code is None
    assert pg_session.execute(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "place_set")).scalar_one()


def test_an_unknown_ward_is_refused_in_the_callers_language(pg_session: Session, pg_client) -> None:
    report = service.NewReport(description="Đèn đường hư", channel="web")
    ticket = filing.file_report(session=pg_session, report=report).ticket
    processing.process_ticket(session=pg_session, ticket_id=ticket.id, classifier=None)
    csrf = helpers.login(pg_client, helpers.user(pg_session, role="triage_agent",
                                                 agency_id=None, email="t2@desk.org"))
    answer = pg_client.post(f"/staff/tickets/{ticket.id}/set_place?lang=vi",
                            data={"csrf_token": csrf, "area_id": "atlantis"})
    assert answer.status_code == 422
    pg_session.refresh(ticket)
    assert ticket.area_id is None
