"""Two deadline sweeps at once, on two PostgreSQL connections: each effect happens once.

Two beat schedulers, or a sweep that outlives its minute, run the same sweep concurrently. The
promise is that every reminder and escalation is recorded and announced exactly once. The test
forces the worst interleaving: both sweeps choose their candidates before either claims one
(a barrier in front of the claiming UPDATE), so only the UPDATE's own condition
(`... WHERE <marker> IS NULL`, re-checked by PostgreSQL after the row lock is released) can keep
the second sweep from recording the same effect again.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import runner
from notify.models import OutboundMessage
from tests import factories
from tests.staff import helpers
from tickets import sweeps, workflow
from tickets.models import Ticket, TicketEvent

# Wednesday 11 March 2026, 09:00 in Ho Chi Minh City
NOW = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
STAFF = workflow.Actor(type="staff", id=None, label="agent")


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    yield from factories.pinned_clock(NOW)


def routed_at(engine: Engine, clock: list[datetime], moment: datetime, *, acknowledge: bool) -> int:
    clock[0] = moment
    with Session(engine, expire_on_commit=False) as session:
        ticket = factories.routed_ticket(session, category_id="roads")
        if acknowledge:
            workflow.acknowledge(session=session, ticket=ticket, actor=STAFF)
        session.commit()
        assert ticket.id is not None
        return ticket.id


@pytest.fixture
def due_tickets(committed_pg: Engine, clock: list[datetime]) -> dict[str, int]:
    """One ticket owed each of the four effects at NOW (deadlines counted by hand)."""
    with Session(committed_pg) as session:
        helpers.user(session, "agent", "transport", email="agent@example.org")
        helpers.user(session, "agency_head", "transport", email="head@example.org")
        helpers.user(session, "official", None, email="official@example.org")
        session.commit()
    tickets = {
        # routed Tue 10 March 08:00 local, not acknowledged by Wed 11 March 08:00: escalate
        "ack_escalation": routed_at(
            committed_pg, clock, datetime(2026, 3, 10, 1, tzinfo=UTC), acknowledge=False
        ),
        # routed Tue 10 March 14:00 local: 19 of its 24 hours gone (past 75%): remind
        "ack_reminder": routed_at(
            committed_pg, clock, datetime(2026, 3, 10, 7, tzinfo=UTC), acknowledge=False
        ),
        # routed Thu 5 March 09:00 local, due Thu 12 March 09:00 local: 24 h of 168 h left
        "resolve_reminder": routed_at(
            committed_pg, clock, datetime(2026, 3, 5, 2, tzinfo=UTC), acknowledge=True
        ),
        # routed Mon 2 March 09:00 local, due Mon 9 March 09:00 local: two days late
        "resolve_escalation": routed_at(
            committed_pg, clock, datetime(2026, 3, 2, 2, tzinfo=UTC), acknowledge=True
        ),
    }
    clock[0] = NOW
    return tickets


def run_two_sweeps_at_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    barrier = threading.Barrier(2, timeout=10)
    real_claim = sweeps._claim

    def claim_together(*args: Any, **kwargs: Any) -> Any:
        # both sweeps have read their candidates: now both claim (a broken barrier means the
        # sweeps took different paths: each goes on alone)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(sweeps, "_claim", claim_together)
    results: list[Any] = []
    errors: list[BaseException] = []

    def one_sweep() -> None:
        try:
            with Session(engine) as session:
                results.append(
                    sweeps.sweep_deadlines(session=session, now=NOW).counts
                )
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=one_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(results) == 2
    return results


def test_two_sweeps_at_once_record_and_announce_each_effect_once(
    committed_pg: Engine,
    clock: list[datetime],
    due_tickets: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = run_two_sweeps_at_once(committed_pg, monkeypatch)
    runner.drain()  # the worker: the sweeps' events reach the staff notices

    total = Counter[str]()
    for counts in results:
        total.update(counts)
    assert total["ack_escalations"] == 1
    assert total["ack_reminders"] == 1
    assert total["resolve_reminders"] == 1
    assert total["resolve_escalations"] == 1

    with Session(committed_pg) as session:
        events = Counter(
            (ticket_id, kind, data["deadline"])
            for ticket_id, kind, data in session.execute(
                select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.data).where(
                    TicketEvent.kind.in_(["reminder", "escalated"])  # type: ignore[attr-defined]
                )
            ).all()
        )
        assert events == {
            (due_tickets["ack_escalation"], "escalated", "acknowledge"): 1,
            (due_tickets["ack_reminder"], "reminder", "acknowledge"): 1,
            (due_tickets["resolve_reminder"], "reminder", "resolve"): 1,
            (due_tickets["resolve_escalation"], "escalated", "resolve"): 1,
        }
        mail = Counter(
            (ticket_id, kind, recipient)
            for ticket_id, kind, recipient in session.execute(
                select(
                    OutboundMessage.ticket_id, OutboundMessage.kind, OutboundMessage.recipient
                )
            ).all()
        )
        expected_mail = {
            (due_tickets["ack_escalation"], "staff_escalation", "head@example.org"): 1,
            (due_tickets["ack_escalation"], "staff_escalation", "official@example.org"): 1,
            (due_tickets["ack_reminder"], "staff_reminder", "agent@example.org"): 1,
            (due_tickets["ack_reminder"], "staff_reminder", "head@example.org"): 1,
            (due_tickets["resolve_reminder"], "staff_reminder", "agent@example.org"): 1,
            (due_tickets["resolve_reminder"], "staff_reminder", "head@example.org"): 1,
            (due_tickets["resolve_escalation"], "staff_escalation", "head@example.org"): 1,
            (due_tickets["resolve_escalation"], "staff_escalation", "official@example.org"): 1,
        }
        # the residents' acknowledgement messages are not the sweep's business
        staff_mail = {key: n for key, n in mail.items() if key[1].startswith("staff_")}
        assert staff_mail == expected_mail
        flags = {
            row.id: (row.ack_overdue, row.resolve_overdue)
            for row in session.execute(select(Ticket)).scalars()
        }
        assert flags[due_tickets["ack_escalation"]] == (True, False)
        assert flags[due_tickets["resolve_escalation"]] == (False, True)
        assert flags[due_tickets["ack_reminder"]] == (False, False)


def test_a_third_sweep_after_the_two_finds_nothing_left(
    committed_pg: Engine,
    clock: list[datetime],
    due_tickets: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_two_sweeps_at_once(committed_pg, monkeypatch)
    with Session(committed_pg) as session:
        counts = sweeps.sweep_deadlines(session=session, now=NOW).counts
    assert sum(counts.values()) == 0
