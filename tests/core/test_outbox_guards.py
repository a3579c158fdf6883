"""The outbox keeps its promises: nothing committed is lost, failures retry with backoff, a row
that keeps failing is parked, and one failing task does not stop the embedded worker.

On PostgreSQL with real commits (the runner opens its own connections). Celery is not started:
in Celery mode the hand-over (`runner._send`) is replaced by a list, which is what the broker
would have received, and the broker is taken to hold nothing (as after a Redis restart). The
clock is pinned, so every expected moment is written out. The tests go through the sweep
(`core.outbox_sweep`) and the embedded worker's `drain`, not through the relay's internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import outbox, runner, tasks
from core.settings import get_settings
from tests import factories
from tests.core.outbox_helpers import failing, insert, recording, row

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

def republish_after() -> int:
    return get_settings().outbox_republish_after_seconds


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(T0)


@pytest.fixture
def broker(
    committed_pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Celery mode without Celery: what would have been handed to the broker, in order."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")  # never contacted
    get_settings.cache_clear()
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr("core.celery_app.configure_celery", lambda settings: None)
    monkeypatch.setattr(runner, "_send", recording(sent))
    try:  # where the sweep asks the broker what it still holds: nothing (Redis restarted)
        from core import broker as broker_module  # type: ignore[attr-defined]

        monkeypatch.setattr(broker_module, "held_outbox_ids", lambda *a, **k: set())
    except ImportError:
        pass
    yield sent
    get_settings.cache_clear()


def handed_over(engine: Engine) -> None:
    """Wait until the after-commit hand-over (if it runs in a relay thread) was tried."""
    relay_for = getattr(runner, "relay_for", None)
    if relay_for is not None:
        assert relay_for(engine).flush(10)


# --- a process that dies between the commit and the hand-over --------------------------


def test_a_row_committed_but_never_handed_over_is_sent_by_the_sweep_once(
    committed_pg: Engine,
    clock: list[datetime],
    broker: list[tuple[str, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the process commits and dies before the after-commit hand-over runs
    with monkeypatch.context() as crash:
        crash.setattr(runner, "after_commit", lambda pending, bind: None)
        with Session(committed_pg) as session:
            message = outbox.enqueue(session=session, task="tickets.process", args={"ticket_id": 7})
            session.commit()
            outbox_id = message.id
    assert outbox_id is not None
    assert broker == []

    # once the republish delay has passed, the sweep hands it over, with its outbox id
    clock[0] = T0 + timedelta(seconds=republish_after() + 1)
    assert tasks.run("core.outbox_sweep", {}) == 1
    assert broker == [("tickets.process", {"ticket_id": 7, "outbox_id": outbox_id})]
    assert row(committed_pg, outbox_id).published_at == clock[0]

    # a sweep right after does not send it a second time
    assert tasks.run("core.outbox_sweep", {}) == 0
    assert len(broker) == 1


def test_a_row_published_long_ago_and_never_completed_is_sent_again(
    committed_pg: Engine, clock: list[datetime], broker: list[tuple[str, dict[str, Any]]]
) -> None:
    long_ago = T0 - timedelta(hours=3)
    stale = insert(committed_pg, created_at=long_ago, available_at=long_ago, published_at=long_ago)
    done = insert(
        committed_pg, created_at=long_ago, available_at=long_ago, published_at=long_ago,
        completed_at=long_ago + timedelta(seconds=1),
    )
    parked = insert(
        committed_pg, created_at=long_ago, available_at=long_ago, published_at=None,
        failed_at=long_ago, attempts=outbox.MAX_ATTEMPTS,
    )
    recent = insert(  # handed over seconds ago: still on its way
        committed_pg, created_at=T0 - timedelta(seconds=5), available_at=T0,
        published_at=T0 - timedelta(seconds=5),
    )
    assert runner.republish_due() == 1
    assert [kwargs["outbox_id"] for _name, kwargs in broker] == [stale]
    assert {done, parked, recent}.isdisjoint(kwargs["outbox_id"] for _n, kwargs in broker)


def test_a_row_never_published_is_sent_after_the_grace_period(
    committed_pg: Engine, clock: list[datetime], broker: list[tuple[str, dict[str, Any]]]
) -> None:
    """The broker was down at commit time (the relay cleared the mark): the sweep sends it."""
    just_now = insert(committed_pg, created_at=T0 - timedelta(seconds=2), available_at=T0)
    older = insert(committed_pg, created_at=T0 - timedelta(seconds=6), available_at=T0)
    later = insert(
        committed_pg, created_at=T0 - timedelta(seconds=60),
        available_at=T0 + timedelta(seconds=30),
    )
    assert runner.republish_due() == 1
    assert [kwargs["outbox_id"] for _name, kwargs in broker] == [older]
    assert row(committed_pg, older).published_at == T0
    assert row(committed_pg, just_now).published_at is None
    assert row(committed_pg, later).published_at is None


def test_a_broker_refusing_the_hand_over_leaves_the_rows_for_the_sweep(
    committed_pg: Engine, clock: list[datetime], broker: list[tuple[str, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "_send", failing(1, []))
    with Session(committed_pg) as session:
        ids = [outbox.enqueue(session=session, task="tests.job", args={}).id for _ in range(2)]
        session.commit()
    handed_over(committed_pg)
    assert all(isinstance(i, int) for i in ids)
    assert [row(committed_pg, i).published_at for i in ids] == [None, None]  # type: ignore[arg-type]


# --- retries, backoff, parking (the embedded worker) -----------------------------------


@pytest.fixture
def upper_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full jitter draws from [0, ceiling]: take the ceiling, so the delays can be written."""
    monkeypatch.setattr(runner.random, "uniform", lambda low, high: high)


def test_backoff_doubles_from_five_seconds_and_stops_at_ten_minutes(upper_jitter: None) -> None:
    assert [runner.backoff_seconds(n) for n in range(9)] == [
        5, 10, 20, 40, 80, 160, 320, 600, 600
    ]
    assert runner.backoff_seconds(30) == 600


def test_backoff_is_jittered_between_zero_and_the_ceiling() -> None:
    draws = [runner.backoff_seconds(3) for _ in range(200)]
    assert all(0 <= d <= 40 for d in draws)
    assert len(set(draws)) > 150  # spread out, not one fixed delay
    assert min(draws) < 10 and max(draws) > 30


def test_a_transient_failure_is_retried_later_with_backoff(
    committed_pg: Engine, clock: list[datetime], upper_jitter: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise tasks.TransientError(f"provider answered 503 (try {len(calls)})")
        return "done"

    monkeypatch.setitem(tasks.TASKS, "tests.flaky", flaky)
    outbox_id = insert(committed_pg, task="tests.flaky", created_at=T0, available_at=T0)

    assert runner.drain() == 1
    first = row(committed_pg, outbox_id)
    assert (first.attempts, first.completed_at, first.failed_at) == (1, None, None)
    assert first.available_at == T0 + timedelta(seconds=5)
    assert "try 1" in (first.last_error or "")

    clock[0] = T0 + timedelta(seconds=4)  # not yet
    assert runner.drain() == 0
    clock[0] = T0 + timedelta(seconds=5)
    assert runner.drain() == 1
    second = row(committed_pg, outbox_id)
    assert second.attempts == 2
    assert second.available_at == clock[0] + timedelta(seconds=10)

    clock[0] += timedelta(seconds=10)
    assert runner.drain() == 1
    done = row(committed_pg, outbox_id)
    assert done.completed_at == clock[0]
    assert done.last_error is None and done.failed_at is None
    assert len(calls) == 3


def test_a_permanent_failure_is_retried_ten_minutes_later(
    committed_pg: Engine, clock: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise ValueError("a bug, not the network")

    monkeypatch.setitem(tasks.TASKS, "tests.broken", broken)
    outbox_id = insert(committed_pg, task="tests.broken", created_at=T0, available_at=T0)
    assert runner.drain() == 1
    failed = row(committed_pg, outbox_id)
    assert failed.attempts == 1
    # not retried at once like a network error: ten minutes later
    assert failed.available_at == T0 + timedelta(minutes=10)
    assert failed.failed_at is None
    assert "a bug, not the network" in (failed.last_error or "")


def test_a_row_is_parked_after_the_tenth_failed_attempt_and_never_run_again(
    committed_pg: Engine, clock: list[datetime], upper_jitter: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[datetime] = []

    def always_down() -> None:
        calls.append(clock[0])
        raise tasks.TransientError("still down")

    monkeypatch.setitem(tasks.TASKS, "tests.down", always_down)
    outbox_id = insert(committed_pg, task="tests.down", created_at=T0, available_at=T0)
    for attempt in range(1, 11):
        assert runner.drain() == 1, attempt
        current = row(committed_pg, outbox_id)
        assert current.attempts == attempt
        assert (current.failed_at is not None) == (attempt == 10), attempt
        clock[0] += timedelta(hours=1)  # past any backoff
    parked = row(committed_pg, outbox_id)
    assert parked.failed_at == T0 + timedelta(hours=9)
    assert len(calls) == 10

    # parked: neither the worker nor the republishing sweep touches it again
    clock[0] += timedelta(days=1)
    assert runner.drain() == 0
    with Session(committed_pg) as session:
        assert outbox.due_for_publishing(session=session, republish_after_seconds=1) == []
    assert len(calls) == 10


def test_the_ninth_failure_is_not_yet_parked(committed_pg: Engine, clock: list[datetime]) -> None:
    outbox_id = insert(committed_pg, created_at=T0, available_at=T0, attempts=8)
    outbox.mark_failed_attempt(engine=committed_pg, outbox_id=outbox_id, error="x", retry_in=1)
    assert row(committed_pg, outbox_id).failed_at is None
    outbox.mark_failed_attempt(engine=committed_pg, outbox_id=outbox_id, error="x", retry_in=1)
    assert row(committed_pg, outbox_id).failed_at == T0


def test_drain_goes_on_after_a_failing_task(
    committed_pg: Engine, clock: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []

    def ok(name: str) -> None:
        ran.append(name)

    def fails(name: str) -> None:
        ran.append(name)
        raise RuntimeError("boom")

    monkeypatch.setitem(tasks.TASKS, "tests.ok", ok)
    monkeypatch.setitem(tasks.TASKS, "tests.fails", fails)
    ids = []
    for task, name in (("tests.ok", "a"), ("tests.fails", "b"), ("tests.ok", "c")):
        with Session(committed_pg) as session:
            message = outbox.OutboxMessage(task=task, args={"name": name}, created_at=T0,
                                           available_at=T0)
            session.add(message)
            session.commit()
            ids.append(message.id)
    assert runner.drain() == 3
    assert ran == ["a", "b", "c"]
    a, b, c = (row(committed_pg, i) for i in ids)
    assert a.completed_at == T0 and c.completed_at == T0
    assert b.completed_at is None and b.attempts == 1 and "boom" in (b.last_error or "")
    assert runner.drain() == 0  # the failed one waits for its retry time


def test_the_embedded_worker_thread_runs_committed_work_and_survives_a_failure(
    committed_pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    done = threading.Event()
    ran: list[str] = []

    def fails() -> None:
        ran.append("fails")
        raise RuntimeError("boom")

    def ok() -> None:
        ran.append("ok")
        done.set()

    monkeypatch.setitem(tasks.TASKS, "tests.fails", fails)
    monkeypatch.setitem(tasks.TASKS, "tests.ok", ok)
    monkeypatch.setattr(tasks, "PERIODIC", {})
    worker = runner.EmbeddedWorker(poll_seconds=30)  # only a wake-up makes it drain quickly
    worker.start()
    try:
        with Session(committed_pg) as session:
            outbox.enqueue(session=session, task="tests.fails", args={})
            outbox.enqueue(session=session, task="tests.ok", args={})
            session.commit()  # after the commit the worker is woken
        assert done.wait(10), "the embedded worker did not run the committed work"
    finally:
        worker.stop()
    assert ran == ["fails", "ok"]
    with Session(committed_pg) as session:
        rows = session.execute(
            select(outbox.OutboxMessage).order_by(outbox.OutboxMessage.id)  # type: ignore[arg-type]
        ).scalars().all()
        assert [(r.task, r.attempts, r.completed_at is not None) for r in rows] == [
            ("tests.fails", 1, False),
            ("tests.ok", 0, True),
        ]


def test_a_rolled_back_transaction_hands_nothing_over(
    committed_pg: Engine, clock: list[datetime], broker: list[tuple[str, dict[str, Any]]]
) -> None:
    with Session(committed_pg) as session:
        outbox.enqueue(session=session, task="tests.job", args={})
        session.rollback()
    assert broker == []
    with Session(committed_pg) as session:
        assert session.execute(select(outbox.OutboxMessage)).first() is None
