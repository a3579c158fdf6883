"""Residents' photos are private by default: 404 without rights, the photo for the agency's
staff, public only once staff published it; addresses cannot be guessed."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import Session

from intake import photos
from tests import factories
from tests.conftest import make_client
from tests.staff.helpers import csrf_for, login, user
from tickets import media
from tickets import service as tickets_service
from tickets.models import Attachment, Ticket


def stored_photo(session: Session, ticket: Ticket) -> tuple[Attachment, bytes]:
    from core.settings import get_settings

    raw = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(raw, format="PNG")
    checked = photos.check_photo(raw.getvalue(), max_bytes=2**20)
    path = photos.store_photo(checked, media_dir=get_settings().media_dir)
    attachment = tickets_service.add_attachment(
        session=session,
        ticket=ticket,
        attachment=tickets_service.NewAttachment(
            content_type=checked.content_type, size_bytes=checked.size_bytes,
            sha256=checked.sha256, storage_path=path,
        ),
    )
    return attachment, checked.data


def test_a_new_photo_is_private_and_its_address_is_not_its_id(pg_session: Session) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads", agency_id="transport")
    attachment, _data = stored_photo(pg_session, ticket)
    assert attachment.public is False
    with make_client(pg_session) as client:
        assert client.get(media.url(attachment.id)).status_code == 404
        assert client.get(f"/media/{attachment.id}").status_code == 404
        assert client.get("/media/9223372036854775808").status_code == 404
        assert client.get("/media/" + "9" * 40).status_code == 404
        assert client.get(media.url(attachment.id) + "x").status_code == 404
    assert str(attachment.id) not in media.token(attachment.id).split(".")[-1]


def test_out_of_range_ids_in_a_signed_token_are_not_found(pg_session: Session) -> None:
    with make_client(pg_session) as client:
        for forged in (2**63, 2**31, 0, -1):
            assert client.get(f"/media/{media.token(forged)}").status_code == 404


def test_the_responsible_agency_sees_a_private_photo_another_agency_does_not(
    pg_session: Session,
) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads", agency_id="transport")
    attachment, data = stored_photo(pg_session, ticket)
    agent = user(pg_session, "agent", "transport")
    stranger = user(pg_session, "agent", "sanitation", email="other@example.org")
    with make_client(pg_session) as client:
        login(client, agent)
        answer = client.get(media.url(attachment.id))
        assert answer.status_code == 200 and answer.content == data
        assert "no-store" in answer.headers["cache-control"]
    with make_client(pg_session) as client:
        login(client, stranger)
        assert client.get(media.url(attachment.id)).status_code == 404


def test_a_photo_staff_published_is_public_and_hiding_it_makes_it_private_again(
    pg_session: Session,
) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads", agency_id="transport")
    attachment, data = stored_photo(pg_session, ticket)
    agent = user(pg_session, "agent", "transport")
    address = media.url(attachment.id)
    with make_client(pg_session) as staff_client:
        login(staff_client, agent)
        token = csrf_for(staff_client)
        page = staff_client.get(f"/staff/tickets/{ticket.id}")
        assert address in page.text
        done = staff_client.post(
            f"/staff/tickets/{ticket.id}/photos/{attachment.id}/publish",
            data={"csrf_token": token}, follow_redirects=False,
        )
        assert done.status_code == 303
    with make_client(pg_session) as public:
        assert public.get(address).content == data
        assert address in public.get(f"/status/{ticket.code}").text
    with make_client(pg_session) as staff_client:
        login(staff_client, agent)
        staff_client.post(
            f"/staff/tickets/{ticket.id}/photos/{attachment.id}/hide",
            data={"csrf_token": csrf_for(staff_client)}, follow_redirects=False,
        )
    with make_client(pg_session) as public:
        assert public.get(address).status_code == 404


def test_publishing_needs_the_csrf_token(pg_session: Session) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads", agency_id="transport")
    attachment, _data = stored_photo(pg_session, ticket)
    with make_client(pg_session) as client:
        login(client, user(pg_session, "agent", "transport"))
        refused = client.post(f"/staff/tickets/{ticket.id}/photos/{attachment.id}/publish")
        assert refused.status_code == 403
    pg_session.refresh(attachment)
    assert attachment.public is False


@pytest.mark.parametrize("kind", ["recording"])
def test_a_voice_recording_is_never_published(pg_session: Session, kind: str) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads", agency_id="transport")
    attachment, _data = stored_photo(pg_session, ticket)
    attachment.kind = kind
    attachment.public = True  # even if a row says so
    pg_session.add(attachment)
    pg_session.flush()
    with make_client(pg_session) as client:
        assert client.get(media.url(attachment.id)).status_code == 404
