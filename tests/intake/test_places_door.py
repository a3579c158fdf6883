"""Every door reads the place of a report that comes without a ward (issue 14)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from intake import sms
from places.models import PlaceCorrection, PlaceReading
from routing.models import RoutingRule
from tests.intake.helpers import count, messages, signed_post, sms_params, twilio_client
from tests.open311 import spec
from tests.open311.test_endpoints import V2
from tests.tickets.test_processing import fixed
from tickets import processing
from tickets.models import Ticket, TicketEvent, TicketState

# hand-checked official codes: today's Phường Phú Nhuận (former phường 13, quận Phú Nhuận, went
# wholly to it), Phường Bến Thành
PHU_NHUAN, BEN_THANH = "27073", "26743"
THE_SMS = "Đèn đường hư trước hẻm 45 Lê Văn Sỹ, phường 13, Phú Nhuận"


@pytest.fixture(autouse=True)
def _fresh_flood_control():  # type: ignore[no-untyped-def]
    sms.reset_flood_control()
    yield
    sms.reset_flood_control()


def tickets(session: Session) -> list[Ticket]:
    return list(session.execute(select(Ticket).order_by(Ticket.id)).scalars())


def test_the_sms_of_the_issue_is_filed_in_todays_ward_and_routed_by_its_rule(
    pg_session: Session,
) -> None:
    pg_session.add(RoutingRule(category_id="lighting", area_id=PHU_NHUAN, agency_id="parks"))
    pg_session.flush()
    with twilio_client(pg_session) as client:
        replies = messages(signed_post(client, "/twilio/sms", sms_params(THE_SMS)))
    (ticket,) = tickets(pg_session)
    assert ticket.area_id == PHU_NHUAN
    assert ticket.address == "hẻm 45 Lê Văn Sỹ, phường 13, Phú Nhuận"
    assert len(replies) == 1  # the receipt only: no "which ward?"
    processing.process_ticket(session=pg_session, ticket_id=ticket.id,
                              classifier=fixed("lighting", 0.95))
    assert (ticket.state, ticket.agency_id) == (TicketState.routed, "parks")


def test_an_sms_without_a_place_asks_the_ward_and_the_answer_joins_the_report(
    pg_session: Session,
) -> None:
    with twilio_client(pg_session) as client:
        first = messages(signed_post(client, "/twilio/sms", sms_params(
            "Đèn đường trước nhà tôi tắt cả tuần nay")))
        (ticket,) = tickets(pg_session)
        assert ticket.area_id is None
        assert len(first) == 2 and first[1].startswith("Tổng đài 1022: Bạn ở phường nào?")
        answer = messages(signed_post(client, "/twilio/sms", sms_params("p13 Phú Nhuận")))
    assert tickets(pg_session) == [ticket]  # no second report
    assert ticket.area_id == PHU_NHUAN
    assert "Phường Phú Nhuận" in answer[0]
    correction = pg_session.execute(select(PlaceCorrection)).scalar_one()
    assert (correction.ticket_id, correction.source, correction.ward_code) == (
        ticket.id, "resident", PHU_NHUAN)
    event = pg_session.execute(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "place_set")).scalar_one()
    assert event.message == "p13 Phú Nhuận" and event.public is False


def test_after_the_question_a_new_report_without_a_place_is_a_new_report(
    pg_session: Session,
) -> None:
    with twilio_client(pg_session) as client:
        signed_post(client, "/twilio/sms", sms_params("Đèn đường trước nhà tôi tắt cả tuần"))
        signed_post(client, "/twilio/sms", sms_params("Còn nước máy thì yếu lắm"))
    assert count(pg_session, Ticket) == 2


def test_an_emergency_is_not_asked_for_its_ward(pg_session: Session) -> None:
    with twilio_client(pg_session) as client:
        replies = messages(signed_post(client, "/twilio/sms", sms_params(
            "Cháy nhà to lắm, cứu với")))
    assert not any("phường nào" in reply for reply in replies)


def test_the_json_api_accepts_a_place_written_only_in_the_text(client, session: Session) -> None:
    response = client.post("/api/v1/reports", json={
        "description": "Cây đổ chắn ngang đường ở P.Bến Thành, nguy hiểm"})
    assert response.status_code == 201, response.text
    ticket = session.execute(select(Ticket).where(
        Ticket.code == response.json()["code"])).scalar_one()
    assert ticket.area_id == BEN_THANH
    reading = session.get(PlaceReading, ticket.id)
    assert reading is not None and (reading.source, reading.ward_code) == ("text", BEN_THANH)


def test_the_json_api_still_asks_where_when_nothing_names_a_place(client) -> None:
    response = client.post("/api/v1/reports", json={"description": "Cây đổ chắn ngang đường"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "area_id"


def test_a_former_district_alone_is_filed_with_its_candidates_for_triage(
    client, session: Session
) -> None:
    response = client.post("/api/v1/reports", json={
        "description": "ko co nuoc may 2 ngay roi, Q8"})
    assert response.status_code == 201, response.text
    ticket = session.execute(select(Ticket).where(
        Ticket.code == response.json()["code"])).scalar_one()
    assert ticket.area_id is None
    reading = session.get(PlaceReading, ticket.id)
    assert reading is not None and len(reading.candidates) > 1


def test_open311_accepts_a_place_written_only_in_the_description(
    pg_client, pg_session: Session
) -> None:
    key = spec.new_key(pg_session)
    response = pg_client.post(f"{V2}/requests.json", data={
        "api_key": key, "service_code": "roads",
        "description": "Ổ gà lớn trước chợ Bến Thành"})
    assert response.status_code == 200, response.text
    code = response.json()[0]["service_request_id"]
    ticket = pg_session.execute(select(Ticket).where(Ticket.code == code)).scalar_one()
    assert ticket.area_id == BEN_THANH


def test_coordinates_give_the_nearest_ward_centre(client, session: Session) -> None:
    from places import service as places_service

    centre = places_service.gazetteer().wards[BEN_THANH]
    response = client.post("/api/v1/reports", json={
        "description": "Cây đổ chắn ngang đường", "latitude": centre.lat,
        "longitude": centre.lon})
    assert response.status_code == 201, response.text
    ticket = session.execute(select(Ticket).where(
        Ticket.code == response.json()["code"])).scalar_one()
    assert ticket.area_id == BEN_THANH


def test_the_form_asks_the_door_which_ward_a_description_names(client) -> None:
    answer = client.get("/report/place", params={"text": "cây đổ P.Bến Thành"})
    assert answer.status_code == 200
    assert answer.json() == {"ward_code": "26743", "candidates": ["26743"]}
    empty = client.get("/report/place", params={"text": "karaoke ồn"})
    assert empty.json() == {"ward_code": None, "candidates": []}
