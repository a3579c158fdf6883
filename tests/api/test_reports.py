"""The JSON API: a valid report is filed; each kind of bad input is refused and writes nothing."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlmodel import Session

from core import outbox
from tests import factories
from tickets.models import Attachment, Ticket


def count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def photo_bytes(fmt: str = "JPEG", *, exif: bool = False) -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x0131] = "GeoTagger 1.0"  # Software
        image.save(out, format=fmt, exif=data)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


GOOD = {"description": "Đèn đường hẻm 42 Lý Tự Trọng tắt cả tuần nay, tối rất nguy hiểm.",
        "area_id": "26743", "phone": "0901 234 567", "email": "Lan@Example.vn",
        "name": "Nguyễn Thị Lan"}


def test_a_report_is_filed_with_code_event_and_outbox_row(client, session: Session) -> None:
    response = client.post("/api/v1/reports", json=GOOD)
    assert response.status_code == 201, response.text
    body = response.json()
    ticket = session.execute(select(Ticket).where(Ticket.code == body["code"])).scalar_one()
    assert ticket.reporter_phone == "+84901234567"
    assert ticket.reporter_email == "Lan@example.vn"
    assert ticket.channel == "api" and ticket.state == "received"
    assert [e["kind"] for e in body["timeline"]] == ["created"]
    queued = session.execute(select(outbox.OutboxMessage)).scalars().all()
    # classification, and the tracking code sent to the contact given (issue 13)
    filed = factories.filed_event_args(session, ticket)
    assert sorted((m.task, m.args) for m in queued) == [
        ("notify.receipt_to_resident", filed),
        ("tickets.process", filed),
    ]
    assert response.headers["location"] == f"/api/v1/reports/{ticket.code}"


def test_the_public_answer_never_shows_contact_details(client) -> None:
    text = "Cống bể trước nhà, gọi tôi 0912 345 678 hoặc lan@example.vn nhé"
    code = client.post("/api/v1/reports", json={**GOOD, "description": text}).json()["code"]
    body = client.get(f"/api/v1/reports/{code}").text
    for secret in ("0912 345 678", "lan@example.vn", "Nguyễn Thị Lan", "+84901234567",
                   "Lan@example.vn"):
        assert secret not in body
    assert "[phone hidden]" in body and "[email hidden]" in body


def test_anonymous_reports_keep_no_contact(client, session: Session) -> None:
    code = client.post("/api/v1/reports", json={**GOOD, "anonymous": True}).json()["code"]
    ticket = session.execute(select(Ticket).where(Ticket.code == code)).scalar_one()
    assert (ticket.reporter_name, ticket.reporter_phone, ticket.reporter_email) == (None,) * 3


BAD = [
    ({"description": "   "}, 422, "description"),
    ({"description": "x" * 5001}, 422, "description"),
    ({"phone": "12345"}, 422, "phone"),
    ({"phone": "call me maybe"}, 422, "phone"),
    ({"email": "not-an-email"}, 422, "email"),
    ({"latitude": 95.0, "longitude": 106.7}, 422, "latitude"),
    ({"latitude": 10.7, "longitude": 190.0}, 422, "longitude"),
    ({"latitude": 10.7}, 422, "latitude"),
    ({"area_id": "atlantis"}, 422, "area_id"),
    ({"area_id": None, "address": None}, 422, "area_id"),
    ({"language": "fr"}, 422, "language"),
    ({"category_id": "weather"}, 422, "category_id"),
    ({"photo_base64": base64.b64encode(b"%PDF-1.4 not a photo").decode()}, 422, "photo"),
    ({"photo_base64": "!!!"}, 422, "photo_base64"),
]


@pytest.mark.parametrize(("change", "status", "field"), BAD, ids=[b[2] + str(i) for i, b in
                                                                 enumerate(BAD)])
def test_bad_input_is_refused_and_nothing_is_written(client, session: Session, change: dict,
                                                     status: int, field: str) -> None:
    before = (count(session, Ticket), count(session, outbox.OutboxMessage))
    response = client.post("/api/v1/reports", json={**GOOD, **change})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field and error["message"]
    assert (count(session, Ticket), count(session, outbox.OutboxMessage)) == before


def test_missing_description_is_named(client) -> None:
    response = client.post("/api/v1/reports", json={"area_id": "26743"})
    assert response.status_code == 422
    assert "description" in response.json()["error"]["message"]


def test_error_messages_follow_the_language(client) -> None:
    response = client.post("/api/v1/reports?lang=vi", json={**GOOD, "description": ""})
    assert "Vui lòng mô tả" in response.json()["error"]["message"]


def test_an_oversized_body_is_refused_with_413(client, session: Session) -> None:
    before = count(session, Ticket)
    over = client.app.state.settings.max_request_bytes + 1024
    response = client.post("/api/v1/reports", content=b"{" + b" " * over + b"}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert count(session, Ticket) == before


def test_an_oversized_photo_is_refused_with_413(session: Session) -> None:
    from tests.conftest import make_client

    big = photo_bytes("PNG")
    with make_client(session, max_photo_bytes=len(big) - 1) as small_client:
        response = small_client.post("/api/v1/reports", json={
            **GOOD, "photo_base64": base64.b64encode(big).decode()})
    assert response.status_code == 413
    assert response.json()["error"]["field"] == "photo"


def test_a_photo_is_stored_re_encoded_without_its_exif(client, session: Session) -> None:
    from core.settings import get_settings

    raw = photo_bytes("JPEG", exif=True)
    assert Image.open(io.BytesIO(raw)).getexif()
    response = client.post("/api/v1/reports", json={
        **GOOD, "photo_base64": base64.b64encode(raw).decode()})
    assert response.status_code == 201
    attachment = session.execute(select(Attachment)).scalars().one()
    stored = (get_settings().media_dir / attachment.storage_path).read_bytes()
    assert attachment.content_type == "image/jpeg"
    assert not Image.open(io.BytesIO(stored)).getexif()
    assert attachment.public is False  # private until staff publish it (tests/web/test_media.py)


def test_following_a_report_by_code_and_by_a_mistyped_code(client) -> None:
    code = client.post("/api/v1/reports", json=GOOD).json()["code"]
    assert client.get(f"/api/v1/reports/{code.lower()[:4]}-{code[4:].lower()}").status_code == 200
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    response = client.get(f"/api/v1/reports/{wrong}")
    assert response.status_code == 422 and response.json()["error"]["field"] == "code"


def test_an_unknown_valid_code_is_404(client) -> None:
    from tickets import codes

    assert client.get(f"/api/v1/reports/{codes.new_code()}").status_code == 404


def test_openapi_documents_the_report_endpoints(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/reports"] and "get" in paths["/api/v1/reports/{code}"]


def test_a_client_filing_too_fast_is_slowed_down_and_nothing_is_written(session: Session) -> None:
    from tests.conftest import make_client

    with make_client(session, report_rate_limit="2/minute") as limited:
        answers = [limited.post("/api/v1/reports", json=GOOD).status_code for _ in range(3)]
        before = count(session, Ticket)
        refused = limited.post("/api/v1/reports?lang=en", json=GOOD)
    assert answers == [201, 201, 429]
    assert refused.status_code == 429 and "wait a minute" in refused.json()["error"]["message"]
    assert count(session, Ticket) == before


def test_an_emergency_without_a_place_is_still_filed_and_answered_with_the_numbers(
    client, session: Session
) -> None:
    response = client.post("/api/v1/reports", json={
        "description": "Fire! The house next door is burning right now, people are trapped inside",
        "language": "en"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["emergency"] is True
    assert all(number in body["emergency_advice"] for number in ("113", "114", "115"))
    assert session.execute(select(Ticket).where(Ticket.code == body["code"])).scalar_one()


def test_a_report_without_any_place_is_refused(client, session: Session) -> None:
    before = count(session, Ticket)
    response = client.post("/api/v1/reports", json={"description": GOOD["description"]})
    assert response.status_code == 422 and response.json()["error"]["field"] == "area_id"
    assert count(session, Ticket) == before


@pytest.mark.parametrize(("limit", "hand_overs"), [("", 1), ("30/minute", 2)])
def test_filing_hands_over_to_a_thread_only_for_the_route_and_the_rate_limit(
    session: Session, monkeypatch: pytest.MonkeyPatch, limit: str, hand_overs: int
) -> None:
    """Each hand-over to the thread pool costs about as much CPU as a small dependency's work
    (bench/intake.py): the request's dependencies are async; the route runs in a thread, and so
    does the rate limit's counter when a limit is set (it may wait on Redis)."""
    import anyio.to_thread

    from tests.conftest import make_client

    calls: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(function, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(getattr(function, "__qualname__", repr(function)))
        return await real(function, *args, **kwargs)

    with make_client(session, report_rate_limit=limit) as client:
        monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
        response = client.post("/api/v1/reports", json={
            "description": "Ổ gà lớn trên đường Lê Văn Sỹ gần chợ", "area_id": "26743"})
        monkeypatch.undo()
    assert response.status_code == 201, response.text
    assert len(calls) == hand_overs, calls
