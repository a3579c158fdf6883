"""Hostile input at every door, forwarded headers, oversized chunked bodies, security headers
and the documented answers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from tests.conftest import make_client
from tests.open311 import spec
from tickets.models import Ticket

GOOD = {"description": "Đèn đường hẻm 42 Lý Tự Trọng tắt cả tuần nay, tối rất nguy hiểm.",
        "area_id": "26743"}


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Ticket)).scalar_one())


# ----------------------------------------------------------------- NUL bytes, lone surrogates


@pytest.mark.parametrize(
    "path",
    [
        "/public?q=a%00b",
        "/status?code=AB%00CD",
        "/status/ABCD%00EFGH",
        "/api/v1/reports/ABCD%00EFGH",
        "/open311/v2/requests.json?service_code=roads%00",
        "/open311/v2/services/roads%00.json",
        "/static/site.css%00",
        "/admin/agency/list?search=a%00b",
    ],
)
def test_a_nul_byte_in_a_path_or_query_is_a_4xx_not_a_500(pg_client, path: str) -> None:
    response = pg_client.get(path, follow_redirects=False)
    assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:200])


def test_a_nul_in_open311_answers_the_spec_error_document(pg_client) -> None:
    response = pg_client.get("/open311/v2/requests.xml?service_code=roads%00")
    assert response.status_code == 400
    spec.error_records(response, "xml")


def test_a_nul_on_a_page_is_answered_with_a_page_in_the_visitors_language(pg_client) -> None:
    response = pg_client.get("/public?q=a%00b&lang=vi")
    assert response.status_code == 400 and "text/html" in response.headers["content-type"]
    assert "không được phép" in response.text


@pytest.mark.parametrize("value", ["a\x00b", "\ud800 lone", "ok \udfff"])
def test_the_json_api_refuses_nul_and_lone_surrogates(pg_client, pg_session, value: str) -> None:
    before = count(pg_session)
    body = json.dumps({**GOOD, "address": value})  # \u0000 and \ud800 escapes
    response = pg_client.post(
        "/api/v1/reports", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"
    assert count(pg_session) == before


@pytest.mark.parametrize("field", ["description", "name", "address"])
def test_the_report_form_refuses_a_nul(pg_client, pg_session, field: str) -> None:
    before = count(pg_session)
    data = {"description": GOOD["description"], "area_id": "26743"}
    data[field] = data.get(field, "") + "x\x00y"
    response = pg_client.post("/report?lang=en", data=data, follow_redirects=False)
    assert response.status_code == 422
    assert "not allowed" in response.text
    assert count(pg_session) == before


@pytest.mark.parametrize("value", ["bad\x00", "\ud800"])
def test_open311_extra_fields_with_nul_or_surrogates_are_a_400(
    pg_client, pg_session, value: str
) -> None:
    key = spec.new_key(pg_session)
    fields = {"api_key": key, "service_code": "roads", "lat": "10.77", "long": "106.70",
              "description": "Ổ gà lớn trước số 12 đường Lê Văn Sỹ", "device_id": value}
    as_json = pg_client.post(
        "/open311/v2/requests.json", content=json.dumps(fields),
        headers={"content-type": "application/json"},
    )
    assert as_json.status_code == 400
    spec.error_records(as_json, "json")
    if "\x00" in value:  # a lone surrogate cannot be form-encoded (it arrives as U+FFFD)
        form = pg_client.post("/open311/v2/requests.xml", data=fields)
        assert form.status_code == 400
        spec.error_records(form, "xml")
    assert count(pg_session) == 0


# ----------------------------------------------------------------- forwarded headers


def test_rotating_x_forwarded_for_from_a_non_proxy_does_not_raise_the_limit(
    session: Session,
) -> None:
    with make_client(session, report_rate_limit="2/minute") as client:
        answers = [
            client.post("/api/v1/reports", json=GOOD,
                        headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
            for n in range(4)
        ]
    assert answers == [201, 201, 429, 429]


def test_a_listed_proxy_is_believed(session: Session) -> None:
    # TestClient's peer is "testclient": listing it makes it a trusted proxy
    with make_client(session, report_rate_limit="2/minute", trusted_proxies="testclient") as c:
        answers = [
            c.post("/api/v1/reports", json=GOOD,
                   headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
            for n in range(4)
        ]
    assert answers == [201, 201, 201, 201]


# ----------------------------------------------------------------- oversized bodies


def test_an_oversized_chunked_body_is_a_413(client, session: Session) -> None:
    megabytes = client.app.state.settings.max_request_bytes // 2**20 + 2

    def chunks() -> Iterator[bytes]:
        yield b'{"description": "'
        for _ in range(megabytes):
            yield b"x" * 1024 * 1024
        yield b'"}'

    before = count(session)
    response = client.post(
        "/api/v1/reports", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert count(session) == before


def test_an_oversized_chunked_form_is_a_413(client) -> None:
    megabytes = client.app.state.settings.max_request_bytes // 2**20 + 2

    def chunks() -> Iterator[bytes]:
        yield b"description="
        for _ in range(megabytes):
            yield b"x" * 1024 * 1024

    response = client.post(
        "/report", content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


# ----------------------------------------------------------------- security headers


def test_every_answer_carries_the_security_headers(client) -> None:
    for path in ("/", "/api/v1/areas", "/static/site.css", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1]
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in headers  # http://testserver


def test_hsts_and_secure_cookies_when_the_site_is_https(session: Session) -> None:
    with make_client(session, public_base_url="https://hotline.example.org") as client:
        page = client.get("/staff/login")
    assert page.headers["strict-transport-security"].startswith("max-age=")
    assert "secure" in page.headers["set-cookie"].lower()


def test_no_template_has_inline_script_style_or_handlers() -> None:
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "web" / "templates"
    for template in templates.rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"<script([^>]*)>", text):
            attributes = match.group(1)
            assert "src=" in attributes or 'type="application/json"' in attributes, template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "|safe" not in text, template
        # the CSP's style-src 'self' blocks these too
        assert "<style" not in text and not re.search(r"\sstyle\s*=", text), template


# ----------------------------------------------------------------- the OpenAPI document


def test_the_openapi_document_lists_the_error_answers_and_the_open311_body(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for operation in (paths["/api/v1/reports"]["post"], paths["/api/v1/reports/{code}"]["get"]):
        assert {"400", "404", "413", "422", "429"} <= set(operation["responses"])
    post = paths["/open311/v2/requests.{fmt}"]["post"]
    body = post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"api_key", "service_code", "lat", "long"} <= set(body["properties"])
    assert {"401", "403"} <= set(paths["/api/v1/staff/tickets"]["get"]["responses"])
