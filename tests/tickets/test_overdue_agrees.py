""""Overdue" means one thing: the staff queue, the ticket page's marker, the dashboard's
drill-down and Open311's expected date agree on the same tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from core.clock import set_clock
from dashboard import drilldown
from dashboard.service import Filters
from staff import queue
from tests import factories
from tests.staff import helpers
from tickets import policy, workflow
from tickets.models import Ticket

# Monday 2 March 2026, 09:00 in the city: roads get 24 h to acknowledge, 5 working days to
# resolve (Monday 9 March, 09:00)
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
STAFF = factories.STAFF


def build(session: Session) -> dict[str, Ticket]:
    made: dict[str, Ticket] = {}
    made["late_ack"] = factories.routed_ticket(session)  # not acknowledged after 24 h
    made["acked"] = factories.routed_ticket(session, reporter_phone="+84901234567")
    workflow.acknowledge(session=session, ticket=made["acked"], actor=STAFF)
    made["waiting"] = factories.routed_ticket(session, reporter_phone="+84901234568")
    workflow.acknowledge(session=session, ticket=made["waiting"], actor=STAFF)
    workflow.request_information(
        session=session, ticket=made["waiting"], question="Where?", actor=STAFF
    )
    made["resolved"] = factories.routed_ticket(session)
    workflow.acknowledge(session=session, ticket=made["resolved"], actor=STAFF)
    workflow.resolve(session=session, ticket=made["resolved"], resolution="Done.", actor=STAFF)
    return made


def overdue_everywhere(session: Session, now: datetime) -> dict[str, set[int]]:
    official = helpers.user(session, "official", None, email=f"o{now.timestamp()}@example.org")
    in_queue = queue.agency_queue(
        session=session, user=official, filters=queue.QueueFilters(overdue=True), limit=200
    )
    visible = queue.agency_queue(
        session=session, user=official, filters=queue.QueueFilters(), limit=200
    )
    day = now.date()
    drilled = drilldown.tickets(
        session=session,
        filters=Filters(start=day - timedelta(days=30), end=day),
        figure="overdue",
        page_size=200,
    )
    return {
        "queue": {t.id for t in in_queue.tickets if t.id is not None},
        "marker": {t.id for t in visible.tickets if t.id is not None and queue.is_overdue(t)},
        "dashboard": {row["id"] for row in drilled.rows},
    }


def test_queue_marker_and_dashboard_agree(pg_session) -> None:
    now = [T0]
    set_clock(lambda: now[0])
    try:
        made = build(pg_session)
        ids = {name: ticket.id for name, ticket in made.items()}

        now[0] = T0 + timedelta(hours=2)
        assert overdue_everywhere(pg_session, now[0]) == {
            "queue": set(), "marker": set(), "dashboard": set()
        }

        now[0] = T0 + timedelta(hours=25)  # the acknowledgement deadline has passed
        expected = {ids["late_ack"]}
        assert overdue_everywhere(pg_session, now[0]) == {
            "queue": expected, "marker": expected, "dashboard": expected
        }

        # Tuesday 10 March: past the resolve deadline too; the paused and the resolved tickets
        # are not overdue
        now[0] = T0 + timedelta(days=8)
        expected = {ids["late_ack"], ids["acked"]}
        assert overdue_everywhere(pg_session, now[0]) == {
            "queue": expected, "marker": expected, "dashboard": expected
        }
    finally:
        set_clock(None)


def test_open311_promises_the_policys_deadline(pg_session) -> None:
    from core.settings import get_settings
    from open311 import service as open311_service

    ticket = factories.routed_ticket(pg_session)
    described = open311_service.describe_requests(
        session=pg_session, tickets=[ticket], settings=get_settings(), language="en"
    )[0]
    expected = policy.expected_resolution(ticket)
    assert expected is not None and expected == ticket.resolve_due_at
    promised = datetime.fromisoformat(described["expected_datetime"])
    assert promised == expected.replace(microsecond=0)
