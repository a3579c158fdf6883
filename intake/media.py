"""MMS photos: fetched from Twilio with the account's credentials, checked, re-encoded, stored."""

from __future__ import annotations

import logging

import requests
from sqlmodel import Session

from core.settings import Settings
from core.tasks import TransientError
from intake import fetched_media
from tickets.models import Attachment

log = logging.getLogger(__name__)
TWILIO_MEDIA_PREFIX = "https://api.twilio.com/"


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
    return fetched_media.keep_photo(
        session=session, attachment=attachment, data=data, settings=settings, service="MMS"
    )


def _download(url: str, *, auth: tuple[str, str], max_bytes: int) -> bytes | None:
    """The body, or None if Twilio no longer has it; TransientError for what a retry may fix."""
    try:
        # requests drops the Authorization header when Twilio redirects to its storage host
        with requests.get(url, auth=auth, timeout=20, stream=True) as response:
            return fetched_media.read_body(response, service="Twilio", max_bytes=max_bytes)
    except requests.RequestException as error:
        raise TransientError(f"Twilio media unreachable: {error}") from error
