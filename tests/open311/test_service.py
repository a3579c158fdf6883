"""The Open311 operations on PostgreSQL and SQLite alike (no route, so nothing is committed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from core.clock import utcnow
from core.errors import Forbidden, InvalidInput, NotFound
from core.settings import get_settings
from open311 import service
from tests import factories
from tests.open311 import spec
from tickets import workflow

FIELDS = {
    "service_code": "lighting",
    "address_string": "Hẻm 42 Lý Tự Trọng",
    "description": "Đèn đường hẻm 42 tắt cả tuần nay, gọi 0901 234 567 nếu cần.",
    "phone": "0901 234 567",
    "device_id": "device-1",
}


def test_a_filed_request_is_found_by_its_filters(session: Session) -> None:
    client, _key = service.create_client(session=session, name="Both databases")
    filed = service.file_request(
        session=session, fields=FIELDS, client=client, settings=get_settings(), language="en"
    )
    other = factories.routed_ticket(session, category_id="roads")
    workflow.reject(session=session, ticket=other, reason="spam", actor=factories.STAFF)

    def found(**params: str) -> list[str]:
        query = service.build_query(session=session, params=params, settings=get_settings())
        return [t.code for t in service.find_requests(session=session, query=query)]

    assert found(service_code="lighting") == [filed.ticket.code]
    assert found(status="closed") == [other.code]
    assert set(found()) == {filed.ticket.code, other.code}
    later = (utcnow() + timedelta(days=1)).isoformat()
    assert found(start_date=later) == []

    [described] = service.describe_requests(
        session=session, tickets=[filed.ticket], language="en", settings=get_settings()
    )
    assert list(described) == spec.REQUEST_FIELDS
    assert described["service_code"] == "lighting" and described["status"] == "open"
    assert "0901 234 567" not in described["description"]  # masked
    assert described["lat"] is None and described["address"] == "Hẻm 42 Lý Tự Trọng"


def test_keys_are_checked_by_their_hash(session: Session) -> None:
    client, api_key = service.create_client(session=session, name="Hash check")
    assert client.api_key_hash == service.hash_key(api_key) != api_key
    assert service.authenticate(session=session, api_key=api_key).id == client.id
    with pytest.raises(Forbidden):
        service.authenticate(session=session, api_key=api_key[:-1])
    service.revoke_client(session=session, name="Hash check")
    with pytest.raises(Forbidden):
        service.authenticate(session=session, api_key=api_key)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00+00:00"),
        ("2026-01-01T07:00:00+07:00", "2026-01-01T00:00:00+00:00"),
        ("2026-01-01", "2025-12-31T17:00:00+00:00"),  # a day starts in the city's time zone
    ],
)
def test_w3_dates_are_read_with_their_zone(value: str, expected: str) -> None:
    parsed = service.parse_w3_datetime(value, field="start_date", timezone="Asia/Ho_Chi_Minh")
    assert parsed is not None and parsed.isoformat() == expected


@pytest.mark.parametrize("value", ["2026-02-30", "01/02/2026", "2026-01-01T25:00:00Z", "soon"])
def test_malformed_dates_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput):
        service.parse_w3_datetime(value, field="end_date", timezone="Asia/Ho_Chi_Minh")


def test_an_inactive_category_is_no_service(session: Session) -> None:
    from routing.models import Category

    category = session.get(Category, "roads")
    assert category is not None
    category.active = False
    session.flush()
    codes = [s["service_code"] for s in service.service_list(session=session, language="vi")]
    assert "roads" not in codes
    with pytest.raises(NotFound):
        service.get_service(session=session, service_code="roads")
