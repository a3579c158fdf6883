"""The outbox's smaller promises, each at its boundary (PostgreSQL, real commits).

- A unit of work written with a delay is not due before its time, and its hand-over carries
  the task, a copy of its arguments and the delay.
- Work written inside a savepoint that is rolled back is never handed over, however deeply the
  savepoint is nested.
- The republishing sweep takes a never-published row from the fifth second after its writing,
  and a published, unfinished row from the moment its republish delay has passed; oldest first.
- Two workers claiming at once never get the same row: a row claimed by one is skipped (not
  waited for) by the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import outbox, runner
from tests import factories
from tests.core.outbox_helpers import insert

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(T0)


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> list[list[outbox.Pending]]:
    """What after_commit hands on, batch by batch."""
    batches: list[list[outbox.Pending]] = []
    monkeypatch.setattr(runner, "after_commit", lambda pending, bind: batches.append(pending))
    return batches


def test_delayed_work_is_due_only_at_its_time(
    committed_pg: Engine, clock: list[datetime], handed: list[list[outbox.Pending]]
) -> None:
    args = {"ticket_id": 7}
    with Session(committed_pg) as session:
        outbox_id = outbox.enqueue(
            session=session, task="tests.later", args=args, delay_seconds=30
        ).id
        session.commit()
    args["ticket_id"] = 8  # the caller's dict changed afterwards: the work keeps what it was given
    assert outbox_id is not None
    with Session(committed_pg) as session:
        stored = session.get(outbox.OutboxMessage, outbox_id)
        assert stored is not None
        assert (stored.created_at, stored.available_at) == (T0, T0 + timedelta(seconds=30))
        assert stored.args == {"ticket_id": 7}
    [[pending]] = handed
    assert pending == outbox.Pending(
        id=outbox_id, task="tests.later", args={"ticket_id": 7}, countdown=30
    )
    with Session(committed_pg) as session:
        assert outbox.claim_runnable(session=session) == []
    clock[0] = T0 + timedelta(seconds=30)
    with Session(committed_pg) as session:
        assert [row.id for row in outbox.claim_runnable(session=session)] == [outbox_id]


def test_work_in_a_rolled_back_outer_savepoint_is_dropped_from_an_inner_one(
    committed_pg: Engine, handed: list[list[outbox.Pending]]
) -> None:
    with Session(committed_pg) as session:
        kept = outbox.enqueue(session=session, task="tests.kept", args={}).id
        outer = session.begin_nested()
        with session.begin_nested():  # released into the outer savepoint
            outbox.enqueue(session=session, task="tests.dropped", args={})
        outer.rollback()
        session.commit()
    assert [[p.id for p in batch] for batch in handed] == [[kept]]


def test_the_sweep_takes_unpublished_rows_from_the_fifth_second_oldest_first(
    committed_pg: Engine, clock: list[datetime]
) -> None:
    five = T0 - timedelta(seconds=5)
    # the older row became available later (a retry): the order is still the rows' age
    first = insert(committed_pg, created_at=five, available_at=five)
    second = insert(committed_pg, created_at=five, available_at=five - timedelta(seconds=9))
    insert(committed_pg, created_at=T0 - timedelta(seconds=4), available_at=five)  # too fresh
    with Session(committed_pg) as session:
        due = outbox.due_for_publishing(session=session, republish_after_seconds=60)
    assert [row.id for row in due] == [first, second]


def test_the_sweep_resends_a_published_row_once_its_delay_has_passed(
    committed_pg: Engine, clock: list[datetime]
) -> None:
    long_ago = T0 - timedelta(hours=1)
    on_time = insert(committed_pg, created_at=long_ago, available_at=long_ago,
                     published_at=T0 - timedelta(seconds=60))
    insert(committed_pg, created_at=long_ago, available_at=long_ago,
           published_at=T0 - timedelta(seconds=59))
    with Session(committed_pg) as session:
        due = outbox.due_for_publishing(session=session, republish_after_seconds=60)
    assert [row.id for row in due] == [on_time]


def test_the_worker_claims_the_oldest_rows_first(
    committed_pg: Engine, clock: list[datetime]
) -> None:
    # the oldest row became available last (a retry): the order is still the rows' age
    ids = [insert(committed_pg, created_at=T0, available_at=T0 - timedelta(seconds=s))
           for s in (0, 2, 1)]
    with Session(committed_pg) as session:
        assert [row.id for row in outbox.claim_runnable(session=session, limit=2)] == ids[:2]


def test_a_row_claimed_by_one_worker_is_skipped_by_another(
    committed_pg: Engine, clock: list[datetime]
) -> None:
    first = insert(committed_pg, created_at=T0, available_at=T0)
    second = insert(committed_pg, created_at=T0, available_at=T0)
    with Session(committed_pg) as one, Session(committed_pg) as other:
        claimed = [row.id for row in outbox.claim_runnable(session=one, limit=1)]
        assert claimed == [first]
        # the other worker does not wait for the first one's transaction, nor take its row
        other.execute(text("SET LOCAL lock_timeout = '2s'"))
        assert [row.id for row in outbox.claim_runnable(session=other)] == [second]
        one.rollback()
        other.rollback()
