"""A caller's voice recording and a resident's MMS photo are private: anyone without rights who
asks for them gets a 404, as if they did not exist (a 403 would confirm they do), even holding
the photo's real address. The staff of the ticket's agency do get them (so a 404 for everybody
would not pass).

Conventions 15: private by default (photos, recordings, residents' answers), published by a
staff decision. The MMS photo goes through the real path: the SMS webhook's attachment, then the
`intake.fetch_mms_media` work that downloads and re-encodes it (Twilio's answer is caught).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import responses
from sqlmodel import Session, col

from core.settings import get_settings
from intake import media, voice
from tests import factories
from tests.conftest import make_client
from tests.intake.helpers import jpeg_bytes, twilio_settings
from tests.staff import helpers
from tickets import media as ticket_media
from tickets.models import Attachment, Ticket

MEDIA_URL = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM9/Media/ME9"


def mms_photo(session: Session) -> tuple[Ticket, Attachment]:
    from intake import sms

    ticket = factories.routed_ticket(session, category_id="roads", channel="sms",
                                     reporter_phone="+84903123456")
    sms.attach_photos(session=session, ticket=ticket, photos=[(MEDIA_URL, "image/jpeg")])
    attachment = session.query(Attachment).filter(col(Attachment.ticket_id) == ticket.id).one()
    with responses.RequestsMock() as caught:
        caught.add(responses.GET, MEDIA_URL, body=jpeg_bytes(), content_type="image/jpeg")
        assert media.fetch_attachment(
            session=session, attachment_id=attachment.id, settings=twilio_settings()
        ) == "stored"
    assert attachment.storage_path
    session.commit()
    return ticket, attachment


def voice_recording(session: Session) -> tuple[Ticket, Attachment]:
    ticket = factories.routed_ticket(session, category_id="roads", channel="phone",
                                     reporter_phone="+84903123456")
    voice.keep_recording(
        session=session, ticket=ticket,
        recording=voice.Recording(sid="RE" + "1" * 32,
                                  url="https://api.twilio.com/2010-04-01/Recordings/RE1",
                                  seconds=12),
    )
    attachment = session.query(Attachment).filter(col(Attachment.ticket_id) == ticket.id).one()
    # a copy kept on our side (as a download of the recording would), so that only the rights
    # check, not a missing file, can answer 404
    relative = Path("recordings") / f"{attachment.id}.mp3"
    target = get_settings().media_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64)
    attachment.storage_path = relative.as_posix()
    session.add(attachment)
    session.commit()
    return ticket, attachment


def outsiders(session: Session) -> list[tuple[str, Any]]:
    """Clients without rights to the ticket: anybody, and staff of another agency."""
    anybody = make_client(session)
    other_agency = make_client(session)
    account = helpers.user(session, "agent", "drainage", email="drainage.agent@example.org")
    session.commit()
    helpers.login(other_agency, account)
    return [("anybody", anybody), ("staff of another agency", other_agency)]


def assert_hidden(session: Session, ticket: Ticket, attachment: Attachment) -> None:
    assert attachment.id is not None
    address = ticket_media.url(attachment.id)
    for who, client in outsiders(session):
        with client:
            for path in (address, f"/media/{attachment.id}"):
                answer = client.get(path)
                assert answer.status_code == 404, (who, path, answer.status_code)
                assert answer.headers["content-type"].split(";")[0] != attachment.content_type
            page = client.get(f"/status/{ticket.code}")
            assert page.status_code == 200
            assert address not in page.text, who
            report = client.get(f"/api/v1/reports/{ticket.code}").text
            assert address not in report, who
    # the agency's own staff do get it: the 404s above are the rights check, not a broken link
    with make_client(session) as own:
        account = helpers.user(session, "agent", "transport", email="transport.agent@example.org")
        session.commit()
        helpers.login(own, account)
        answer = own.get(address)
        assert answer.status_code == 200, answer.status_code
        assert answer.headers["cache-control"] == "private, no-store"


def test_a_voice_recording_is_a_404_to_anyone_without_rights(pg_session: Session) -> None:
    ticket, attachment = voice_recording(pg_session)
    assert_hidden(pg_session, ticket, attachment)


def test_an_mms_photo_is_a_404_to_anyone_without_rights(pg_session: Session) -> None:
    ticket, attachment = mms_photo(pg_session)
    assert_hidden(pg_session, ticket, attachment)
