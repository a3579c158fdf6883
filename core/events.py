"""Named events and the tasks that subscribe to them.

A room announces what happened (`ticket.resolved`) with `emit(...)` inside the transaction that
made it happen; every subscriber gets its own outbox row in that same transaction, so it runs
after the commit, once per event, with its own retries, and a rollback drops it. The emitting
room does not know its subscribers: `tickets` emits, `notify` and `staff` listen, and nothing
in `tickets` imports them.

A subscriber is a function `(*, session, ticket_id, event_id) -> object`, registered with

    @subscriber("ticket.resolved", name="notify.resolution_to_resident")
    def tell_the_resident(*, session, ticket_id, event_id): ...

which also registers a task of that name (it opens its own session and commits). Subscribers
live in rooms' `tasks.py`, found by `core.tasks.discover_tasks()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from core import outbox, tasks
from core.db import session_scope

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Subscriber:
    event: str
    task: str
    handler: Handler
    # decided at emit time on the emitter's object (e.g. the ticket), so that a subscriber
    # that concerns few events costs the others no outbox row
    when: Callable[[Any], bool] | None = None


SUBSCRIBERS: dict[str, list[Subscriber]] = {}
BY_TASK: dict[str, Subscriber] = {}


def subscriber(
    event: str, *, name: str, when: Callable[[Any], bool] | None = None
) -> Callable[[Handler], Handler]:
    """Run `handler` (as the task `name`) after each commit that emitted `event` (and, with
    `when`, only for the emitted subjects it accepts)."""

    def register(handler: Handler) -> Handler:
        if name in BY_TASK:
            if BY_TASK[name].handler is handler:
                return handler
            raise ValueError(f"subscriber task {name!r} registered twice")

        def run(*, ticket_id: int, event_id: int | None = None) -> Any:
            with session_scope() as session:
                return handler(session=session, ticket_id=ticket_id, event_id=event_id)

        run.__name__ = run.__qualname__ = name
        tasks.task(name)(run)
        entry = Subscriber(event=event, task=name, handler=handler, when=when)
        SUBSCRIBERS.setdefault(event, []).append(entry)
        BY_TASK[name] = entry
        return handler

    return register


def subscribers(event: str) -> list[Subscriber]:
    tasks.discover_tasks()
    return list(SUBSCRIBERS.get(event, ()))


def emit(
    *,
    session: Session,
    event: str,
    ticket_id: int,
    event_id: int | None = None,
    subject: Any = None,
) -> list[outbox.OutboxMessage]:
    """Queue every subscriber of `event` in the caller's transaction (nothing if none)."""
    return [
        outbox.enqueue(
            session=session,
            task=entry.task,
            args={"ticket_id": ticket_id, "event_id": event_id},
        )
        for entry in subscribers(event)
        if entry.when is None or subject is None or entry.when(subject)
    ]
