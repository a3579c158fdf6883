"""Tracking codes cannot be collected through Open311: listing needs an api_key; look-ups of
known codes are answered without one, a few at a time and rate-limited per client."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tests import factories
from tests.conftest import make_client
from tests.open311 import spec

V2 = "/open311/v2"


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_listing_without_an_api_key_is_refused(pg_client, pg_session: Session, fmt: str) -> None:
    factories.ticket(pg_session)
    for params in ({}, {"status": "open"}, {"service_code": "roads"}):
        response = pg_client.get(f"{V2}/requests.{fmt}", params=params)
        assert response.status_code == 403
        assert "api_key" in response.text


def test_a_wrong_api_key_does_not_list(pg_client) -> None:
    assert pg_client.get(f"{V2}/requests.json", params={"api_key": "guess"}).status_code == 403


def test_known_codes_are_answered_without_a_key(pg_client, pg_session: Session) -> None:
    ticket = factories.ticket(pg_session)
    response = pg_client.get(f"{V2}/requests.json", params={"service_request_id": ticket.code})
    assert response.status_code == 200
    assert [r["service_request_id"] for r in response.json()] == [ticket.code]
    many = ",".join([ticket.code] * 11)
    assert pg_client.get(
        f"{V2}/requests.json", params={"service_request_id": many}
    ).status_code == 400


def test_status_by_code_is_rate_limited_per_client(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session)
    with make_client(pg_session, status_rate_limit="5/minute") as client:
        answers = [
            client.get(f"{V2}/requests/{ticket.code}.json").status_code for _ in range(5)
        ]
        assert answers == [200] * 5
        limited = client.get(f"{V2}/requests/{ticket.code}.json")
        assert limited.status_code == 429
        assert client.get(f"/status/{ticket.code}").status_code == 429
        assert client.get(f"/api/v1/reports/{ticket.code}").status_code == 429
