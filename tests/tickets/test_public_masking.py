"""A resident's contact details never reach a public surface, wherever they were written.

One ticket collects contacts in every text that can be published: the description, the
agency's question, the resident's answer, the resolution, the rating comment and the reason for
reopening. Every public surface is then read: the status page, the JSON API, Open311 (JSON and
XML, one request and the list), and the public record. Each must show no phone number, no
e-mail address and not the reporter's name, and the timeline's messages must carry the masks
(so a surface that drops a message altogether is not mistaken for one that masks it).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session

from tests import factories
from tickets import links, redact, workflow
from tickets.models import Ticket

STAFF = workflow.Actor(type="staff", id=None, label="agent")
NAME = "Nguyễn Thị Lan"
PHONE = "+84903123456"
EMAIL = "lan.nguyen@example.vn"
# the forms residents and staff actually type
SECRETS = [
    NAME, PHONE, EMAIL,
    "0903 123 456", "0903.123.456", "0903-123-456", "0903123456", "+84 903 123 456",
    "lan.nguyen@", "@example.vn", "hoa.tran@mail.com", "0912 888 999",
]
DESCRIPTION = (
    "Ổ gà lớn trước số 12 đường Lê Văn Sỹ. Gọi tôi 0903 123 456 hoặc lan.nguyen@example.vn."
)
QUESTION = "Chị Lan ơi, số 0903.123.456 có đúng không? Cho biết số nhà chính xác."
ANSWER = "Đúng số 0903-123-456, email lan.nguyen@example.vn, nhà số 12."
RESOLUTION = "Đã vá ổ gà. Mọi thắc mắc gọi anh Hòa 0912 888 999 hoặc hoa.tran@mail.com."
COMMENT = "Cảm ơn, gọi 0903123456 nếu cần."
REOPEN = "Ổ gà lại bể, gọi +84 903 123 456."


def assert_no_contact(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} is public on {where}"


@pytest.fixture
def ticket(pg_session: Session, pg_client: Any) -> Ticket:
    """Filed, asked, answered (through the resident's link), resolved and rated."""
    ticket = factories.routed_ticket(
        pg_session, category_id="roads", description=DESCRIPTION, reporter_name=NAME,
        reporter_phone=PHONE, reporter_email=EMAIL,
    )
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    workflow.request_information(session=pg_session, ticket=ticket, question=QUESTION, actor=STAFF)
    pg_session.commit()
    answered = pg_client.post(
        f"/status/{ticket.code}/answer",
        data={"t": links.make_token(ticket, "answer"), "text": ANSWER},
        follow_redirects=False,
    )
    assert answered.status_code == 303, answered.text
    workflow.resolve(session=pg_session, ticket=ticket, resolution=RESOLUTION, actor=STAFF)
    workflow.rate(session=pg_session, ticket=ticket, rating=4, comment=COMMENT)
    pg_session.commit()
    return ticket


def surfaces(client: Any, code: str) -> dict[str, str]:
    return {
        "status page (vi)": client.get(f"/status/{code}").text,
        "status page (en)": client.get(f"/status/{code}", params={"lang": "en"}).text,
        "JSON API": client.get(f"/api/v1/reports/{code}").text,
        "Open311 request (json)": client.get(f"/open311/v2/requests/{code}.json").text,
        "Open311 request (xml)": client.get(f"/open311/v2/requests/{code}.xml").text,
        "Open311 list (json)": client.get("/open311/v2/requests.json").text,
        "Open311 list (xml)": client.get("/open311/v2/requests.xml").text,
    }


def test_no_public_surface_shows_a_contact(pg_client: Any, ticket: Ticket) -> None:
    pages = surfaces(pg_client, ticket.code)
    pages["public record"] = pg_client.get("/public").text
    pages["public record search"] = pg_client.get("/public", params={"q": "vá ổ gà"}).text
    for where, text in pages.items():
        assert_no_contact(text, where)
    # the ticket is really on each of them (an empty page would pass the loop above)
    for where in ("JSON API", "Open311 request (json)", "status page (en)"):
        assert "[phone hidden]" in pages[where], where
    # pages show the mask in their own language (issue 13)
    pages["public record (vi)"] = pg_client.get("/public", params={"lang": "vi"}).text
    for where in ("status page (vi)", "public record (vi)"):
        assert "[đã ẩn số điện thoại]" in pages[where], where
        assert "[phone hidden]" not in pages[where], where


def test_every_timeline_message_is_masked(pg_client: Any, ticket: Ticket) -> None:
    body = pg_client.get(f"/api/v1/reports/{ticket.code}").json()
    messages = {event["kind"]: event["message"] for event in body["timeline"] if event["message"]}
    # the agency's words (its question, the resolution) are public
    for kind in ("info_requested", "resolved"):
        assert kind in messages, (kind, list(messages))
    for kind, message in messages.items():
        assert_no_contact(message, f"timeline message {kind}")
    assert messages["info_requested"] == redact.mask_text(QUESTION)
    assert "[phone hidden]" in messages["info_requested"]
    assert messages["resolved"] == (
        "Đã vá ổ gà. Mọi thắc mắc gọi anh Hòa [phone hidden] hoặc [email hidden]."
    )
    # the resident's own words (answer, rating comment) may be kept private; when shown, masked
    if "rated" in messages:
        assert messages["rated"] == "Cảm ơn, gọi [phone hidden] nếu cần."
    if "info_received" in messages:
        assert messages["info_received"] == (
            "Đúng số [phone hidden], email [email hidden], nhà số 12."
        )
    status = pg_client.get(f"/status/{ticket.code}").text
    assert "anh Hòa [đã ẩn số điện thoại] hoặc [đã ẩn e-mail]" in status


def test_a_reopened_ticket_shows_the_reason_masked(pg_client: Any, ticket: Ticket) -> None:
    reopened = pg_client.post(
        f"/status/{ticket.code}/reopen",
        data={"t": links.make_token(ticket, "rate"), "reason": REOPEN},
        follow_redirects=False,
    )
    assert reopened.status_code == 303, reopened.text
    for where, text in surfaces(pg_client, ticket.code).items():
        assert_no_contact(text, where)
    body = pg_client.get(f"/api/v1/reports/{ticket.code}").json()
    [event] = [e for e in body["timeline"] if e["kind"] == "reopened"]
    if event["message"] is not None:  # the resident's words: private, or public and masked
        assert event["message"] == "Ổ gà lại bể, gọi [phone hidden]."


def test_the_description_is_masked_where_it_is_shown(pg_client: Any, ticket: Ticket) -> None:
    masked = "Gọi tôi [phone hidden] hoặc [email hidden]."
    assert masked in pg_client.get(f"/api/v1/reports/{ticket.code}").json()["description"]
    [request] = pg_client.get(f"/open311/v2/requests/{ticket.code}.json").json()
    assert masked in request["description"]
    assert masked in pg_client.get(f"/status/{ticket.code}?lang=en").text
    shown = "Gọi tôi [đã ẩn số điện thoại] hoặc [đã ẩn e-mail]."
    assert shown in pg_client.get(f"/status/{ticket.code}?lang=vi").text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gọi 0903 123 456", "gọi [phone hidden]"),
        ("gọi 0903.123.456 nhé", "gọi [phone hidden] nhé"),
        ("gọi +84 903 123 456", "gọi [phone hidden]"),
        ("gọi 0283-829-1234", "gọi [phone hidden]"),
        ("mail An.Tran+hotline@so-gtvt.hochiminhcity.gov.vn ngay", "mail [email hidden] ngay"),
        # nine digits is a phone number (a mobile written without its 0); eight is not
        ("số 903 123 456", "số [phone hidden]"),
        ("mã 12.345.678", "mã 12.345.678"),
        # not personal data: house numbers, dates, amounts stay readable
        ("nhà số 12/3 Lê Lợi", "nhà số 12/3 Lê Lợi"),
        ("từ 01.03.2026 đến nay", "từ 01.03.2026 đến nay"),
        ("phạt 1.500.000 đồng", "phạt 1.500.000 đồng"),
    ],
)
def test_mask_text(text: str, expected: str) -> None:
    assert redact.mask_text(text) == expected


def test_mask_text_of_nothing_is_empty() -> None:
    assert redact.mask_text(None) == ""
    assert redact.mask_text("") == ""


def test_mask_phone_keeps_only_the_ends() -> None:
    assert redact.mask_phone("+84901234567") == "+84 ••• ••• 567"
    assert redact.mask_phone(None) == ""
    assert not re.search(r"9012345", redact.mask_phone("+84901234567"))


def test_every_mask_reads_in_vietnamese_on_vietnamese_pages() -> None:
    text = " ".join(redact.MASKS)
    shown = redact.localize_masks(text, "vi")
    for mask in redact.MASKS:
        assert mask not in shown, mask
    assert "[đã ẩn tên]" in shown
    assert redact.localize_masks(text, "en") == text
