"""Zalo photos: fetched from Zalo's CDN by a task, checked like web photos, kept private.

Only https addresses on Zalo's own hosts (ZALO_MEDIA_HOSTS) are fetched, redirects included,
so an event cannot make the server fetch an address of the attacker's choosing.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

import requests
from sqlmodel import Session

from core.errors import HotlineError
from core.settings import Settings
from core.tasks import TransientError
from intake import photos
from tickets.models import Attachment

log = logging.getLogger(__name__)
CHUNK = 64 * 1024
MAX_REDIRECTS = 3


def allowed(url: str, settings: Settings) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and any(
        host == domain or host.endswith("." + domain) for domain in settings.zalo_media_hosts
    )


def fetch_photo(*, session: Session, attachment_id: int, settings: Settings) -> str:
    """Download one photo once; safe to run twice (a stored photo is not fetched again)."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise LookupError(f"attachment {attachment_id} does not exist")
    if attachment.storage_path:
        return "already_stored"
    url = attachment.source_url or ""
    if not allowed(url, settings):
        log.warning("Zalo photo %s not fetched: not a Zalo media address", attachment_id)
        return "not_zalo_media"
    data = _download(url, settings=settings)
    if data is None:
        return "missing"
    try:
        checked = photos.check_photo(data, max_bytes=settings.max_photo_bytes)
    except HotlineError as error:
        log.warning("Zalo photo %s refused: %s", attachment_id, error.message)
        return "refused"
    attachment.storage_path = photos.store_photo(checked, media_dir=settings.media_dir)
    attachment.sha256 = checked.sha256
    attachment.size_bytes = checked.size_bytes
    attachment.content_type = checked.content_type
    attachment.public = False  # private by default: published by a staff decision
    session.add(attachment)
    session.flush()
    return "stored"


def _download(url: str, *, settings: Settings) -> bytes | None:
    max_bytes = settings.max_photo_bytes
    try:
        for _ in range(MAX_REDIRECTS + 1):
            with requests.get(url, timeout=20, stream=True, allow_redirects=False) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("location", ""))
                    if not allowed(url, settings):
                        log.warning("Zalo photo redirected off Zalo's hosts: not fetched")
                        return None
                    continue
                if response.status_code == 429 or response.status_code >= 500:
                    raise TransientError(f"Zalo media answered {response.status_code}")
                if response.status_code >= 400:
                    log.warning("Zalo media answered %s: not retried", response.status_code)
                    return None
                body = bytearray()
                for chunk in response.iter_content(CHUNK):
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        break  # check_photo refuses it as too large
                return bytes(body)
    except requests.RequestException as error:
        raise TransientError(f"Zalo media unreachable: {type(error).__name__}") from error
    return None
