"""Status links are built in one place (tickets.links) for pages, the API and messages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from core.settings import Settings
from tickets import links
from tickets.links import status_path, status_url
from tickets.models import Ticket


def test_the_status_page_and_its_sub_pages() -> None:
    assert status_path("AB12CD34") == "/status/AB12CD34"
    assert status_path("AB12CD34", lang="vi") == "/status/AB12CD34?lang=vi"
    assert status_path("AB12CD34", "rate", t="x.y-z", done="rated", lang="en") == (
        "/status/AB12CD34/rate?t=x.y-z&done=rated&lang=en"
    )


def test_query_values_are_encoded_so_a_typed_value_cannot_add_parameters() -> None:
    assert status_path("AB12CD34", "rate", t="a&lang=xx") == "/status/AB12CD34/rate?t=a%26lang%3Dxx"


def test_the_absolute_link_uses_the_public_base_url_once_slashed() -> None:
    settings = Settings(public_base_url="https://1022.example.vn/")
    assert status_url("AB12CD34", settings=settings, lang="vi") == (
        "https://1022.example.vn/status/AB12CD34?lang=vi"
    )


def test_the_signed_link_in_a_message_opens_its_own_page_in_the_residents_language() -> None:
    ticket = Ticket(id=42, code="AB12CD34", language="vi", description="x")
    settings = Settings(public_base_url="https://1022.example.vn")
    link = urlsplit(links.signed_url(ticket, "answer", settings=settings))
    query = parse_qs(link.query)
    assert link.path == "/status/AB12CD34/answer" and query["lang"] == ["vi"]
    links.check_token(query["t"][0], ticket=ticket, purpose="answer")  # accepted: no error
