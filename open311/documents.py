"""GeoReport v2 documents in XML (ElementTree) and JSON, and the spec's error documents.

JSON follows the spec's examples: lists at the top for services and requests, objects for a
service definition and the discovery document. XML uses the spec's element names; a list
holds one element per item (services/service, service_requests/request, errors/error ...).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from fastapi.responses import Response

XML_MEDIA_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
JSON_MEDIA_TYPE = "application/json; charset=utf-8"
FORMATS = ("json", "xml")

# the element name of one item in each list of the spec
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item_name = ITEM_NAMES[element.tag]
        for item in value:
            _fill(ET.SubElement(element, item_name), item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode("utf-8")


def document(fmt: str, root: str, value: Any, *, status_code: int = 200) -> Response:
    """`root` names the XML root element (services, service_requests, service_definition ...)."""
    if fmt == "xml":
        return Response(to_xml(root, value), status_code=status_code, media_type=XML_MEDIA_TYPE)
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status_code, media_type=JSON_MEDIA_TYPE)


def errors(fmt: str, status_code: int, descriptions: list[str]) -> Response:
    """The spec's error document: a list of {code, description}, with the HTTP status."""
    items = [{"code": status_code, "description": text} for text in descriptions]
    return document(fmt, "errors", items, status_code=status_code)


def format_of_path(path: str) -> str:
    """The answer's format from the resource's suffix; XML, the spec's required one, otherwise."""
    return "json" if path.rstrip("/").lower().endswith(".json") else "xml"
