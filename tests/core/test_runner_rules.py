"""The task runner's promises (`core.runner`), on PostgreSQL with real commits.

- Celery mode: rows committed for now are handed to the broker after the commit, each with its
  outbox id, and marked published; a delayed row is left to the sweep (never sent early).
- A broker that fails stops the hand-over of the rest of the batch, and for a few seconds
  nobody tries it again (the breaker); the rows stay unpublished for the sweep.
- A pooled connection left broken by a broker restart is retried once on a fresh connection.
- The sweep re-sends a handed-over row only when the broker no longer holds it, and only once
  it had ten seconds to reach the queue; a broker that cannot be asked gets nothing re-sent.
  In the embedded default there is no broker and the sweep sends nothing.
- A second delivery of a completed row does not run the task again. A transient failure of a
  delivered task is recorded on its row with its backoff and acknowledged (no exception goes
  back to Celery); a permanent one is retried ten minutes later.
- The embedded worker runs each periodic task at its interval, and goes on when one fails.

The broker is replaced by a list (what it would have received); the clock is pinned.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core import outbox, runner, tasks
from core.settings import get_settings
from tests import factories
from tests.core.outbox_helpers import Sent, failing, insert, recording, row

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(T0)


@pytest.fixture
def fresh_breaker() -> Iterator[None]:
    runner.broker_breaker.succeeded()
    yield
    runner.broker_breaker.succeeded()


@pytest.fixture
def celery_mode(
    committed_pg: Engine, monkeypatch: pytest.MonkeyPatch, fresh_breaker: None
) -> Iterator[None]:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")  # never contacted
    get_settings.cache_clear()
    monkeypatch.setattr("core.celery_app.configure_celery", lambda settings: None)
    yield
    get_settings.cache_clear()


@pytest.fixture
def broker(celery_mode: None, monkeypatch: pytest.MonkeyPatch) -> Sent:
    sent: Sent = []
    monkeypatch.setattr(runner, "_send", recording(sent))
    return sent


def commit_work(engine: Engine, *delays: float) -> list[int]:
    with Session(engine) as session:
        ids = [
            outbox.enqueue(session=session, task=f"tests.job{n}", args={"n": n},
                           delay_seconds=delay).id
            for n, delay in enumerate(delays)
        ]
        session.commit()
    assert runner.relay_for(engine).flush(10)
    return [i for i in ids if i is not None]


# --- the hand-over after the commit ----------------------------------------------------


def test_committed_work_is_handed_over_with_its_id_and_marked_published(
    committed_pg: Engine, clock: list[datetime], broker: Sent
) -> None:
    first, second, later = commit_work(committed_pg, 0, 0, 60)
    assert broker == [("tests.job0", {"n": 0, "outbox_id": first}),
                      ("tests.job1", {"n": 1, "outbox_id": second})]
    assert row(committed_pg, first).published_at == T0
    assert row(committed_pg, second).published_at == T0
    # the delayed row is not sent early: the sweep sends it when its time comes
    assert row(committed_pg, later).published_at is None


def test_a_failing_broker_stops_the_batch_and_is_left_alone_for_a_while(
    committed_pg: Engine, clock: list[datetime], celery_mode: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tried: list[str] = []

    def down(app: Any, name: str, kwargs: dict[str, Any], producer: Any = None) -> None:
        tried.append(name)
        raise ConnectionError("broker down")

    monkeypatch.setattr(runner, "_send", down)
    # the pause is a few seconds; longer here, so that a slow machine does not end it
    monkeypatch.setattr(runner.broker_breaker, "open_seconds", 3600)
    ids = commit_work(committed_pg, 0, 0)
    assert tried == ["tests.job0"]  # the second is not tried against a broker that just failed
    assert runner.broker_breaker.is_open
    # for the next seconds, a new commit does not try the broker at all
    more = commit_work(committed_pg, 0)
    assert tried == ["tests.job0"]
    assert [row(committed_pg, i).published_at for i in ids + more] == [None, None, None]


def test_a_broker_that_recovers_closes_the_breaker(
    committed_pg: Engine, clock: list[datetime], broker: Sent
) -> None:
    runner.broker_breaker.failed()
    runner.broker_breaker._open_until = time.monotonic() - 1  # its pause is over: one trial
    first, second = commit_work(committed_pg, 0, 0)
    assert [kwargs["outbox_id"] for _name, kwargs in broker] == [first, second]
    assert not runner.broker_breaker.is_open


class FakeCelery:
    """send_task fails on the pooled connection `failures` times."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[str, dict[str, Any], Any]] = []

    def send_task(self, name: str, *, kwargs: dict[str, Any], retry: bool,
                  connection: Any = None, producer: Any = None) -> None:
        assert retry is False  # Celery's own retries would wait on a dead broker
        self.calls.append((name, kwargs, connection))
        if self.failures:
            self.failures -= 1
            raise ConnectionResetError("connection reset by peer")

    def connection_for_write(self) -> Any:
        from contextlib import nullcontext

        return nullcontext("fresh connection")

    def producer_or_acquire(self) -> Any:
        from contextlib import nullcontext

        return nullcontext("pooled producer")


def test_a_broken_pooled_connection_is_retried_once_on_a_fresh_one() -> None:
    app = FakeCelery(failures=1)
    runner._send(app, "tests.job", {"outbox_id": 1})
    assert app.calls == [("tests.job", {"outbox_id": 1}, None),
                         ("tests.job", {"outbox_id": 1}, "fresh connection")]
    down = FakeCelery(failures=2)
    with pytest.raises(ConnectionResetError):
        runner._send(down, "tests.job", {"outbox_id": 1})
    assert len(down.calls) == 2


# --- the sweep ------------------------------------------------------------------------


def test_the_sweep_resends_only_what_the_broker_no_longer_holds(
    committed_pg: Engine, clock: list[datetime], broker: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core import broker as broker_module

    asked: list[tuple[str, float]] = []
    held: list[set[int] | None] = [set()]

    def held_outbox_ids(url: str, *, running_for_at_most: float) -> set[int] | None:
        asked.append((url, running_for_at_most))
        return held[0]

    monkeypatch.setattr(broker_module, "held_outbox_ids", held_outbox_ids)
    long_ago = T0 - timedelta(hours=1)
    ten_seconds = insert(committed_pg, created_at=long_ago, available_at=long_ago,
                         published_at=T0 - timedelta(seconds=10))
    nine_seconds = insert(committed_pg, created_at=long_ago, available_at=long_ago,
                          published_at=T0 - timedelta(seconds=9))
    still_queued = insert(committed_pg, created_at=long_ago, available_at=long_ago,
                          published_at=long_ago)
    held[0] = {still_queued}
    assert runner.republish_due() == 1
    assert [kwargs["outbox_id"] for _name, kwargs in broker] == [ten_seconds]
    assert asked == [("redis://127.0.0.1:9/0",
                      get_settings().outbox_republish_after_seconds)]
    assert row(committed_pg, nine_seconds).published_at == T0 - timedelta(seconds=9)

    held[0] = None  # the broker cannot be asked: nothing handed over is sent again
    clock[0] = T0 + timedelta(hours=1)
    assert runner.republish_due() == 0
    assert len(broker) == 1


def test_without_a_broker_the_sweep_sends_nothing(
    committed_pg: Engine, clock: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: Sent = []
    monkeypatch.setattr(runner, "_send", recording(sent))
    insert(committed_pg, created_at=T0 - timedelta(hours=1), available_at=T0)
    assert runner.republish_due() == 0
    assert sent == []


def test_the_sweep_stops_at_a_broker_that_fails_and_marks_only_what_it_took(
    committed_pg: Engine, clock: list[datetime], celery_mode: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tried: list[int] = []
    monkeypatch.setattr(runner, "_send", failing(2, tried))
    old = T0 - timedelta(minutes=5)
    ids = [insert(committed_pg, created_at=old, available_at=old) for _ in range(3)]
    assert runner.republish_due() == 1
    assert tried == ids[:2]
    assert [row(committed_pg, i).published_at for i in ids] == [T0, None, None]


# --- delivered tasks ------------------------------------------------------------------


def test_a_second_delivery_of_completed_work_does_not_run_it_again(
    committed_pg: Engine, clock: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[int] = []
    monkeypatch.setitem(tasks.TASKS, "tests.count", lambda: ran.append(1) or "ran")
    outbox_id = insert(committed_pg, task="tests.count", created_at=T0, available_at=T0)
    assert runner.execute_delivered("tests.count", {}, outbox_id=outbox_id) == "ran"
    assert row(committed_pg, outbox_id).completed_at == T0
    assert runner.execute_delivered("tests.count", {}, outbox_id=outbox_id) == "already_done"
    assert ran == [1]


@pytest.mark.parametrize(
    "error", [tasks.TransientError("503"), OperationalError("SELECT 1", {}, Exception("gone"))]
)
def test_a_transient_failure_of_delivered_work_is_recorded_and_acknowledged(
    committed_pg: Engine, clock: list[datetime], monkeypatch: pytest.MonkeyPatch,
    error: Exception,
) -> None:
    def fails() -> None:
        raise error

    monkeypatch.setitem(tasks.TASKS, "tests.fails", fails)
    monkeypatch.setattr(runner.random, "uniform", lambda low, high: high)
    outbox_id = insert(committed_pg, task="tests.fails", created_at=T0, available_at=T0,
                       attempts=2)
    assert runner.execute_delivered("tests.fails", {}, outbox_id=outbox_id) is None
    failed = row(committed_pg, outbox_id)
    # the third attempt failed: the next comes after 5 * 2**2 = 20 seconds at most
    assert failed.attempts == 3
    assert failed.available_at == T0 + timedelta(seconds=20)
    assert failed.completed_at is None and failed.last_error == repr(error)


def test_a_transient_failure_without_retries_recorded_only_raises(
    committed_pg: Engine, clock: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails() -> None:
        raise tasks.TransientError("503")

    monkeypatch.setitem(tasks.TASKS, "tests.fails", fails)
    outbox_id = insert(committed_pg, task="tests.fails", created_at=T0, available_at=T0)
    with pytest.raises(tasks.TransientError):
        runner.execute("tests.fails", {}, outbox_id=outbox_id)
    assert row(committed_pg, outbox_id).attempts == 0


def test_a_permanent_failure_of_delivered_work_is_retried_ten_minutes_later(
    committed_pg: Engine, clock: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise ValueError("a bug")

    monkeypatch.setitem(tasks.TASKS, "tests.broken", broken)
    outbox_id = insert(committed_pg, task="tests.broken", created_at=T0, available_at=T0)
    with pytest.raises(ValueError):
        runner.execute_delivered("tests.broken", {}, outbox_id=outbox_id)
    failed = row(committed_pg, outbox_id)
    assert (failed.attempts, failed.available_at) == (1, T0 + timedelta(minutes=10))
    assert failed.last_error == "ValueError('a bug')"


# --- the embedded worker's periodic tasks ---------------------------------------------


def test_periodic_tasks_run_at_their_interval_and_a_failing_one_stops_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[str] = []
    moment = [1000.0]
    monkeypatch.setattr(runner.time, "monotonic", lambda: moment[0])

    def failing() -> None:
        ran.append("failing")
        raise RuntimeError("boom")

    monkeypatch.setitem(tasks.TASKS, "tests.every10", lambda: ran.append("every10"))
    monkeypatch.setitem(tasks.TASKS, "tests.failing", failing)
    monkeypatch.setattr(tasks, "PERIODIC", {
        "tests.failing": tasks.PeriodicTask("tests.failing", 5),
        "tests.every10": tasks.PeriodicTask("tests.every10", 10),
    })
    worker = runner.EmbeddedWorker()
    worker._run_periodic()  # both are due at start
    assert ran == ["failing", "every10"]
    moment[0] += 9.9
    worker._run_periodic()
    assert ran == ["failing", "every10", "failing"]
    moment[0] += 0.1  # ten seconds after the first run
    worker._run_periodic()
    assert ran == ["failing", "every10", "failing", "every10"]


def test_a_stopped_worker_is_no_longer_woken(
    committed_pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "PERIODIC", {})
    worker = runner.EmbeddedWorker(poll_seconds=30)
    worker.start()
    assert runner._worker is worker
    worker.stop()
    assert runner._worker is None
    assert not worker._thread.is_alive()


def relay_work(engine: Engine, count: int) -> list[outbox.Pending]:
    """Committed rows, to be handed to a relay by the test (not after their commit)."""
    with Session(engine) as session:
        rows = [outbox.enqueue(session=session, task="tests.job", args={}) for _ in range(count)]
        pending = [outbox.Pending(id=r.id, task=r.task, args={}) for r in rows]  # type: ignore[arg-type]
        session.info.pop(outbox.PENDING_KEY)
        session.commit()
    return pending


def test_a_relay_goes_on_after_each_flush_and_never_keeps_a_process_from_exiting(
    committed_pg: Engine, clock: list[datetime], broker: Sent
) -> None:
    relay = runner.Relay(committed_pg)
    assert relay._thread.daemon and relay._thread.is_alive()
    assert relay.flush(10)
    pending = relay_work(committed_pg, 2)
    relay.submit(pending[:1])
    assert relay.flush(10)
    relay.submit(pending[1:])  # after a flush the relay still takes work
    assert relay.flush(10)
    assert [kwargs["outbox_id"] for _name, kwargs in broker] == [p.id for p in pending]
    assert all(row(committed_pg, p.id).published_at == T0 for p in pending)
    assert runner.relay_for(committed_pg) is runner.relay_for(committed_pg)  # one per engine


def test_the_embedded_worker_finds_work_it_was_not_woken_for(
    committed_pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work written by another process (no wake-up here) is run at the next poll."""
    import threading

    done = threading.Event()
    monkeypatch.setitem(tasks.TASKS, "tests.ok", lambda: done.set())
    monkeypatch.setattr(tasks, "PERIODIC", {})
    worker = runner.EmbeddedWorker(poll_seconds=0.2)
    assert worker._thread.daemon  # never keeps the process from exiting
    worker.start()
    try:
        time.sleep(0.5)  # the worker found nothing and sleeps until its next poll
        insert(committed_pg, task="tests.ok")
        assert done.wait(10), "the worker did not poll again"
    finally:
        worker.stop()


def test_the_sweep_publishes_through_the_configured_celery_app(
    committed_pg: Engine, clock: list[datetime], celery_mode: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Down to Celery's send_task (no stand-in for the hand-over itself)."""
    from core import celery_app as celery_module

    configured: list[Any] = []
    app = FakeCelery(failures=0)
    monkeypatch.setattr(celery_module, "celery_app", app)
    monkeypatch.setattr(celery_module, "configure_celery", configured.append)
    old = T0 - timedelta(minutes=5)
    outbox_id = insert(committed_pg, task="tests.job", created_at=old, available_at=old)
    assert runner.republish_due() == 1
    assert app.calls == [("tests.job", {"outbox_id": outbox_id}, None)]
    assert [settings.redis_url for settings in configured] == ["redis://127.0.0.1:9/0"]
    assert row(committed_pg, outbox_id).published_at == T0


def test_what_the_broker_took_before_it_failed_is_marked_published(
    committed_pg: Engine, clock: list[datetime], celery_mode: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tried: list[int] = []
    monkeypatch.setattr(runner, "_send", failing(2, tried))
    ids = commit_work(committed_pg, 0, 0, 0)
    assert tried == ids[:2]
    assert [row(committed_pg, i).published_at for i in ids] == [T0, None, None]


def test_a_session_bound_to_a_connection_hands_over_on_its_commit(
    committed_pg: Engine, clock: list[datetime], broker: Sent
) -> None:
    with committed_pg.connect() as connection:
        session = Session(bind=connection)
        outbox_id = outbox.enqueue(session=session, task="tests.job", args={}).id
        session.commit()  # the connection's own transaction: the outermost commit
        session.close()
    assert runner.relay_for(committed_pg).flush(10)
    assert broker == [("tests.job", {"outbox_id": outbox_id})]
    assert outbox_id is not None and row(committed_pg, outbox_id).published_at == T0


def test_what_queued_while_the_relay_was_busy_goes_in_one_round(
    committed_pg: Engine, clock: list[datetime], broker: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load requests commit faster than rows are handed over: the relay takes everything
    queued meanwhile in its next round (one UPDATE marks it all published)."""
    import threading

    rounds: list[list[int]] = []
    busy, release = threading.Event(), threading.Event()
    real = runner.publish_pending

    def slow(pending: list[outbox.Pending], *, engine: Engine) -> list[int]:
        rounds.append([p.id for p in pending])
        busy.set()
        release.wait(10)
        return real(pending, engine=engine)

    monkeypatch.setattr(runner, "publish_pending", slow)
    relay = runner.Relay(committed_pg)
    pending = relay_work(committed_pg, 3)
    relay.submit(pending[:1])
    assert busy.wait(10)
    relay.submit(pending[1:2])  # two requests commit while the first round is on its way
    relay.submit(pending[2:])
    release.set()
    assert relay.flush(10)
    assert rounds == [[pending[0].id], [pending[1].id, pending[2].id]]
    assert [kwargs["outbox_id"] for _name, kwargs in broker] == [p.id for p in pending]
    assert all(row(committed_pg, p.id).published_at == T0 for p in pending)
