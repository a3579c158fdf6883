"""Hands committed outbox rows to Celery, or runs them in-process in the embedded default."""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core import outbox, tasks
from core.db import get_engine
from core.settings import get_settings

log = logging.getLogger(__name__)
_worker: EmbeddedWorker | None = None


def after_commit(pending: list[outbox.Pending], *, bind: Any) -> None:
    settings = get_settings()
    if settings.uses_celery:
        engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", get_engine())
        publish_pending(pending, engine=engine)
    elif _worker is not None:
        _worker.wake()


def publish_pending(pending: list[outbox.Pending], *, engine: Engine) -> list[int]:
    """Hand just-committed rows (already marked as published) to the broker."""
    from core.celery_app import celery_app, configure_celery  # lazy: celery only with REDIS_URL

    configure_celery(get_settings())
    for index, row in enumerate(pending):
        try:
            _send(celery_app, row.task, {**row.args, "outbox_id": row.id}, countdown=row.countdown)
        except Exception as error:  # the broker is down: the sweep will try again
            log.warning("could not publish outbox %s (%s): %s", row.id, row.task, error)
            outbox.clear_published(engine=engine, ids=[p.id for p in pending[index:]])
            return [p.id for p in pending[:index]]
    return [p.id for p in pending]


def publish(ids: list[int], *, engine: Engine) -> list[int]:
    """Send rows to the broker; a broker that is down leaves them for the sweep."""
    from core.celery_app import celery_app, configure_celery  # lazy: celery only with REDIS_URL

    configure_celery(get_settings())
    with Session(engine) as session:
        rows = (
            session.execute(
                select(outbox.OutboxMessage).where(outbox.OutboxMessage.id.in_(ids))  # type: ignore[union-attr]
            )
            .scalars()
            .all()
        )
        pending = [(row.id, row.task, dict(row.args)) for row in rows]
    published: list[int] = []
    for outbox_id, name, args in pending:
        try:
            _send(celery_app, name, {**args, "outbox_id": outbox_id})
        except Exception as error:  # the broker is down: the sweep will try again
            log.warning("could not publish outbox %s (%s): %s", outbox_id, name, error)
            break
        assert outbox_id is not None
        published.append(outbox_id)
    if published:
        outbox.mark_published(engine=engine, ids=published)
    return published


def _send(celery_app: Any, name: str, kwargs: dict[str, Any], countdown: float = 0) -> None:
    """Publish once; a connection left broken by a broker restart is dropped and tried again."""
    options: dict[str, Any] = {"countdown": countdown} if countdown else {}
    try:
        celery_app.send_task(name, kwargs=kwargs, retry=False, **options)
    except Exception:
        # A pooled connection may be left broken by a broker restart: try once on a fresh one
        # (closing the pool instead would make every later publish refuse or wait forever).
        with celery_app.connection_for_write() as connection:
            celery_app.send_task(
                name, kwargs=kwargs, retry=False, connection=connection, **options
            )


def republish_due() -> int:
    settings = get_settings()
    if not settings.uses_celery:
        return 0
    engine = get_engine()
    with Session(engine) as session:
        ids = [
            row.id
            for row in outbox.due_for_publishing(
                session=session, republish_after_seconds=settings.outbox_republish_after_seconds
            )
        ]
    return len(publish([i for i in ids if i is not None], engine=engine)) if ids else 0


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter, capped well below the broker's visibility timeout."""
    return random.uniform(0, min(600.0, 5.0 * 2**attempts))


def execute(
    name: str, args: dict[str, Any], *, outbox_id: int | None, embedded: bool = False
) -> Any:
    engine = get_engine()
    try:
        result = tasks.run(name, args)
    except (tasks.TransientError, OperationalError) as error:
        if outbox_id is not None and embedded:
            attempts = _attempts(engine, outbox_id)
            outbox.mark_failed_attempt(
                engine=engine,
                outbox_id=outbox_id,
                error=repr(error),
                retry_in=backoff_seconds(attempts),
            )
        raise
    except Exception as error:
        log.exception("task %s failed permanently", name)
        if outbox_id is not None:
            outbox.mark_failed_attempt(
                engine=engine,
                outbox_id=outbox_id,
                error=repr(error),
                retry_in=get_settings().outbox_republish_after_seconds,
            )
        raise
    if outbox_id is not None:
        outbox.mark_completed(engine=engine, outbox_id=outbox_id)
    return result


def _attempts(engine: Engine, outbox_id: int) -> int:
    with Session(engine) as session:
        row = session.get(outbox.OutboxMessage, outbox_id)
        return row.attempts if row else 0


def drain(*, limit: int = 100) -> int:
    """Run every open outbox row whose time has come, in this process. Returns rows run."""
    done = 0
    engine = get_engine()
    while done < limit:
        with Session(engine) as session:
            batch = [
                (row.id, row.task, dict(row.args))
                for row in outbox.claim_runnable(session=session, limit=10)
            ]
            session.commit()
        if not batch:
            break
        for outbox_id, name, args in batch:
            with contextlib.suppress(Exception):  # recorded on the row; the loop goes on
                execute(name, args, outbox_id=outbox_id, embedded=True)
            done += 1
    return done


class EmbeddedWorker:
    """The embedded default's worker: a thread draining the outbox and running periodic tasks."""

    def __init__(self, *, poll_seconds: float = 0.5) -> None:
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hotline-worker", daemon=True)
        self._last_periodic: dict[str, float] = {}

    def start(self) -> None:
        global _worker
        tasks.discover_tasks()
        _worker = self
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5) -> None:
        global _worker
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        if _worker is self:
            _worker = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                drain()
                self._run_periodic()
            except Exception:
                log.exception("embedded worker loop failed; retrying")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _run_periodic(self) -> None:
        now = time.monotonic()
        for name, periodic in tasks.PERIODIC.items():
            if now - self._last_periodic.get(name, 0.0) >= periodic.every_seconds:
                self._last_periodic[name] = now
                try:
                    tasks.run(name, {})
                except Exception:
                    log.exception("periodic task %s failed", name)
