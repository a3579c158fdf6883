"""MMS photos: fetched from Twilio with the account's credentials, checked, re-encoded, stored."""

from __future__ import annotations

import logging

import requests
from sqlmodel import Session

from core.errors import HotlineError
from core.settings import Settings
from core.tasks import TransientError
from intake import photos
from tickets.models import Attachment

log = logging.getLogger(__name__)
TWILIO_MEDIA_PREFIX = "https://api.twilio.com/"
CHUNK = 64 * 1024


def fetch_attachment(*, session: Session, attachment_id: int, settings: Settings) -> str:
    """Download one MMS photo once; safe to run twice (a stored photo is not fetched again)."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise LookupError(f"attachment {attachment_id} does not exist")
    if attachment.storage_path:
        return "already_stored"
    if not (attachment.source_url or "").startswith(TWILIO_MEDIA_PREFIX):
        return "not_twilio_media"
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        log.warning("MMS photo %s not fetched: Twilio credentials are not set", attachment_id)
        return "no_credentials"
    data = _download(
        attachment.source_url or "",
        auth=(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value()),
        max_bytes=settings.max_photo_bytes,
    )
    if data is None:
        return "missing"
    try:
        checked = photos.check_photo(data, max_bytes=settings.max_photo_bytes)
    except HotlineError as error:
        log.warning("MMS photo %s refused: %s", attachment_id, error.message)
        return "refused"
    attachment.storage_path = photos.store_photo(checked, media_dir=settings.media_dir)
    attachment.sha256 = checked.sha256
    attachment.size_bytes = checked.size_bytes
    attachment.content_type = checked.content_type
    # re-encoded (no EXIF) but still private, like a photo from the web form: staff publish it
    session.add(attachment)
    session.flush()
    return "stored"


def _download(url: str, *, auth: tuple[str, str], max_bytes: int) -> bytes | None:
    """The body, or None if Twilio no longer has it; TransientError for what a retry may fix."""
    try:
        # requests drops the Authorization header when Twilio redirects to its storage host
        with requests.get(url, auth=auth, timeout=20, stream=True) as response:
            if response.status_code == 429 or response.status_code >= 500:
                raise TransientError(f"Twilio media answered {response.status_code}")
            if response.status_code >= 400:
                log.warning("Twilio media answered %s: not retried", response.status_code)
                return None
            body = bytearray()
            for chunk in response.iter_content(CHUNK):
                body.extend(chunk)
                if len(body) > max_bytes:
                    break  # check_photo refuses it as too large
            return bytes(body)
    except requests.RequestException as error:
        raise TransientError(f"Twilio media unreachable: {error}") from error
