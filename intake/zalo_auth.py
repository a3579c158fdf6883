"""Zalo webhooks prove where they come from: X-ZEvent-Signature, checked before anything is kept.

Zalo signs each event with "mac=" + hex(SHA-256(app id + raw body + timestamp + OA secret
key)), where the timestamp is the event's own `timestamp` field (milliseconds since the epoch).
The digest is computed on the raw bytes as received (never on re-serialised JSON) and compared
in constant time; an event whose timestamp is outside the replay window is refused even when
its signature is right, so a captured request cannot be played again later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from starlette.requests import Request

from core.clock import utcnow
from core.errors import Forbidden, TooLarge, Unauthorized
from core.settings import Settings

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-ZEvent-Signature"


def signature(*, app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode())
    return "mac=" + digest.hexdigest()


async def read_body(request: Request, *, max_bytes: int) -> bytes:
    """The raw body, refused as soon as it grows past max_bytes (Content-Length may lie)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge("The request is too large.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise TooLarge("The request is too large.")
    return bytes(body)


def _timestamp(event: dict[str, Any]) -> str | None:
    value = event.get("timestamp")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return value
    return None


def verified_event(*, body: bytes, signature_header: str | None, settings: Settings) -> dict:
    """The event, once its signature and timestamp are proven; else 401 (unsigned) or 403."""
    assert settings.zalo_app_id is not None and settings.zalo_oa_secret_key is not None
    if not signature_header:
        log.warning("refused a Zalo webhook without a signature")
        raise Unauthorized("This request does not carry a Zalo signature.")
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):  # not JSON (or not UTF-8): it cannot be Zalo's
        event = None
    timestamp = _timestamp(event) if isinstance(event, dict) else None
    if not isinstance(event, dict) or timestamp is None:
        log.warning("refused a Zalo webhook whose body is not a signed event")
        raise Forbidden("This request does not carry a valid Zalo signature.")
    expected = signature(
        app_id=settings.zalo_app_id,
        body=body,
        timestamp=timestamp,
        secret=settings.zalo_oa_secret_key.get_secret_value(),
    )
    given = signature_header.strip().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        log.warning("refused a Zalo webhook with a wrong signature")
        raise Forbidden("This request does not carry a valid Zalo signature.")
    age = utcnow().timestamp() - int(timestamp) / 1000
    if abs(age) > settings.zalo_replay_window_seconds:
        log.warning("refused a Zalo webhook %.0f seconds old (replay window)", age)
        raise Forbidden("This Zalo event is too old to be accepted.")
    return event

