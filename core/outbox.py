"""The transactional outbox: work for later, written in the same transaction as the data.

A row is handed to the task runner (Celery, or the in-process worker) only after the commit;
a periodic sweep re-publishes rows that were never published or never completed, so a broker
that was down or a process that died loses nothing. Tasks are idempotent, so a second delivery
does no harm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Index, Text, event, or_, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, Session, SQLModel, col

from core.clock import utcnow
from core.db import JSONType, UTCDateTime

log = logging.getLogger(__name__)
PENDING_KEY = "outbox_pending"
MAX_ATTEMPTS = 10


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index(
            "ix_outbox_message_open",
            "available_at",
            postgresql_where=text("completed_at IS NULL AND failed_at IS NULL"),
            sqlite_where=text("completed_at IS NULL AND failed_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    task: str = Field(max_length=100)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    available_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    failed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))


def enqueue(
    *, session: Session, task: str, args: dict[str, Any], delay_seconds: float = 0
) -> OutboxMessage:
    """Write a unit of work; it is published after the outermost transaction commits."""
    now = utcnow()
    message = OutboxMessage(
        task=task, args=args, created_at=now, available_at=now + timedelta(seconds=delay_seconds)
    )
    session.add(message)
    session.flush()
    owner = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING_KEY, []).append(
        (
            Pending(id=message.id, task=task, args=dict(args), countdown=delay_seconds),  # type: ignore[arg-type]
            owner,
        )
    )
    return message


@dataclass(frozen=True)
class Pending:
    id: int
    task: str
    args: dict[str, Any]
    countdown: float = 0


def _outermost_commit(session: Session) -> bool:
    """True only when the commit that just happened made the rows durable.

    SQLAlchemy fires after_commit also when a savepoint (begin_nested) is released, and a
    session joined to a caller's connection commits only its own savepoint: in both cases the
    rows can still be rolled back, so handing them to a worker would race the real commit.
    """
    if session.in_nested_transaction():
        return False
    bind = session.bind
    return not (isinstance(bind, Connection) and bind.in_transaction())


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    if not _outermost_commit(session):
        return
    pending = session.info.pop(PENDING_KEY, None)
    if pending:
        from core import runner  # lazy: core.runner imports this module (a cycle in core)

        runner.after_commit([row for row, _owner in pending], bind=session.get_bind())


def _within(owner: Any, ended: Any) -> bool:
    while owner is not None:
        if owner is ended:
            return True
        owner = owner.parent
    return False


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    pending = session.info.get(PENDING_KEY)
    if not pending:
        return
    savepoint = session.get_nested_transaction() if session.in_nested_transaction() else None
    if savepoint is None:  # the whole transaction: nothing it wrote exists
        session.info.pop(PENDING_KEY, None)
        return
    # only what was written inside the rolled-back savepoint is gone
    session.info[PENDING_KEY] = [
        (row, owner) for row, owner in pending if not _within(owner, savepoint)
    ]


def mark_published(*, engine: Engine, ids: list[int]) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids))
            .values(published_at=utcnow())
        )


def mark_completed(*, engine: Engine, outbox_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == outbox_id)
            .values(completed_at=utcnow(), last_error=None)
        )


def mark_failed_attempt(*, engine: Engine, outbox_id: int, error: str, retry_in: float) -> None:
    """Record a failure; after MAX_ATTEMPTS the row is parked as failed for an operator."""
    now = utcnow()
    with engine.begin() as conn:
        attempts = conn.execute(
            select(col(OutboxMessage.attempts)).where(col(OutboxMessage.id) == outbox_id)
        ).scalar_one_or_none()
        if attempts is None:
            return
        values: dict[str, Any] = {
            "attempts": attempts + 1,
            "last_error": error[:2000],
            "available_at": now + timedelta(seconds=retry_in),
            "published_at": None,
        }
        if attempts + 1 >= MAX_ATTEMPTS:
            values["failed_at"] = now
        conn.execute(
            update(OutboxMessage).where(col(OutboxMessage.id) == outbox_id).values(**values)
        )


def due_for_publishing(
    *, session: Session, republish_after_seconds: int, grace_seconds: int = 5, limit: int = 500
) -> list[OutboxMessage]:
    """Rows never published (after a short grace) or published long ago and still not done."""
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(
            col(OutboxMessage.completed_at).is_(None),
            col(OutboxMessage.failed_at).is_(None),
            col(OutboxMessage.available_at) <= now,
            or_(
                (col(OutboxMessage.published_at).is_(None))
                & (col(OutboxMessage.created_at) <= now - timedelta(seconds=grace_seconds)),
                col(OutboxMessage.published_at)
                <= now - timedelta(seconds=republish_after_seconds),
            ),
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    return list(session.execute(query).scalars().all())


def claim_runnable(*, session: Session, limit: int = 20) -> list[OutboxMessage]:
    """For the in-process worker: open rows whose time has come, oldest first."""
    query = (
        select(OutboxMessage)
        .where(
            col(OutboxMessage.completed_at).is_(None),
            col(OutboxMessage.failed_at).is_(None),
            col(OutboxMessage.available_at) <= utcnow(),
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.execute(query).scalars().all())
