"""Outbox rows reach the broker only after the OUTER commit, and never on the request path."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import outbox, runner
from tests import factories


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """What after_commit hands on, batch by batch."""
    batches: list[list[int]] = []
    monkeypatch.setattr(
        runner, "after_commit", lambda pending, bind: batches.append([p.id for p in pending])
    )
    return batches


def test_a_filing_inside_a_savepoint_is_handed_over_only_when_the_outer_transaction_commits(
    committed_pg: Engine, handed: list[list[int]]
) -> None:
    with Session(committed_pg) as session:
        with session.begin_nested():  # as the SMS door files a report
            ticket_id = factories.ticket(session).id
        assert handed == [], "a released savepoint is not a commit"
        session.commit()
    assert len(handed) == 1 and handed[0], "one batch, after the outer commit"
    with Session(committed_pg) as session:
        rows = [session.get(outbox.OutboxMessage, outbox_id) for outbox_id in handed[0]]
        assert rows and all(row is not None and row.args["ticket_id"] == ticket_id
                            for row in rows)


def test_a_rolled_back_savepoint_drops_only_its_own_rows(
    committed_pg: Engine, handed: list[list[int]]
) -> None:
    with Session(committed_pg) as session:
        kept = outbox.enqueue(session=session, task="test.kept", args={}).id
        try:
            with session.begin_nested():
                outbox.enqueue(session=session, task="test.dropped", args={})
                raise RuntimeError("the savepoint fails")
        except RuntimeError:
            pass
        session.commit()
    assert handed == [[kept]]


def test_a_session_inside_a_callers_transaction_hands_over_nothing_on_its_commit(
    pg_engine: Engine, handed: list[list[int]]
) -> None:
    with pg_engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        factories.ticket(session)
        session.commit()
        session.close()
        outer.rollback()
    assert handed == []


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A TCP server that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(2)
    for connection in held:
        connection.close()
    server.close()


def test_the_commit_never_waits_on_a_broker_that_hangs(
    committed_pg: Engine, silent_broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("REDIS_URL", silent_broker)
    get_settings.cache_clear()
    with Session(committed_pg) as session:
        row_id = outbox.enqueue(session=session, task="test.anything", args={}).id
        started = time.monotonic()
        session.commit()
        took = time.monotonic() - started
    assert took < 0.5, f"the commit waited {took:.1f} s on the broker"
    relay = runner.relay_for(committed_pg)
    assert relay.flush(timeout=30)
    with Session(committed_pg) as session:
        stored = session.get(outbox.OutboxMessage, row_id)
        assert stored is not None and stored.published_at is None  # left for the sweep
