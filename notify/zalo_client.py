"""The Zalo OA Open API over HTTP: send a customer-service text, refresh the access token.

Zalo answers most calls with HTTP 200 and a JSON body whose `error` field is 0 on success and a
negative code otherwise. The codes that matter here:
- an invalid or expired access token (-216, -124): refresh it and try once more;
- the resident is outside the customer-service window (-230) or does not follow the OA
  (-213): the message is held until the resident writes again, never retried in a loop;
- too many requests (-32) and HTTP 429 / 5xx / network errors: transient, retried with backoff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests

from core.clock import utcnow
from core.tasks import TransientError

log = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({-216, -124})
OUTSIDE_WINDOW_ERRORS = frozenset({-230, -213})
TRANSIENT_ERRORS = frozenset({-32})
TIMEOUT_SECONDS = 15


class ZaloTokenExpired(Exception):
    """The access token was refused: refresh it, then send again."""


class ZaloOutsideWindow(Exception):
    """Zalo will not deliver a customer-service message to this resident right now."""


class ZaloRefused(Exception):
    """Zalo refused the call for good (bad request, unknown user, revoked app)."""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime | None


def _json(response: requests.Response, what: str) -> dict[str, Any]:
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(f"Zalo {what} answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as error:
        if response.status_code >= 400:
            raise ZaloRefused(f"Zalo {what} answered HTTP {response.status_code}") from error
        raise TransientError(f"Zalo {what} answered something that is not JSON") from error
    if not isinstance(body, dict):
        raise ZaloRefused(f"Zalo {what} answered an unexpected body")
    return body


def send_text(*, api_url: str, access_token: str, user_id: str, text: str) -> str:
    """Send one customer-service text; returns Zalo's message id."""
    try:
        response = requests.post(
            f"{api_url.rstrip('/')}/v3.0/oa/message/cs",
            headers={"access_token": access_token, "Content-Type": "application/json"},
            json={"recipient": {"user_id": user_id}, "message": {"text": text}},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise TransientError(f"Zalo unreachable: {type(error).__name__}") from error
    body = _json(response, "message API")
    code = _error_code(body)
    if code == 0:
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        return str((data or {}).get("message_id") or "")[:64]
    message = str(body.get("message") or "")[:200]
    if code in TOKEN_ERRORS:
        raise ZaloTokenExpired(f"Zalo error {code}: {message}")
    if code in OUTSIDE_WINDOW_ERRORS:
        raise ZaloOutsideWindow(f"Zalo error {code}: {message}")
    if code in TRANSIENT_ERRORS:
        raise TransientError(f"Zalo error {code}: {message}")
    raise ZaloRefused(f"Zalo error {code}: {message}")


def refresh(*, oauth_url: str, app_id: str, app_secret: str, refresh_token: str) -> Tokens:
    """Trade the refresh token for a new pair (Zalo refresh tokens are single-use)."""
    try:
        response = requests.post(
            oauth_url,
            headers={"secret_key": app_secret},
            data={"app_id": app_id, "grant_type": "refresh_token", "refresh_token": refresh_token},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise TransientError(f"Zalo OAuth unreachable: {type(error).__name__}") from error
    body = _json(response, "OAuth")
    access, new_refresh = body.get("access_token"), body.get("refresh_token")
    if not (isinstance(access, str) and access and isinstance(new_refresh, str) and new_refresh):
        description = str(body.get("error_description") or body.get("message") or "")[:200]
        raise ZaloRefused(f"Zalo refused to refresh the access token: {description}")
    try:
        seconds = int(body.get("expires_in") or 0)
    except (TypeError, ValueError):
        seconds = 0
    expires_at = utcnow() + timedelta(seconds=seconds) if seconds > 0 else None
    return Tokens(access_token=access, refresh_token=new_refresh, expires_at=expires_at)


def _error_code(body: dict[str, Any]) -> int:
    try:
        return int(body.get("error", 0) or 0)
    except (TypeError, ValueError):
        return -1
