"""What the GeoReport v2 specification (wiki.open311.org/GeoReport_v2) says each document holds,
and a reader that turns a JSON or an XML answer into the same records for the checks."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from sqlmodel import Session

from open311 import service

# field names in the order of the specification's tables
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
POST_ANSWER_FIELDS = ["service_request_id", "service_notice", "account_id"]
TOKEN_FIELDS = ["service_request_id", "token"]
ERROR_FIELDS = ["code", "description"]
DISCOVERY_FIELDS = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT_FIELDS = ["specification", "url", "changeset", "type", "formats"]
# w3 date-time (a subset of ISO 8601) with seconds and a mandatory zone: Z or +HH:MM
W3_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
MEDIA_TYPES = {"json": "application/json", "xml": "text/xml"}
FORMATS = ("json", "xml")


def scalar(value: Any) -> str | None:
    """JSON and XML compared as text: null and an empty element are both None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def xml_root(response: Any) -> ET.Element:
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def element_record(element: ET.Element) -> dict[str, Any]:
    return {child.tag: scalar(child.text) for child in element}


def records(response: Any, fmt: str, root: str, item: str) -> list[dict[str, Any]]:
    """A list document (services, service_requests, errors) as a list of {field: text}."""
    assert response.headers["content-type"].startswith(MEDIA_TYPES[fmt])
    assert "charset=utf-8" in response.headers["content-type"]
    if fmt == "json":
        body = response.json()
        assert isinstance(body, list)
        return [{key: scalar(value) for key, value in entry.items()} for entry in body]
    element = xml_root(response)
    assert element.tag == root
    assert all(child.tag == item for child in element)
    return [element_record(child) for child in element]


def error_records(response: Any, fmt: str) -> list[dict[str, Any]]:
    errors = records(response, fmt, "errors", "error")
    assert errors, "an error document lists at least one error"
    for error in errors:
        assert list(error) == ERROR_FIELDS
        assert error["code"] == str(response.status_code)
        assert error["description"]
    return errors


def parse_w3(value: str) -> datetime:
    assert W3_DATETIME.match(value), f"not a w3 date-time with a zone: {value}"
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None
    return parsed


def loads(response: Any) -> Any:
    return json.loads(response.content)


def new_key(session: Session, name: str = "City app") -> str:
    _client, api_key = service.create_client(session=session, name=name)
    return api_key
