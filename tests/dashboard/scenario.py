"""A small hand-made city day whose figures are known (the comments give each answer).

All six tickets are filed on Monday 2 March 2026 at 09:00 in Ho Chi Minh City (02:00 UTC);
the figures are read on Friday 20 March 2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from core.clock import set_clock
from tests import factories
from tickets import workflow
from tickets.models import Ticket

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 20, 3, 0, tzinfo=UTC)
STAFF = workflow.Actor(type="staff", id=1, label="Agent")


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    set_clock(lambda: moment)
    try:
        yield
    finally:
        set_clock(None)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


@dataclass
class City:
    a: Ticket  # roads, web: acknowledged after 2.5 h, resolved next day (on time), rated 5
    b: Ticket  # roads, sms: acknowledged after 30 h (late), resolved on day 10 (late), rated 2
    c: Ticket  # waste, phone: transferred sanitation -> transport, paused 24 h, on time thanks
    #            to the pause (2 working days + 24 h), resolve time 71 h - 24 h = 47 h
    d: Ticket  # roads, web: acknowledged after 1 h, resolved, reopened: open and overdue now
    e: Ticket  # pollution, web: never acknowledged: both deadlines missed, overdue now
    f: Ticket  # open311: rejected as spam


def build(session: Session) -> City:
    with at(T0):
        a = factories.routed_ticket(session, category_id="roads", channel="web",
                                    area_id="26743")
        b = factories.routed_ticket(session, category_id="roads", channel="sms",
                                    area_id="26743", reporter_phone="+84901234567")
        c = factories.routed_ticket(session, category_id="waste", channel="phone",
                                    area_id="26740", reporter_phone="+84901234568")
        d = factories.routed_ticket(session, category_id="roads", channel="web",
                                    area_id="26743")
        e = factories.routed_ticket(session, category_id="pollution", channel="web",
                                    area_id="26740")
        f = factories.ticket(session, channel="open311", area_id="26740")
        workflow.send_to_triage(session=session, ticket=f, reason="test")
        workflow.reject(session=session, ticket=f, reason="spam", actor=STAFF)
    with at(hours(1)):
        workflow.acknowledge(session=session, ticket=d, actor=STAFF)
        workflow.transfer(session=session, ticket=c, agency_id="transport",
                         reason="Not ours", actor=STAFF)
    with at(hours(2.5)):
        workflow.acknowledge(session=session, ticket=a, actor=STAFF)
    with at(hours(3)):
        workflow.acknowledge(session=session, ticket=c, actor=STAFF)
    with at(hours(4)):
        workflow.request_information(session=session, ticket=c, question="Where?", actor=STAFF)
    with at(hours(28)):
        workflow.take_answer(session=session, ticket=c, text="At the corner.", channel="web")
    with at(hours(24)):
        workflow.resolve(session=session, ticket=a, resolution="Patched.", actor=STAFF)
        workflow.resolve(session=session, ticket=d, resolution="Patched.", actor=STAFF)
    with at(hours(26)):
        workflow.rate(session=session, ticket=a, rating=5)
    with at(hours(30)):
        workflow.acknowledge(session=session, ticket=b, actor=STAFF)
    with at(hours(48)):
        workflow.reopen(session=session, ticket=d, reason="Still broken.")
    with at(hours(71)):
        workflow.resolve(session=session, ticket=c, resolution="Collected.", actor=STAFF)
    with at(hours(240)):
        workflow.resolve(session=session, ticket=b, resolution="Patched.", actor=STAFF)
    with at(hours(241)):
        workflow.rate(session=session, ticket=b, rating=2)
    session.flush()
    return City(a=a, b=b, c=c, d=d, e=e, f=f)
