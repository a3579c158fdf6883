"""An existing Open311 client from PyPI, unchanged, against a real server: list, post, read back.

The client is `georeport` (0.3.x, pyproject's `test` extra), the only Open311 client on PyPI
that runs on Python 3: `open311` 1.1 and `three` 0.8 are Python 2 code (implicit relative
imports, urllib2, itertools.ifilter). georeport reads (services, definitions, requests, in JSON
and in XML through xmltodict) but has no method to create a request, so the POST is the
specification's own example request, form-encoded, sent with `requests` (georeport's HTTP
library).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import xmltodict
from georeport import GeoReport
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from open311 import service
from routing.models import Agency, Category
from tests.live import serve
from tickets import processing
from tickets.classifier_port import Suggestion
from tickets.models import Ticket


@pytest.fixture
def live(committed_pg: Engine) -> Iterator[tuple[str, str]]:
    with Session(committed_pg) as session:
        _client, api_key = service.create_client(session=session, name="GeoReporter")
        session.commit()
    with serve(create_app(start_worker=False)) as base_url:
        yield f"{base_url}/open311/v2", api_key


def sure_it_is_roads(text: str) -> Suggestion:
    return Suggestion(category="roads", confidence=0.97, urgent=False, emergency=False,
                      model_version="test-1", threshold=0.5)


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_lists_posts_and_reads_back(
    live: tuple[str, str], committed_pg: Engine, output_format: str
) -> None:
    endpoint, api_key = live
    client = GeoReport(endpoint, jurisdiction=service.JURISDICTION_ID, api_key=api_key,
                       output_format=output_format)

    services = client.get_service_list()
    with Session(committed_pg) as session:
        categories = session.execute(select(Category.id).where(Category.active)).scalars().all()
    assert sorted(s["service_code"] for s in services) == sorted(categories)
    definition = client.get_service_definition("roads")
    assert definition["service_code"] == "roads"

    posted = requests.post(
        f"{endpoint}/requests.{output_format}",
        data={
            "api_key": client.api_key,
            "jurisdiction_id": client.jurisdiction,
            "service_code": "roads",
            "lat": "10.7769",
            "long": "106.7009",
            "address_string": "12 Lê Văn Sỹ, phường Bến Thành",
            "email": "lan@example.vn",
            "first_name": "Lan",
            "last_name": "Nguyễn",
            "phone": "0901234567",
            "description": "Ổ gà lớn trước số 12 đường Lê Văn Sỹ, xe máy té liên tục.",
        },
        timeout=10,
    )
    assert posted.status_code == 200, posted.text
    if output_format == "json":
        request_id = posted.json()[0]["service_request_id"]
    else:
        request_id = xmltodict.parse(posted.content)["service_requests"]["request"][
            "service_request_id"
        ]

    # the tracker classifies and routes it, as it does every ticket
    with Session(committed_pg) as session:
        ticket = session.execute(select(Ticket).where(Ticket.code == request_id)).scalar_one()
        assert (ticket.channel, ticket.requested_category_id) == ("open311", "roads")
        processing.process_ticket(
            session=session, ticket_id=ticket.id, classifier=sure_it_is_roads
        )
        session.commit()
        agency = session.get(Agency, "transport")
        assert agency is not None

    read = client.get_service_request(request_id)
    assert read["service_request_id"] == request_id
    assert read["status"] == "open"
    assert read["service_code"] == "roads"
    assert read["agency_responsible"] in (agency.name_vi, agency.name_en)
    assert read["expected_datetime"]
    assert "lan@example.vn" not in str(read) and "0901234567" not in str(read)

    listed = client.get_service_requests(service_request_id=request_id)
    listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one is a dict
    assert [entry["service_request_id"] for entry in listed] == [request_id]
