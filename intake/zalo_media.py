"""Zalo photos: fetched from Zalo's CDN by a task, checked like web photos, kept private.

Only https addresses on Zalo's own hosts (ZALO_MEDIA_HOSTS) are fetched, redirects included,
so an event cannot make the server fetch an address of the attacker's choosing.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

import requests
from sqlmodel import Session

from core.settings import Settings
from core.tasks import TransientError
from intake import fetched_media
from tickets.models import Attachment

log = logging.getLogger(__name__)
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
    return fetched_media.keep_photo(
        session=session, attachment=attachment, data=data, settings=settings, service="Zalo"
    )


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
                return fetched_media.read_body(response, service="Zalo", max_bytes=max_bytes)
    except requests.RequestException as error:
        raise TransientError(f"Zalo media unreachable: {type(error).__name__}") from error
    return None
