"""Hands committed outbox rows to Celery, or runs them in-process in the embedded default."""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core import outbox, tasks
from core.circuit import CircuitBreaker
from core.db import get_engine
from core.settings import get_settings

log = logging.getLogger(__name__)
PERMANENT_RETRY_SECONDS = 600  # a task that failed for good is tried again this much later
_worker: EmbeddedWorker | None = None


def after_commit(pending: list[outbox.Pending], *, bind: Any) -> None:
    """Rows just committed: hand them to the relay (Celery) or wake the embedded worker.

    Never waits on the broker: the request that committed returns at once, and the relay
    thread publishes. Rows the relay could not publish stay unpublished for the sweep.
    """
    settings = get_settings()
    if settings.uses_celery:
        engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", get_engine())
        relay_for(engine).submit(pending)
    elif _worker is not None:
        _worker.wake()


# one breaker per process: once the broker failed, requests and relays stop trying for a while
broker_breaker = CircuitBreaker(open_seconds=3)


class Relay:
    """A thread that publishes committed outbox rows to Celery, off the request path."""

    ROUND = 200  # submissions (a request's rows each) handed over in one round at most

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.SimpleQueue[list[outbox.Pending] | threading.Event] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._loop, name="hotline-relay", daemon=True)
        self._thread.start()

    def submit(self, pending: list[outbox.Pending]) -> None:
        self._queue.put(list(pending))

    def _loop(self) -> None:
        while True:
            # everything queued meanwhile goes in one round (one UPDATE marks it published):
            # under load, requests commit faster than rows are handed over one by one
            items = [self._queue.get()]
            while len(items) < self.ROUND:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [row for item in items if isinstance(item, list) for row in item]
            if rows:
                try:
                    publish_pending(rows, engine=self.engine)
                except Exception:
                    log.exception("the outbox relay failed; the sweep will publish these rows")
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()

    def flush(self, timeout: float = 10) -> bool:
        """Wait until everything submitted so far was tried (tests, shutdown)."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)


_relays: dict[int, Relay] = {}
_relays_lock = threading.Lock()


def relay_for(engine: Engine) -> Relay:
    with _relays_lock:
        relay = _relays.get(id(engine))
        if relay is None or relay.engine is not engine:
            relay = _relays[id(engine)] = Relay(engine)
        return relay


def publish_pending(pending: list[outbox.Pending], *, engine: Engine) -> list[int]:
    """Hand just-committed rows to the broker and mark them published. Delayed rows (and rows
    met while the broker is failing) are left to the sweep, which publishes them when due."""
    from core.celery_app import celery_app, configure_celery  # lazy: celery only with REDIS_URL

    now_rows = [row for row in pending if not row.countdown]
    if not now_rows:
        return []
    configure_celery(get_settings())
    published: list[int] = []
    try:
        # one producer (one pooled broker connection) for the round, not one per row
        with celery_app.producer_or_acquire() as producer:
            for row in now_rows:
                if not broker_breaker.allow():
                    break
                try:
                    _send(celery_app, row.task, {**row.args, "outbox_id": row.id},
                          producer=producer)
                except Exception as error:  # the broker is down: the sweep will try again
                    broker_breaker.failed()
                    log.warning("could not publish outbox %s (%s): %s", row.id, row.task,
                                error)
                    break
                broker_breaker.succeeded()
                published.append(row.id)
    except Exception as error:  # no producer to be had: the broker is down
        broker_breaker.failed()
        log.warning("could not reach the broker for the outbox: %s", error)
    if published:
        outbox.mark_published(engine=engine, ids=published)
    return published


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


def _send(celery_app: Any, name: str, kwargs: dict[str, Any], producer: Any = None) -> None:
    """Publish once; a connection left broken by a broker restart is dropped and tried again."""
    try:
        celery_app.send_task(name, kwargs=kwargs, retry=False, producer=producer)
    except Exception:
        # A pooled connection may be left broken by a broker restart: try once on a fresh one
        # (closing the pool instead would make every later publish refuse or wait forever).
        with celery_app.connection_for_write() as connection:
            celery_app.send_task(name, kwargs=kwargs, retry=False, connection=connection)


def republish_due() -> int:
    """The sweep: publish rows never handed over (the broker was down, the process died), and
    re-send rows handed over but not completed once the broker no longer holds them (Redis
    restarted and lost them, or the worker running them was killed)."""
    from core import broker

    settings = get_settings()
    if not settings.uses_celery:
        return 0
    engine = get_engine()
    with Session(engine) as session:
        rows = outbox.due_for_publishing(
            session=session, republish_after_seconds=RESEND_CHECK_AFTER_SECONDS
        )
        never = [row.id for row in rows if row.published_at is None and row.id is not None]
        handed = [row.id for row in rows if row.published_at is not None and row.id is not None]
    if handed:
        held = broker.held_outbox_ids(
            settings.redis_url or "", running_for_at_most=settings.outbox_republish_after_seconds
        )
        handed = [] if held is None else [i for i in handed if i not in held]
        if handed:
            log.warning("re-sending %s outbox rows the broker no longer holds", len(handed))
    ids = never + handed
    return len(publish(ids, engine=engine)) if ids else 0


# a handed-over row is looked for in the broker once it had this long to reach the queue
RESEND_CHECK_AFTER_SECONDS = 10


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter, capped well below the broker's visibility timeout."""
    return random.uniform(0, min(600.0, 5.0 * 2**attempts))


def execute_delivered(name: str, args: dict[str, Any], *, outbox_id: int | None) -> Any:
    """A task delivered by Celery. A row already completed (a second delivery) is not run
    again; a transient failure is recorded on the row, whose next time the sweep honours, and
    the message is acknowledged (no countdown waits in Redis)."""
    if outbox_id is not None and _completed(get_engine(), outbox_id):
        return "already_done"
    try:
        return execute(name, args, outbox_id=outbox_id, record_retries=True)
    except (tasks.TransientError, OperationalError) as error:
        log.warning("task %s (outbox %s) will be retried: %s", name, outbox_id, error)
        return None


def _completed(engine: Engine, outbox_id: int) -> bool:
    with Session(engine) as session:
        row = session.get(outbox.OutboxMessage, outbox_id)
        return row is not None and row.completed_at is not None


def execute(
    name: str, args: dict[str, Any], *, outbox_id: int | None, record_retries: bool = False
) -> Any:
    engine = get_engine()
    try:
        result = tasks.run(name, args)
    except (tasks.TransientError, OperationalError) as error:
        if outbox_id is not None and record_retries:
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
                retry_in=PERMANENT_RETRY_SECONDS,
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
                execute(name, args, outbox_id=outbox_id, record_retries=True)
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
