"""Every GeoReport v2 endpoint in .json and .xml, each field checked against the specification.

On PostgreSQL only: a route commits, and on SQLite that commit outlives the test's rollback
(tests/open311/test_service.py runs the same operations on both databases, without a route)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from core.clock import utcnow
from open311 import service
from routing.models import Agency, Category
from tests import factories
from tests.conftest import make_client
from tests.open311 import spec
from tickets import workflow
from tickets.models import Attachment, InboundMessage, Ticket, TicketState

V2 = "/open311/v2"
JURISDICTION = service.JURISDICTION_ID
POST = {
    "jurisdiction_id": JURISDICTION,
    "service_code": "roads",
    "lat": "10.7769",
    "long": "106.7009",
    "address_string": "12 Lê Văn Sỹ, phường Bến Thành",
    "email": "Lan@Example.vn",
    "device_id": "device-77",
    "account_id": "acct-123456",
    "first_name": "Thị Lan",
    "last_name": "Nguyễn",
    "phone": "0901 234 567",
    "description": "Ổ gà lớn trước số 12 đường Lê Văn Sỹ, xe máy té liên tục.",
    "media_url": "https://photos.example.org/pothole-12.jpg",
}
PERSONAL = ["Lan@Example.vn", "lan@example.vn", "device-77", "acct-123456", "Thị Lan", "Nguyễn",
            "0901 234 567", "+84901234567"]


@pytest.fixture
def pg_key(pg_session: Session) -> str:
    return spec.new_key(pg_session)


def post(client, fmt: str, api_key: str, **changes: str | None):  # type: ignore[no-untyped-def]
    data = {**POST, "api_key": api_key, **changes}
    return client.post(
        f"{V2}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None}
    )


def filed_ticket(session: Session, code: str) -> Ticket:
    return session.execute(select(Ticket).where(Ticket.code == code)).scalar_one()


# ------------------------------------------------------------------------------ discovery


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_discovery_document_names_the_v2_endpoint_and_both_formats(pg_client, fmt: str) -> None:
    response = pg_client.get(f"{V2}/discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        body = response.json()
        endpoints = body["endpoints"]
        formats = endpoints[0]["formats"]
    else:
        root = spec.xml_root(response)
        assert root.tag == "discovery"
        body = {child.tag: child.text for child in root}
        endpoint_elements = root.find("endpoints")
        assert endpoint_elements is not None
        endpoints = []
        for element in endpoint_elements.findall("endpoint"):
            entry = {child.tag: child.text for child in element}
            entry["formats"] = [f.text for f in element.find("formats").findall("format")]
            endpoints.append(entry)
        formats = endpoints[0]["formats"]
    assert list(body) == spec.DISCOVERY_FIELDS
    assert all(body[name] for name in ("changeset", "contact", "key_service"))
    assert len(endpoints) == 1 and list(endpoints[0]) == spec.ENDPOINT_FIELDS
    assert endpoints[0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoints[0]["url"] == "http://testserver/open311/v2"
    assert endpoints[0]["type"] in ("production", "test")
    assert sorted(formats) == ["application/json", "text/xml"]


# ------------------------------------------------------------------------------ services


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_service_list_has_one_service_per_category_with_the_spec_fields(
    pg_client, pg_session: Session, fmt: str
) -> None:
    response = pg_client.get(f"{V2}/services.{fmt}", params={"jurisdiction_id": JURISDICTION})
    assert response.status_code == 200
    services = spec.records(response, fmt, "services", "service")
    categories = pg_session.execute(select(Category).where(Category.active)).scalars().all()
    assert sorted(s["service_code"] for s in services) == sorted(c.id for c in categories)
    for entry in services:
        assert list(entry) == spec.SERVICE_FIELDS
        assert entry["metadata"] in ("true", "false")
        assert entry["type"] in ("realtime", "batch", "blackbox")
        assert entry["service_name"] and entry["description"]


@pytest.mark.parametrize(
    ("query", "headers", "language"),
    [
        ({"locale": "en"}, {}, "en"),
        ({"locale": "vi"}, {"Accept-Language": "en"}, "vi"),
        ({}, {"Accept-Language": "en-GB,en;q=0.9"}, "en"),
        ({}, {"Accept-Language": "vi-VN"}, "vi"),
    ],
)
def test_service_names_follow_the_requested_locale(
    pg_client, pg_session: Session, query: dict, headers: dict, language: str
) -> None:
    response = pg_client.get(f"{V2}/services.json", params=query, headers=headers)
    names = {entry["service_code"]: entry["service_name"] for entry in response.json()}
    roads = pg_session.get(Category, "roads")
    assert roads is not None
    assert names["roads"] == (roads.name_en if language == "en" else roads.name_vi)


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_service_definition_names_the_service_and_its_attributes(pg_client, fmt: str) -> None:
    response = pg_client.get(f"{V2}/services/roads.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        body = response.json()
        assert body == {"service_code": "roads", "attributes": []}
    else:
        root = spec.xml_root(response)
        assert root.tag == "service_definition"
        assert [child.tag for child in root] == ["service_code", "attributes"]
        assert root.findtext("service_code") == "roads"
        assert list(root.find("attributes")) == []


# ------------------------------------------------------------------------------ POST requests


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_post_files_an_open311_ticket_and_answers_with_its_id(
    pg_client, pg_session: Session, pg_key: str, fmt: str
) -> None:
    response = post(pg_client, fmt, pg_key)
    assert response.status_code == 200
    [answer] = spec.records(response, fmt, "service_requests", "request")
    assert list(answer) == spec.POST_ANSWER_FIELDS
    assert answer["account_id"] == "acct-123456"
    assert "5" in answer["service_notice"]  # roads: answered within 5 working days
    ticket = filed_ticket(pg_session, answer["service_request_id"])
    assert ticket.channel == "open311"
    assert ticket.state == TicketState.received  # classification and routing still to run
    assert ticket.requested_category_id == "roads"
    assert ticket.category_id is None
    assert ticket.reporter_phone == "+84901234567"
    assert ticket.reporter_email == "Lan@example.vn"
    assert ticket.reporter_name == "Thị Lan Nguyễn"
    assert (ticket.latitude, ticket.longitude) == (10.7769, 106.7009)
    assert ticket.address == POST["address_string"]
    link = pg_session.execute(
        select(Attachment).where(Attachment.ticket_id == ticket.id)
    ).scalar_one()
    assert link.source_url == POST["media_url"]
    inbound = pg_session.execute(
        select(InboundMessage).where(InboundMessage.ticket_id == ticket.id)
    ).scalar_one()
    assert inbound.channel == "open311" and inbound.payload["device_id"] == "device-77"
    assert "pg_key" not in inbound.payload
    assert inbound.payload["client_name"] == "City app"


def test_post_queues_the_ticket_for_classification(
    pg_client, pg_session: Session, pg_key: str
) -> None:
    from core.outbox import OutboxMessage

    response = post(pg_client, "json", pg_key)
    ticket = filed_ticket(pg_session, response.json()[0]["service_request_id"])
    queued = pg_session.execute(select(OutboxMessage)).scalars().all()
    assert (
        "tickets.process",
        factories.filed_event_args(pg_session, ticket),
    ) in [(m.task, m.args) for m in queued]


def test_post_without_a_description_is_described_by_its_service(
    pg_client, pg_session: Session, pg_key: str
) -> None:
    response = post(pg_client, "json", pg_key, description=None, locale=None)
    ticket = filed_ticket(pg_session, response.json()[0]["service_request_id"])
    roads = pg_session.get(Category, "roads")
    assert roads is not None and ticket.description == roads.name_vi


def test_post_with_only_a_ward_as_address_id_is_filed_in_that_ward(
    pg_client, pg_session: Session, pg_key: str
) -> None:
    response = post(
        pg_client, "xml", pg_key, lat=None, long=None, address_string=None,
        address_id="26743",
    )
    assert response.status_code == 200
    code = spec.records(response, "xml", "service_requests", "request")[0]["service_request_id"]
    assert filed_ticket(pg_session, code).area_id == "26743"


def test_api_key_may_come_in_the_query_string(pg_client, pg_key: str) -> None:
    data = {k: v for k, v in POST.items() if k != "jurisdiction_id"}
    response = pg_client.post(
        f"{V2}/requests.json",
        params={"api_key": pg_key, "jurisdiction_id": JURISDICTION},
        data=data,
    )
    assert response.status_code == 200


def test_a_json_body_is_accepted_as_well(pg_client, pg_key: str) -> None:
    response = pg_client.post(f"{V2}/requests.json", json={**POST, "api_key": pg_key})
    assert response.status_code == 200
    assert response.json()[0]["service_request_id"]


def test_an_unreadable_body_is_a_400_in_the_spec_format(pg_client) -> None:
    response = pg_client.post(
        f"{V2}/requests.xml", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    spec.error_records(response, "xml")


# ------------------------------------------------------------------------------ GET requests


def _route_and_resolve(session: Session, ticket: Ticket) -> None:
    workflow.send_to_triage(session=session, ticket=ticket, reason="test")
    workflow.route(
        session=session, ticket=ticket, agency_id="transport", category_id="roads"
    )
    workflow.acknowledge(session=session, ticket=ticket, actor=factories.STAFF)
    workflow.resolve(
        session=session,
        ticket=ticket,
        resolution="Đã vá ổ gà; liên hệ 0909 888 777 nếu còn hư hỏng.",
        actor=factories.STAFF,
    )
    session.flush()


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_a_request_reads_back_with_every_spec_field_and_no_personal_data(
    pg_client, pg_session: Session, pg_key: str, fmt: str
) -> None:
    code = post(pg_client, "json", pg_key).json()[0]["service_request_id"]
    response = pg_client.get(
        f"{V2}/requests/{code}.{fmt}", params={"jurisdiction_id": JURISDICTION}
    )
    assert response.status_code == 200
    [request] = spec.records(response, fmt, "service_requests", "request")
    assert list(request) == spec.REQUEST_FIELDS
    assert request["service_request_id"] == code
    assert request["status"] == "open"
    assert request["service_code"] == "roads"  # the resident's choice until classified
    assert request["description"] == POST["description"]
    assert request["address"] == POST["address_string"]
    assert float(request["lat"]) == 10.7769 and float(request["long"]) == 106.7009
    assert request["media_url"] == POST["media_url"]
    assert request["agency_responsible"] is None and request["expected_datetime"] is None
    requested = spec.parse_w3(request["requested_datetime"])
    assert spec.parse_w3(request["updated_datetime"]) >= requested
    assert abs(requested - utcnow()) < timedelta(minutes=5)
    for value in PERSONAL:
        assert value not in response.text


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_a_routed_and_resolved_request_shows_the_tracker_fields(
    pg_client, pg_session: Session, pg_key: str, fmt: str
) -> None:
    code = post(pg_client, "json", pg_key).json()[0]["service_request_id"]
    ticket = filed_ticket(pg_session, code)
    _route_and_resolve(pg_session, ticket)
    response = pg_client.get(f"{V2}/requests/{code}.{fmt}", params={"locale": "en"})
    [request] = spec.records(response, fmt, "service_requests", "request")
    transport = pg_session.get(Agency, "transport")
    assert transport is not None
    assert request["status"] == "closed"
    assert request["agency_responsible"] == transport.name_en
    assert request["status_notes"].startswith("Resolved: Đã vá ổ gà")
    assert "0909 888 777" not in request["status_notes"]  # masked like every published text
    assert ticket.resolve_due_at is not None and ticket.resolved_at is not None
    due, resolved = ticket.resolve_due_at.replace(microsecond=0), ticket.resolved_at
    assert spec.parse_w3(request["expected_datetime"]) == due  # the resolve deadline
    assert spec.parse_w3(request["updated_datetime"]) == resolved.replace(microsecond=0)
    assert request["service_notice"]


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_dates_are_given_with_the_city_offset(pg_client, pg_session: Session, fmt: str) -> None:
    ticket = factories.ticket(pg_session, channel="open311")
    response = pg_client.get(f"{V2}/requests/{ticket.code}.{fmt}")
    [request] = spec.records(response, fmt, "service_requests", "request")
    assert request["requested_datetime"].endswith("+07:00")
    assert spec.parse_w3(request["requested_datetime"]) == ticket.created_at.replace(microsecond=0)


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_requests_are_filtered_by_id_code_status_and_dates(
    pg_client, pg_session: Session, pg_key: str, fmt: str
) -> None:
    client, session = pg_client, pg_session
    roads = factories.ticket(session, requested_category_id="roads")
    lighting = factories.routed_ticket(session, category_id="lighting")
    closed = factories.routed_ticket(session, category_id="roads")
    workflow.reject(session=session, ticket=closed, reason="spam", actor=factories.STAFF)
    old = factories.ticket(session, requested_category_id="roads")
    old.created_at = utcnow() - timedelta(days=120)
    session.add(old)
    session.flush()

    def codes(**params: str) -> set[str]:
        response = client.get(f"{V2}/requests.{fmt}", params={**params, "api_key": pg_key})
        assert response.status_code == 200, response.text
        found = spec.records(response, fmt, "service_requests", "request")
        assert all(list(entry) == spec.REQUEST_FIELDS for entry in found)
        return {entry["service_request_id"] for entry in found}

    recent = {roads.code, lighting.code, closed.code}
    assert codes() == recent  # the last 90 days by default
    assert codes(service_code="roads") == {roads.code, closed.code}
    assert codes(service_code="roads,lighting", status="open") == {roads.code, lighting.code}
    assert codes(status="closed") == {closed.code}
    assert codes(status="open,closed") == recent
    start = (utcnow() - timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (utcnow() - timedelta(days=110)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert codes(start_date=start, end_date=end) == {old.code}
    # service_request_id overrides every other argument
    assert codes(service_request_id=f"{old.code},{lighting.code}", status="closed") == {
        old.code,
        lighting.code,
    }
    assert len(codes(page_size="1")) == 1
    assert codes(page_size="2", page="2") | codes(page_size="2") == recent


def test_get_requests_answers_no_personal_data(pg_client, pg_key: str) -> None:
    post(pg_client, "json", pg_key)
    response = pg_client.get(f"{V2}/requests.xml", params={"api_key": pg_key})
    assert len(spec.records(response, "xml", "service_requests", "request")) == 1
    for value in PERSONAL:
        assert value not in response.text


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_a_token_gives_back_the_request_id(pg_client, pg_session: Session, fmt: str) -> None:
    ticket = factories.ticket(pg_session)
    response = pg_client.get(f"{V2}/tokens/{ticket.code}.{fmt}")
    assert response.status_code == 200
    [entry] = spec.records(response, fmt, "service_requests", "request")
    assert list(entry) == spec.TOKEN_FIELDS
    assert entry == {"service_request_id": ticket.code, "token": ticket.code}


# ------------------------------------------------------------------------------ errors


def count_tickets(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Ticket)).scalar_one()


@pytest.mark.parametrize("fmt", spec.FORMATS)
@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"service_code": "potholes"}, 404, "service_code"),
        ({"service_code": None}, 400, "service_code"),
        ({"lat": None, "long": None, "address_string": None}, 400, "location"),
        ({"api_key": "not-a-key"}, 403, "api_key"),
        ({"api_key": None}, 403, "api_key"),
        ({"jurisdiction_id": "sfgov.org"}, 404, "jurisdiction_id"),
        ({"long": None, "address_string": None}, 400, "longitude"),
        ({"lat": "north", "address_string": None}, 400, "lat"),
        ({"lat": "91"}, 400, "atitude"),
        ({"phone": "12"}, 400, "12"),
        ({"email": "lan@"}, 400, "lan@"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"address_id": "atlantis"}, 400, "atlantis"),
    ],
)
def test_bad_posts_get_the_spec_error_document_and_write_nothing(
    pg_client, pg_session: Session, pg_key: str, fmt: str, changes: dict, status: int, words: str
) -> None:
    before = count_tickets(pg_session)
    changes = {"api_key": pg_key, **changes}
    data = {k: v for k, v in {**POST, **changes}.items() if v is not None}
    response = pg_client.post(f"{V2}/requests.{fmt}", data=data, params={"locale": "en"})
    assert response.status_code == status, response.text
    [error] = spec.error_records(response, fmt)
    assert words in error["description"]
    assert count_tickets(pg_session) == before


def test_a_revoked_key_is_refused(pg_client, pg_session: Session) -> None:
    api_key = spec.new_key(pg_session, name="Old app")
    service.revoke_client(session=pg_session, name="Old app")
    response = post(pg_client, "json", api_key)
    assert response.status_code == 403
    spec.error_records(response, "json")


@pytest.mark.parametrize("fmt", spec.FORMATS)
@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/requests", {"start_date": "yesterday"}, 400),
        ("/requests", {"end_date": "2026-13-01T00:00:00Z"}, 400),
        ("/requests", {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
         400),
        ("/requests", {"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"},
         400),
        ("/requests", {"status": "pending"}, 400),
        ("/requests", {"service_code": "potholes"}, 404),
        ("/requests", {"page_size": "1001"}, 400),
        ("/requests", {"jurisdiction_id": "sfgov.org"}, 404),
        ("/services", {"jurisdiction_id": "sfgov.org"}, 404),
        ("/services/potholes", {}, 404),
        ("/requests/NOPE-NOPE", {}, 404),
        ("/requests/2222-2222", {}, 404),
        ("/tokens/123456", {}, 404),
        ("/no-such-thing", {}, 404),
    ],
)
def test_bad_reads_get_the_spec_error_document(
    pg_client, pg_key: str, fmt: str, path: str, params: dict, status: int
) -> None:
    if path == "/requests":  # listing needs a key (tests/open311/test_enumeration.py)
        params = {**params, "api_key": pg_key}
    response = pg_client.get(f"{V2}{path}.{fmt}", params=params)
    assert response.status_code == status, response.text
    spec.error_records(response, fmt)


def test_an_unknown_format_is_a_404_in_the_spec_format(pg_client) -> None:
    response = pg_client.get(f"{V2}/services.html")
    assert response.status_code == 404
    spec.error_records(response, "xml")


def test_error_descriptions_follow_the_locale(pg_client) -> None:
    english = pg_client.get(f"{V2}/services/potholes.json", params={"locale": "en"})
    vietnamese = pg_client.get(f"{V2}/services/potholes.json", params={"locale": "vi"})
    assert english.json()[0]["description"] == "Unknown service_code potholes."
    assert vietnamese.json()[0]["description"] == "Không có service_code potholes."


def test_a_multiple_jurisdiction_setting_is_honoured(pg_session: Session) -> None:
    with make_client(pg_session, open311_jurisdiction_id="thuduc.gov.vn") as client:
        assert client.get(f"{V2}/services.json?jurisdiction_id=thuduc.gov.vn").status_code == 200
        assert client.get(f"{V2}/services.json?jurisdiction_id=hcmc.gov.vn").status_code == 404


def test_staff_see_the_residents_choice_beside_the_classifiers(
    pg_client, pg_session: Session, pg_key: str
) -> None:
    from tests.staff import helpers
    from tickets import processing
    from tickets.classifier_port import Suggestion

    code = post(pg_client, "json", pg_key, service_code="lighting").json()[0][
        "service_request_id"
    ]
    ticket = filed_ticket(pg_session, code)
    processing.process_ticket(
        session=pg_session,
        ticket_id=ticket.id,
        classifier=lambda text: Suggestion("roads", 0.95, False, False, "test-1", 0.5),
    )
    assert (ticket.category_id, ticket.requested_category_id) == ("roads", "lighting")
    helpers.login(pg_client, helpers.user(pg_session, email="agent@transport.example.org"))
    page = pg_client.get(f"/staff/tickets/{ticket.id}", params={"lang": "en"})
    assert page.status_code == 200
    lighting = pg_session.get(Category, "lighting")
    assert lighting is not None
    assert f'<dd id="requested-category">{lighting.name_en}</dd>' in page.text
    # the API shows the category the tracker settled on
    [request] = pg_client.get(f"{V2}/requests/{code}.json").json()
    assert request["service_code"] == "roads"
