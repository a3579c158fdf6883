"""The embedded default's SQLite: real transactions, savepoints that roll back, and concurrent
writers (web requests and the in-process worker) that wait for each other instead of failing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from core.db import make_engine


def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'embedded.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
    return engine


def test_a_transaction_that_reads_then_writes_survives_a_concurrent_writer(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    errors: list[BaseException] = []
    read_done = threading.Event()

    def reader_then_writer() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("SELECT count(*) FROM note")).scalar()
                read_done.set()
                time.sleep(0.3)  # the other connection tries to write meanwhile
                conn.execute(text("INSERT INTO note (body) VALUES ('first')"))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
            read_done.set()

    def writer() -> None:
        read_done.wait(5)
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO note (body) VALUES ('second')"))
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=reader_then_writer), threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert errors == []
    with engine.connect() as conn:
        bodies = sorted(conn.execute(text("SELECT body FROM note")).scalars())
    assert bodies == ["first", "second"]
    engine.dispose()


def test_releasing_a_savepoint_commits_nothing_before_the_outer_transaction(
    tmp_path: Path,
) -> None:
    # how a ticket is inserted (a savepoint around the unique tracking code) before its event
    # and outbox row: if the request then fails, none of it may remain
    engine = _engine(tmp_path)
    with engine.connect() as conn:
        outer = conn.begin()
        savepoint = conn.begin_nested()
        conn.execute(text("INSERT INTO note (body) VALUES ('ticket')"))
        savepoint.commit()
        outer.rollback()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM note")).scalar() == 0
    engine.dispose()
