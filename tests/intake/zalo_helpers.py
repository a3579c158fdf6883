"""Zalo as the tests see it: events signed as Zalo signs them, tasks run on the test's session.

The signature is written here from Zalo's rule, not taken from the code under test:
"mac=" + hex(SHA-256(app id + raw body + timestamp + OA secret key)).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import responses
from pydantic import SecretStr
from sqlalchemy import select
from sqlmodel import Session

from core.clock import set_clock, utcnow
from core.outbox import OutboxMessage
from tests.conftest import make_client

APP_ID = "3608465249409039670"
OA_ID = "388613280878808645"
OA_SECRET = "oa-secret-key-for-tests-0123456789"
APP_SECRET = "app-secret-key-for-tests"
ACCESS = "access-token-first"
REFRESH = "refresh-token-first"
USER = "2468458835296117922"
API = "https://openapi.zalo.me"
CS_URL = f"{API}/v3.0/oa/message/cs"
OAUTH_URL = "https://oauth.zaloapp.com/v4/oa/access_token"
PHOTO_URL = "https://photo-stal-9.zadn.vn/2026/12/05/abcdef.jpg"
_ids = itertools.count(1)

ZALO_SETTINGS: dict[str, Any] = {
    "zalo_app_id": APP_ID,
    "zalo_oa_secret_key": SecretStr(OA_SECRET),
    "zalo_app_secret_key": SecretStr(APP_SECRET),
    "zalo_access_token": SecretStr(ACCESS),
    "zalo_refresh_token": SecretStr(REFRESH),
    "zalo_quiet_seconds": 300,
}


def zalo_settings(**overrides: Any) -> Any:
    from core.settings import get_settings

    return get_settings().model_copy(update={**ZALO_SETTINGS, **overrides})


def zalo_client(session: Session, **overrides: Any) -> Any:
    return make_client(session, **{**ZALO_SETTINGS, **overrides})


def now_ms(shift_seconds: float = 0) -> str:
    return str(int((utcnow() + timedelta(seconds=shift_seconds)).timestamp() * 1000))


def new_msg_id() -> str:
    return f"{next(_ids):020x}"


def event(name: str, message: dict[str, Any] | None = None, *, user: str = USER,
          timestamp: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "app_id": APP_ID,
        "user_id_by_app": "552177279717587730",
        "event_name": name,
        "timestamp": timestamp or now_ms(),
    }
    if name in ("follow", "unfollow"):
        body.update({"oa_id": OA_ID, "follower": {"id": user}, "source": "oa_follow"})
    else:
        body.update({"sender": {"id": user}, "recipient": {"id": OA_ID}, "message": message})
    return body


def text_event(text: str, *, msg_id: str | None = None, **kwargs: Any) -> dict[str, Any]:
    return event("user_send_text", {"msg_id": msg_id or new_msg_id(), "text": text}, **kwargs)


def image_event(url: str = PHOTO_URL, *, text: str = "", **kwargs: Any) -> dict[str, Any]:
    attachment = {"type": "image", "payload": {"thumbnail": url, "url": url}}
    message = {"msg_id": new_msg_id(), "text": text, "attachments": [attachment]}
    return event("user_send_image", message, **kwargs)


def location_event(latitude: float, longitude: float, **kwargs: Any) -> dict[str, Any]:
    attachment = {
        "type": "location",
        "payload": {"coordinates": {"latitude": str(latitude), "longitude": str(longitude)}},
    }
    return event("user_send_location", {"msg_id": new_msg_id(), "attachments": [attachment]},
                 **kwargs)


def sign(body: bytes, timestamp: str, secret: str = OA_SECRET, app_id: str = APP_ID) -> str:
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode())
    return "mac=" + digest.hexdigest()


def post(client: Any, body_event: dict[str, Any], *, secret: str = OA_SECRET,
         signature: str | None = None, body: bytes | None = None) -> Any:
    raw = body if body is not None else json.dumps(body_event, ensure_ascii=False).encode()
    header = signature if signature is not None else sign(raw, body_event["timestamp"], secret)
    headers = {"Content-Type": "application/json"}
    if header:
        headers["X-ZEvent-Signature"] = header
    return client.post("/zalo/webhook", content=raw, headers=headers)


def cs_ok(message_id: str = "zalo-msg-1") -> dict[str, Any]:
    return {"error": 0, "message": "Success", "data": {"message_id": message_id,
                                                       "user_id": USER}}


def caught_zalo() -> responses.RequestsMock:
    """Every outbound HTTP call is caught; one nothing expects fails with ConnectionError."""
    return responses.RequestsMock(assert_all_requests_are_fired=False)


def run_tasks(session: Session, settings: Any, *, only: set[str] | None = None) -> list[tuple]:
    """Run the open outbox rows whose time has come, as the worker would, on this session."""
    from intake import zalo_conversation, zalo_media
    from notify import service as notify_service

    handlers = {
        "intake.zalo_event": lambda a: zalo_conversation.handle_event(
            session=session, inbound_id=a["inbound_id"], settings=settings),
        "intake.zalo_file_draft": lambda a: zalo_conversation.file_when_quiet(
            session=session, draft_id=a["draft_id"], settings=settings),
        "notify.send": lambda a: notify_service.deliver(
            session=session, message_id=a["message_id"], settings=settings),
        "intake.fetch_zalo_photo": lambda a: zalo_media.fetch_photo(
            session=session, attachment_id=a["attachment_id"], settings=settings),
        "tickets.process": lambda a: "skipped",
    }
    done: list[tuple] = []
    while True:
        rows = [
            row for row in session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.completed_at.is_(None),  # type: ignore[union-attr]
                       OutboxMessage.available_at <= utcnow())
                .order_by(OutboxMessage.id)
            ).scalars()
            if only is None or row.task in only
        ]
        if not rows:
            return done
        for row in rows:
            handler = handlers.get(row.task) or _subscriber(session, row.task)
            result = handler(dict(row.args))
            row.completed_at = utcnow()
            session.add(row)
            session.flush()
            done.append((row.task, result))


def _subscriber(session: Session, task: str) -> Any:
    """An event subscriber (core.events), run on the test's session."""
    from core import events

    events.subscribers("ticket.filed")  # discovers every room's subscribers
    entry = events.BY_TASK[task]
    return lambda a: entry.handler(session=session, ticket_id=a["ticket_id"],
                                   event_id=a.get("event_id"))


@contextmanager
def clock_moved(seconds: float):  # type: ignore[no-untyped-def]
    later = utcnow() + timedelta(seconds=seconds)
    set_clock(lambda: later)
    try:
        yield later
    finally:
        set_clock(None)


def sent_texts(caught: responses.RequestsMock) -> list[dict[str, Any]]:
    return [json.loads(call.request.body) for call in caught.calls
            if call.request.url == CS_URL]
