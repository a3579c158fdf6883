"""Twilio as the tests see it: a signed webhook request, the REST API caught at the HTTP layer."""

from __future__ import annotations

import io
import itertools
import xml.etree.ElementTree as ET
from typing import Any

import responses
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlmodel import Session
from twilio.request_validator import RequestValidator

from tests.conftest import make_client

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM_NUMBER = "+15005550006"
BASE_URL = "http://testserver"  # PUBLIC_BASE_URL in tests/conftest.py
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
CALLER = "+84901234567"
_sids = itertools.count(1)

TWILIO_SETTINGS: dict[str, Any] = {
    "twilio_account_sid": ACCOUNT_SID,
    "twilio_auth_token": SecretStr(AUTH_TOKEN),
    "twilio_from_number": FROM_NUMBER,
}


def twilio_client(session: Session, **overrides: Any) -> Any:
    return make_client(session, **{**TWILIO_SETTINGS, **overrides})


def twilio_settings(**overrides: Any) -> Any:
    from core.settings import get_settings

    return get_settings().model_copy(update={**TWILIO_SETTINGS, **overrides})


def new_sid(prefix: str) -> str:
    return f"{prefix}{next(_sids):032x}"


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature exactly as Twilio computes it."""
    return RequestValidator(token).compute_signature(url, params)


def signed_post(
    client: Any,
    path: str,
    params: dict[str, str],
    *,
    token: str = AUTH_TOKEN,
    base_url: str = BASE_URL,
) -> Any:
    signature = sign(base_url + path, params, token)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def sms_params(body: str, *, sender: str = CALLER, sid: str | None = None, **extra: str) -> dict:
    return {
        "MessageSid": sid or new_sid("SM"),
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": FROM_NUMBER,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def call_params(call_sid: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "AccountSid": ACCOUNT_SID,
        "From": CALLER,
        "To": FROM_NUMBER,
        "CallStatus": "in-progress",
        **extra,
    }


def parsed_twiml(response: Any) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Response"
    return root


def messages(response: Any) -> list[str]:
    return [node.text or "" for node in parsed_twiml(response).iter("Message")]


def spoken(root: ET.Element) -> str:
    return " ".join(node.text or "" for node in root.iter("Say"))


def count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def caught_twilio() -> responses.RequestsMock:
    """Every outbound HTTP call is caught; one that nothing expects fails the test."""
    return responses.RequestsMock(assert_all_requests_are_fired=False)


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()
