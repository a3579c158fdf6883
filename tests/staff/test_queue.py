"""The agency queue: soonest deadline first, filters, overdue marks, keyset paging."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from core.clock import utcnow
from staff import queue
from tests import factories
from tests.staff import helpers
from tickets import workflow
from tickets.models import Ticket

STAFF = workflow.Actor(type="staff", id=None, label="agent")


def make(session: Session, *, due_in_hours: float, **values: object) -> Ticket:
    ticket = factories.routed_ticket(session, category_id="roads", **values)
    ticket.resolve_due_at = utcnow() + timedelta(hours=due_in_hours)
    session.add(ticket)
    session.flush()
    return ticket


def ids(page: queue.Page) -> list[int]:
    return [t.id for t in page.tickets]  # type: ignore[misc]


def test_soonest_deadline_first_and_paging_covers_all_once(pg_session) -> None:
    agent = helpers.user(pg_session, email="a@transport.org")
    made = [make(pg_session, due_in_hours=h) for h in (50, 10, 30, 10, 70, 20, 40)]
    expected = [t.id for t in sorted(made, key=lambda t: (t.resolve_due_at, t.id))]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = queue.agency_queue(
            session=pg_session,
            user=agent,
            filters=queue.QueueFilters(),
            cursor=cursor,
            limit=3,
        )
        seen += ids(page)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert pages == 3


def test_filters_by_state_ward_category_and_overdue(pg_session) -> None:
    agent = helpers.user(pg_session, email="a@transport.org")
    late = make(pg_session, due_in_hours=-2, area_id="26737")
    soon = make(pg_session, due_in_hours=5)
    workflow.acknowledge(session=pg_session, ticket=soon, actor=STAFF)

    def listed(**filters: object) -> list[int]:
        page = queue.agency_queue(
            session=pg_session,
            user=agent,
            filters=queue.QueueFilters(**filters),  # type: ignore[arg-type]
        )
        return ids(page)

    assert listed() == [late.id, soon.id]
    assert listed(state="acknowledged") == [soon.id]
    assert listed(area_id="26737") == [late.id]
    assert listed(overdue=True) == [late.id]
    assert listed(category_id="waste") == []
    assert queue.is_overdue(late) and not queue.is_overdue(soon)


def test_closed_tickets_leave_the_queue(pg_session) -> None:
    agent = helpers.user(pg_session, email="a@transport.org")
    ticket = make(pg_session, due_in_hours=5)
    workflow.reject(session=pg_session, ticket=ticket, reason="spam", actor=STAFF)
    page = queue.agency_queue(session=pg_session, user=agent, filters=queue.QueueFilters())
    assert ids(page) == []


def test_queue_page_marks_overdue_and_links_the_next_page(pg_session, pg_client) -> None:
    agent = helpers.user(pg_session, email="a@transport.org")
    late = make(pg_session, due_in_hours=-1)
    for hours in range(1, queue.PAGE_SIZE + 2):
        make(pg_session, due_in_hours=hours)
    helpers.login(pg_client, agent)
    page = pg_client.get("/staff?lang=en")
    assert page.status_code == 200
    assert f'<tr data-ticket-id="{late.id}" class="overdue-row">' in page.text
    assert page.text.count("data-ticket-id=") == queue.PAGE_SIZE
    assert 'id="next-page"' in page.text
    second = pg_client.get("/staff?cursor=" + queue.encode_cursor(late.resolve_due_at, late.id))
    assert f'data-ticket-id="{late.id}"' not in second.text


def test_a_forged_cursor_is_a_422(pg_session, pg_client) -> None:
    helpers.login(pg_client, helpers.user(pg_session, email="a@transport.org"))
    assert pg_client.get("/staff?cursor=bm9wZQ").status_code == 422
    assert pg_client.get("/staff?state=flying").status_code == 422


def test_keyset_query_uses_the_agency_deadline_index(pg_session) -> None:
    """The plan reads the (agency_id, state, resolve_due_at) index, never an OFFSET scan."""
    from sqlalchemy import text

    agent = helpers.user(pg_session, email="a@transport.org")
    make(pg_session, due_in_hours=3)
    pg_session.execute(text("SET LOCAL enable_seqscan = off"))
    statement = []

    from sqlalchemy import event

    def capture(conn, cursor, sql, params, context, executemany):  # type: ignore[no-untyped-def]
        statement.append((sql, params))

    engine = pg_session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        queue.agency_queue(
            session=pg_session,
            user=agent,
            filters=queue.QueueFilters(),
            cursor=queue.encode_cursor(utcnow(), 0),
        )
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    sql, params = statement[-1]
    assert "OFFSET" not in sql.upper()
    plan = "\n".join(
        row[0] for row in pg_session.connection().exec_driver_sql("EXPLAIN " + sql, params)
    )
    assert "ix_ticket_agency_state_resolve_due" in plan
