"""Zalo OA in: each verified event is kept once (by message id) and handled by a task.

The webhook only cleans the event, stores it as an InboundMessage (channel "zalo", external_id
= Zalo's msg_id) and queues `intake.zalo_event` in the same transaction, then answers 200: Zalo
wants a quick answer and retries otherwise, and a retry of a stored event is recognised by its
message id and does nothing. The task then reads the event and acts (see intake.zalo_conversation).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core import outbox
from core.errors import InvalidInput
from core.settings import Settings
from intake import validation
from tickets.models import Channel, InboundMessage

log = logging.getLogger(__name__)

EVENT_TASK = "intake.zalo_event"
MAX_DEPTH = 8
MAX_ITEMS = 50
MAX_KEY = 100
_USER_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


@dataclass
class ZaloEvent:
    """What the conversation needs from one event, cleaned and bounded."""

    name: str
    user_id: str | None
    msg_id: str | None
    text: str = ""
    photos: list[str] = field(default_factory=list)
    coordinates: tuple[float, float] | None = None
    msg_ids: list[str] = field(default_factory=list)  # received / seen receipts


# --- cleaning at the door --------------------------------------------------------------------


def clean(value: Any, *, max_chars: int, depth: int = 0) -> Any:
    """Every string NFC without NUL, control characters or lone surrogates, and bounded."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, str):
        return validation.clean_text(value)[:max_chars]
    if isinstance(value, dict):
        return {
            validation.clean_text(str(key))[:MAX_KEY]: clean(item, max_chars=max_chars,
                                                             depth=depth + 1)
            for key, item in list(value.items())[:MAX_ITEMS]
        }
    if isinstance(value, list):
        return [clean(item, max_chars=max_chars, depth=depth + 1) for item in value[:MAX_ITEMS]]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return None


def event_key(event: dict[str, Any], body: bytes) -> str:
    """Zalo's msg_id when the event has one; otherwise a digest of the signed body."""
    message = event.get("message")
    msg_id = message.get("msg_id") if isinstance(message, dict) else None
    if isinstance(msg_id, str | int) and 0 < len(str(msg_id)) <= 100:
        return str(msg_id)
    return "event-" + hashlib.sha256(body).hexdigest()[:40]


def receive(*, session: Session, event: dict[str, Any], body: bytes, settings: Settings) -> str:
    """Keep the event once and queue its handling; a repeated delivery is recognised."""
    external_id = event_key(event, body)
    if _stored(session, external_id) is not None:
        return "duplicate"
    payload = {
        "event": clean(event, max_chars=settings.max_description_chars),
        "handled_as": "queued",
    }
    try:
        with session.begin_nested():
            row = InboundMessage(channel=Channel.zalo, external_id=external_id, payload=payload)
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent retry of the same event was stored first
        return "duplicate"
    outbox.enqueue(session=session, task=EVENT_TASK, args={"inbound_id": row.id})
    return "queued"


def _stored(session: Session, external_id: str) -> InboundMessage | None:
    return session.execute(
        select(InboundMessage).where(
            col(InboundMessage.channel) == Channel.zalo,
            col(InboundMessage.external_id) == external_id,
        )
    ).scalar_one_or_none()


# --- reading an event ------------------------------------------------------------------------


def parse(event: dict[str, Any]) -> ZaloEvent:
    """The parts of a (cleaned) event the conversation uses; odd shapes give empty parts."""
    name = event.get("event_name") if isinstance(event.get("event_name"), str) else ""
    raw_message = event.get("message")
    message: dict[str, Any] = raw_message if isinstance(raw_message, dict) else {}
    who = event.get("follower") if name in ("follow", "unfollow") else event.get("sender")
    user_id = who.get("id") if isinstance(who, dict) else None
    user_id = str(user_id) if isinstance(user_id, str | int) else None
    if user_id is not None and not _USER_ID.fullmatch(user_id):
        user_id = None
    msg_id = message.get("msg_id")
    parsed = ZaloEvent(
        name=str(name)[:40],
        user_id=user_id,
        msg_id=str(msg_id)[:100] if isinstance(msg_id, str | int) else None,
        text=str(message.get("text")) if isinstance(message.get("text"), str) else "",
    )
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, dict) or not isinstance(attachment.get("payload"), dict):
            continue
        payload = attachment["payload"]
        if attachment.get("type") == "image" and isinstance(payload.get("url"), str):
            parsed.photos.append(payload["url"][:1000])
        elif attachment.get("type") == "location":
            parsed.coordinates = parsed.coordinates or _coordinates(payload.get("coordinates"))
    ids = message.get("msg_ids")
    if isinstance(ids, list):
        parsed.msg_ids = [str(i)[:64] for i in ids if isinstance(i, str | int)]
    return parsed


def _coordinates(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, dict):
        return None
    try:
        latitude = validation.parse_float(value.get("latitude"), field="latitude")
        longitude = validation.parse_float(value.get("longitude"), field="longitude")
        checked = validation.coordinates(latitude, longitude)
    except (InvalidInput, TypeError, ValueError):
        return None
    if checked[0] is None or checked[1] is None:
        return None
    return checked[0], checked[1]
