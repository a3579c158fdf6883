"""What the Redis broker holds: which outbox rows are waiting in the queue or being run.

The outbox sweep re-publishes a row that was handed to Celery but never completed only when
the broker no longer holds it: a Redis that restarted lost its messages, and a worker killed
with SIGKILL leaves its message in Redis's "unacked" set, where Celery would deliver it again
only after the visibility timeout. Asking the broker lets the sweep recover in seconds without
re-sending what is merely waiting behind a backlog.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

log = logging.getLogger(__name__)
QUEUE = "celery"
UNACKED = "unacked"
UNACKED_INDEX = "unacked_index"
# a backlog longer than this is not scanned: rows published recently are left alone
MAX_SCAN = 5000


def _outbox_id(raw: bytes | str) -> int | None:
    try:
        message: Any = json.loads(raw)
        if isinstance(message, list):  # an unacked entry: [message, exchange, routing key]
            message = message[0]
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        decoded = json.loads(body)
        kwargs = decoded[1] if isinstance(decoded, list) else {}
        value = kwargs.get("outbox_id")
        return int(value) if value is not None else None
    except Exception:
        return None


def held_outbox_ids(redis_url: str, *, running_for_at_most: float) -> set[int] | None:
    """Outbox ids waiting in the queue, or delivered to a worker less than
    `running_for_at_most` seconds ago (still running, or held by a worker that just died).

    None when the broker cannot be asked or holds too much to scan: then nothing is re-sent.
    """
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        try:
            if int(client.llen(QUEUE)) > MAX_SCAN or int(client.hlen(UNACKED)) > MAX_SCAN:
                return None
            held: set[int] = set()
            for raw in client.lrange(QUEUE, 0, MAX_SCAN):
                found = _outbox_id(raw)
                if found is not None:
                    held.add(found)
            recent_since = time.time() - running_for_at_most
            recent_tags: list[Any] = list(
                client.zrangebyscore(UNACKED_INDEX, recent_since, "+inf")
            )
            if recent_tags:
                entries: list[Any] = list(client.hmget(UNACKED, recent_tags))
                for entry in entries:
                    found = _outbox_id(entry) if entry is not None else None
                    if found is not None:
                        held.add(found)
            return held
        finally:
            client.close()
    except Exception as error:
        log.warning("could not ask the broker what it holds: %s", error)
        return None
