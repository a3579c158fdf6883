"""What the outbox tests share: reading and writing outbox rows, and stand-ins for the
hand-over to the broker (`core.runner._send`, with the signature the runner calls it with)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import outbox

Sent = list[tuple[str, dict[str, Any]]]
Send = Callable[..., None]


def row(engine: Engine, outbox_id: int) -> outbox.OutboxMessage:
    with Session(engine) as session:
        found = session.get(outbox.OutboxMessage, outbox_id)
        assert found is not None
        return found


def insert(engine: Engine, **values: Any) -> int:
    with Session(engine) as session:
        message = outbox.OutboxMessage(task=values.pop("task", "tests.job"), args={}, **values)
        session.add(message)
        session.commit()
        assert message.id is not None
        return message.id


def recording(sent: Sent) -> Send:
    """A broker that takes everything: what it took, in order."""

    def send(app: Any, name: str, kwargs: dict[str, Any], producer: Any = None) -> None:
        sent.append((name, kwargs))

    return send


def failing(at: int, tried: list[int]) -> Send:
    """A broker that takes the hand-overs before the `at`-th (1-based) and fails from there;
    `tried` gets the outbox id of every hand-over tried."""

    def send(app: Any, name: str, kwargs: dict[str, Any], producer: Any = None) -> None:
        tried.append(kwargs["outbox_id"])
        if len(tried) >= at:
            raise ConnectionError("broker down")

    return send
