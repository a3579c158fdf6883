"""A Zalo report counts like any other: dashboard figures (online share) and Open311."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.clock import utcnow
from dashboard import measures, rollup, service, tables
from tests import factories
from tests.intake.zalo_helpers import USER, post, run_tasks, text_event, zalo_client, zalo_settings
from tickets.models import Channel, Ticket


def zalo_report(session: Session) -> Ticket:
    with zalo_client(session) as client:
        post(client, text_event("Rác ùn ứ trước chợ Bến Thành hai ngày nay."))
        post(client, text_event("xong"))
    run_tasks(session, zalo_settings(), only={"intake.zalo_event"})
    return next(t for t in session.query(Ticket).all() if t.channel == "zalo")


def test_the_dashboard_counts_zalo_as_an_online_channel(pg_session: Session) -> None:
    zalo_report(pg_session)
    factories.ticket(pg_session, channel="sms")
    rollup.rebuild_all(session=pg_session, now=utcnow())
    day = measures.day_of(utcnow(), "Asia/Ho_Chi_Minh").isoformat()
    filters = service.parse_filters(session=pg_session, start=day, end=day)
    channels = {row["key"]: row["created"] for row in service.by_channel(
        session=pg_session, filters=filters)}
    assert channels == {"zalo": 1, "sms": 1}
    assert service.totals(session=pg_session, filters=filters)["online_share"] == (
        pytest.approx(0.5))
    only_zalo = service.parse_filters(session=pg_session, start=day, end=day, channel="zalo")
    assert service.totals(session=pg_session, filters=only_zalo)["created"] == 1
    assert tables.channel_label("vi", "zalo") == "Zalo"
    assert "zalo" in {channel.value for channel in Channel}


def test_open311_lists_a_zalo_report_without_the_residents_zalo_id(pg_session: Session) -> None:
    from tests.open311 import spec

    ticket = zalo_report(pg_session)
    key = spec.new_key(pg_session)  # listing needs a key (tests/open311/test_enumeration.py)
    with zalo_client(pg_session) as client:
        one = client.get(f"/open311/v2/requests/{ticket.code}.json")
        listed = client.get("/open311/v2/requests.json", params={"api_key": key})
    assert one.status_code == 200 and one.json()[0]["service_request_id"] == ticket.code
    assert ticket.code in {entry["service_request_id"] for entry in listed.json()}
    assert USER not in one.text and USER not in listed.text
    status_page = zalo_client(pg_session).get(f"/status/{ticket.code}")
    assert status_page.status_code == 200 and USER not in status_page.text
