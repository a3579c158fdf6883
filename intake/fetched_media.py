"""What the MMS (Twilio) and Zalo photo fetchers share: reading a provider's answer within the
size limit, and checking, re-encoding and storing the photo on its attachment, private."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session

from core.errors import HotlineError
from core.settings import Settings
from core.tasks import TransientError
from intake import photos
from tickets.models import Attachment

log = logging.getLogger(__name__)
CHUNK = 64 * 1024


def read_body(response: Any, *, service: str, max_bytes: int) -> bytes | None:
    """The body of a streamed `requests` answer, read to just past `max_bytes` (check_photo
    then refuses it as too large); None for a refusal a retry will not change;
    TransientError for a throttled or failing provider."""
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(f"{service} media answered {response.status_code}")
    if response.status_code >= 400:
        log.warning("%s media answered %s: not retried", service, response.status_code)
        return None
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body.extend(chunk)
        if len(body) > max_bytes:
            break
    return bytes(body)


def keep_photo(
    *, session: Session, attachment: Attachment, data: bytes, settings: Settings, service: str
) -> str:
    """Check and re-encode the photo (no EXIF) and store it on the attachment, private until
    staff publish it: "stored", or "refused" when it is no photo or too large."""
    try:
        checked = photos.check_photo(data, max_bytes=settings.max_photo_bytes)
    except HotlineError as error:
        log.warning("%s photo %s refused: %s", service, attachment.id, error.message)
        return "refused"
    attachment.storage_path = photos.store_photo(checked, media_dir=settings.media_dir)
    attachment.sha256 = checked.sha256
    attachment.size_bytes = checked.size_bytes
    attachment.content_type = checked.content_type
    attachment.public = False
    session.add(attachment)
    session.flush()
    return "stored"
