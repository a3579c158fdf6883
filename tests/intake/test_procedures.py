"""Complaints about an administrative procedure: a service centre, a procedure and a dossier,
not a street; routed to the procedure's agency; late at a glance for staff; private in public."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from core.clock import set_clock
from core.outbox import OutboxMessage
from routing.models import Procedure
from tests.open311 import spec
from tests.staff import helpers
from tickets import dossiers, processing
from tickets.models import DossierComplaint, Ticket

CENTRE = "26743"  # Phường Bến Thành
TEXT = "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất nộp từ tháng 3 đến nay chưa có kết quả"
CODE = "000.00.20.H29-260302-0042"
FORM = {
    "description": f"{TEXT}. Mã hồ sơ {CODE}.",
    "centre": CENTRE,
    "procedure": "land_certificate_first",
    "dossier_code": CODE,
    "submitted_on": "2026-03-02",
    "submitted_via": "in_person",
    "problem": "late",
    "name": "Nguyễn Văn An",
    "phone": "0903 124 459",
}


def count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def filed(session: Session) -> Ticket:
    return session.execute(select(Ticket).order_by(Ticket.id.desc()).limit(1)).scalar_one()  # type: ignore[union-attr]


@pytest.fixture
def april() -> None:
    # Friday 10 April 2026, 10:00 in the city
    set_clock(lambda: datetime(2026, 4, 10, 3, 0, tzinfo=UTC))
    yield
    set_clock(None)


def test_a_dossier_complaint_needs_no_street_and_reaches_the_procedures_agency(
    pg_client, pg_session, april
) -> None:
    answer = pg_client.post("/report/procedure?lang=vi", data=FORM, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    ticket = filed(pg_session)
    assert (ticket.area_id, ticket.address, ticket.latitude) == (CENTRE, None, None)
    assert CODE not in ticket.description  # the published words never carry the code
    dossier = pg_session.get(DossierComplaint, ticket.id)
    assert dossier is not None
    assert (dossier.procedure_id, dossier.dossier_code, dossier.submitted_on) == (
        "land_certificate_first", CODE, date(2026, 3, 2)
    )

    assert processing.process_ticket(
        session=pg_session, ticket_id=ticket.id, classifier=None
    ) == "routed"
    # land-use certificates are decided by the Department of Natural Resources and Environment
    assert (ticket.state, ticket.category_id, ticket.agency_id) == (
        "routed", "public_admin", "natural_resources"
    )


def test_a_procedure_the_ward_decides_goes_to_the_service_centre(pg_client, pg_session) -> None:
    data = {**FORM, "procedure": "birth_registration", "dossier_code": ""}
    assert pg_client.post("/report/procedure", data=data, follow_redirects=False).status_code == 303
    ticket = filed(pg_session)
    processing.process_ticket(session=pg_session, ticket_id=ticket.id, classifier=None)
    assert (ticket.agency_id, ticket.area_id) == ("admin_service_center", CENTRE)


def test_staff_see_the_legal_time_beside_the_days_elapsed(pg_client, pg_session, april) -> None:
    pg_client.post("/report/procedure?lang=en", data=FORM, follow_redirects=False)
    ticket = filed(pg_session)
    processing.process_ticket(session=pg_session, ticket_id=ticket.id, classifier=None)
    agent = helpers.user(pg_session, "agent", "natural_resources", email="an@tnmt.gov.vn")
    helpers.login(pg_client, agent)
    page = pg_client.get(f"/staff/tickets/{ticket.id}?lang=en").text
    # 20 working days from Monday 2 March 2026 (no holiday in March): Monday 30 March.
    # Elapsed by Friday 10 April: 3-6 March (4), then four full weeks to 3 April (20), then
    # 6-10 April (5) = 29 working days: late.
    assert 'id="dossier-legal">20 working days (due 30 Mar 2026)' in page
    assert 'id="dossier-elapsed">29 working days' in page
    assert 'id="dossier-late"' in page
    assert CODE in page  # the agency handling it sees the code


def test_lateness_is_counted_in_working_days_by_hand() -> None:
    procedure = Procedure(id="x", name_vi="x", name_en="x", processing_working_days=3)
    # submitted Friday 24 April 2026; Mon 27 April is the Hùng Kings' day off (observed),
    # 30 April and 1 May are holidays: 3 working days run to Wednesday 29 April? No:
    # 27 (holiday), 28 (1), 29 (2), 30 (holiday), 1 May (holiday), 4 May (3).
    late = dossiers.lateness(
        procedure=procedure,
        submitted_on=date(2026, 4, 24),
        now=datetime(2026, 5, 5, 3, 0, tzinfo=UTC),
    )
    assert late.due_on == date(2026, 5, 4)
    assert late.elapsed_days == 4  # 28, 29 April; 4, 5 May
    assert late.late


def test_the_public_sees_neither_the_dossier_code_nor_the_resident(pg_client, pg_session) -> None:
    pg_client.post("/report/procedure", data=FORM, follow_redirects=False)
    ticket = filed(pg_session)
    page = pg_client.get(f"/status/{ticket.code}?lang=vi").text
    assert 'id="procedure">Cấp giấy chứng nhận quyền sử dụng đất lần đầu' in page
    assert pg_client.get(f"/api/v1/reports/{ticket.code}").json()["procedure"] == (
        "Cấp giấy chứng nhận quyền sử dụng đất lần đầu"
    )
    for url in (f"/status/{ticket.code}?lang=vi", f"/api/v1/reports/{ticket.code}"):
        body = pg_client.get(url).text
        assert CODE not in body and "H29-260302" not in body
        assert "Nguyễn Văn An" not in body and "124 459" not in body and "+8490312" not in body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"procedure": "no_such_procedure"}, "procedure"),
        ({"centre": "99999"}, "centre"),
        ({"dossier_code": "<script>"}, "dossier_code"),
        ({"submitted_on": "2099-01-01"}, "submitted_on"),
        ({"submitted_on": "14/03/2025"}, "submitted_on"),
        ({"problem": "bribe"}, "problem"),
    ],
)
def test_a_wrong_field_shows_the_form_again_and_writes_nothing(
    pg_client, pg_session, change, field
) -> None:
    before = (count(pg_session, Ticket), count(pg_session, OutboxMessage))
    answer = pg_client.post("/report/procedure?lang=vi", data={**FORM, **change})
    assert answer.status_code == 422
    assert 'id="form-error"' in answer.text
    assert TEXT in answer.text  # what the resident typed is kept
    assert (count(pg_session, Ticket), count(pg_session, OutboxMessage)) == before
    assert count(pg_session, DossierComplaint) == 0


# ------------------------------------------------------------------------------ Open311

V2 = "/open311/v2"


def test_open311_describes_the_procedure_attributes(pg_client) -> None:
    services = pg_client.get(f"{V2}/services.json").json()
    metadata = {s["service_code"]: s["metadata"] for s in services}
    assert metadata["public_admin"] is True and metadata["roads"] is False
    definition = pg_client.get(f"{V2}/services/public_admin.json?lang=vi").json()
    codes = [a["code"] for a in definition["attributes"]]
    assert codes[:4] == ["centre", "procedure", "dossier_code", "submitted_on"]
    procedure = definition["attributes"][1]
    assert procedure["datatype"] == "singlevaluelist" and procedure["required"] is True
    assert {"key": "land_certificate_first",
            "name": "Cấp giấy chứng nhận quyền sử dụng đất lần đầu"} in procedure["values"]
    xml = pg_client.get(f"{V2}/services/public_admin.xml")
    assert xml.status_code == 200 and "<code>dossier_code</code>" in xml.text


def test_open311_files_a_procedure_complaint_without_a_location(pg_client, pg_session) -> None:
    key = spec.new_key(pg_session)
    data = {
        "jurisdiction_id": spec.service.JURISDICTION_ID,
        "api_key": key,
        "service_code": "public_admin",
        "description": TEXT,
        "attribute[centre]": CENTRE,
        "attribute[procedure]": "building_permit_house",
        "attribute[dossier_code]": "HS-2026/0417",
        "attribute[submitted_on]": "2026-03-02T09:00:00+07:00",
    }
    answer = pg_client.post(f"{V2}/requests.json", data=data)
    assert answer.status_code == 200, answer.text
    ticket = filed(pg_session)
    dossier = pg_session.get(DossierComplaint, ticket.id)
    assert dossier is not None and dossier.procedure_id == "building_permit_house"
    assert (ticket.area_id, dossier.submitted_on) == (CENTRE, date(2026, 3, 2))

    wrong = pg_client.post(
        f"{V2}/requests.json", data={**data, "attribute[procedure]": "unknown_one"}
    )
    assert wrong.status_code in (400, 422)
    [error] = spec.error_records(wrong, "json")
    assert "unknown_one" in error["description"]


# ------------------------------------------------------------------------------ officials


def test_officials_see_complaints_per_procedure_and_centre(pg_client, pg_session) -> None:
    for problem in ("late", "late", "unofficial_fee"):
        pg_client.post("/report/procedure", data={**FORM, "problem": problem},
                       follow_redirects=False)
    pg_client.post("/report/procedure", data={**FORM, "procedure": "identity_card"},
                   follow_redirects=False)
    official = helpers.user(pg_session, "official", None, email="city@hcm.gov.vn")
    helpers.login(pg_client, official)
    page = pg_client.get("/dashboard/procedures?lang=en").text
    land = page.split('data-key="land_certificate_first">')[1].split("</tr>")[0]
    assert "<td>3</td>" in land
    assert "66.7%" in land and "33.3%" in land  # late, unofficial fee
    centre = page.split(f'data-key="{CENTRE}">')[1].split("</tr>")[0]
    assert "<td>4</td>" in centre


# ------------------------------------------------------------------------------ SMS follow-up


def test_an_sms_about_a_procedure_is_asked_for_its_dossier_code(pg_session) -> None:
    from notify.models import OutboundMessage
    from tests import factories

    by_sms = factories.routed_ticket(
        pg_session, category_id="public_admin", channel="sms", reporter_phone="+84901234567"
    )
    by_web = factories.routed_ticket(
        pg_session, category_id="public_admin", channel="web", reporter_phone="+84901234568"
    )
    factories.deliver_events(pg_session)
    asked = pg_session.execute(
        select(OutboundMessage.ticket_id).where(OutboundMessage.kind == "dossier_code_asked")
    ).scalars().all()
    assert asked == [by_sms.id]  # the web form already asked for the code
    assert by_web.id not in asked


def test_mhs_by_sms_adds_the_code_to_the_report_privately(pg_session) -> None:
    from tests import factories
    from tests.intake.helpers import CALLER, messages, signed_post, sms_params, twilio_client
    from tickets.models import TicketEvent

    ticket = factories.routed_ticket(
        pg_session, category_id="public_admin", channel="sms", reporter_phone=CALLER
    )
    with twilio_client(pg_session) as client:
        reply = messages(signed_post(client, "/twilio/sms", sms_params(f"MHS {CODE}")))
        bad = messages(signed_post(client, "/twilio/sms", sms_params("MHS <x>")))
    dossier = pg_session.get(DossierComplaint, ticket.id)
    assert dossier is not None and dossier.dossier_code == CODE
    assert dossier.procedure_id == dossiers.UNKNOWN_PROCEDURE
    assert ticket.code[:4] in reply[0]
    added = pg_session.execute(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "dossier_code_added"
        )
    ).scalar_one()
    assert added.public is False and CODE not in str(added.data) and not added.message
    assert "MHS" in bad[0] and count(pg_session, DossierComplaint) == 1
