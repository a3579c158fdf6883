"""Issue 16: likely duplicates (candidates, score), merge and undo, the merged reporter follows
the master. The embedding model (the packaged base checkpoint) loads once per test process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core.clock import set_clock, utcnow
from core.errors import Conflict, Forbidden
from notify.models import OutboundMessage
from staff import flows, service
from tests import factories
from tests.staff import helpers
from tickets import duplicates, workflow
from tickets.models import Ticket, TicketEvent

WARD = "26884"  # Phường Gò Vấp
FAR_WARD = "26506"  # Phường Vũng Tàu
EN = (
    "Water main burst on Nguyen Oanh near Phan Van Tri, water shooting up and flooding the road"
)
VI = "Vỡ ống nước trên đường Nguyễn Oanh gần Phan Văn Trị, nước phun lên như vòi rồng"
POTHOLE = "Ổ gà rất lớn trên đường Nguyễn Oanh gần Phan Văn Trị, xe máy té liên tục"


def filed(session: Session, text: str, *, category: str, area_id: str = WARD,
          **values: Any) -> Ticket:
    """A report as the worker leaves it: routed with the classifier's category, embedded."""
    ticket = factories.routed_ticket(
        session, category_id=category, description=text, area_id=area_id, **values
    )
    ticket.predicted_category_id = category
    duplicates.embed_ticket(session=session, ticket=ticket)
    return ticket


def codes_of(session: Session, ticket: Ticket) -> list[str]:
    return [m.ticket.code for m in duplicates.likely_duplicates(session=session, ticket=ticket)]


def test_the_issue_example_across_languages(session: Session) -> None:
    master = filed(session, EN, category="water_supply", reporter_phone="+84901111111")
    same = filed(session, VI, category="water_supply")
    elsewhere = filed(session, VI, category="water_supply", area_id=FAR_WARD)
    pothole = filed(session, POTHOLE, category="roads")

    assert codes_of(session, same) == [master.code]
    assert codes_of(session, elsewhere) == []  # the same text in another ward
    assert codes_of(session, pothole) == []  # the same street, another problem
    match = duplicates.likely_duplicates(session=session, ticket=same)[0]
    assert duplicates.THRESHOLD <= match.similarity <= 1.0


def test_the_category_window_bounds_the_candidates(session: Session) -> None:
    start = utcnow()
    try:
        set_clock(lambda: start - timedelta(days=3))
        old_noise = filed(session, "Karaoke hát rất to cả đêm ở hẻm 12 Nguyễn Oanh",
                          category="pollution")
        old_road = filed(session, "Ổ gà lớn trên đường Nguyễn Oanh", category="roads")
        set_clock(lambda: start)
        noise = filed(session, "Karaoke hát to suốt đêm hẻm 12 Nguyễn Oanh", category="pollution")
        road = filed(session, "Ổ gà to trên đường Nguyễn Oanh, xe té", category="roads")
    finally:
        set_clock(None)
    assert old_noise.id not in [t.id for t in duplicates.candidates(session=session, ticket=noise)]
    assert old_road.id in [t.id for t in duplicates.candidates(session=session, ticket=road)]


def test_merged_tickets_are_no_candidates_and_the_worker_embeds(session: Session) -> None:
    master = factories.ticket(session, description=EN, area_id=WARD)
    factories.deliver_events(session)  # tickets.process stores the embedding
    assert duplicates.vectors(session=session, ticket_ids=[master.id])[master.id].shape == (384,)


def test_merge_undo_audit_and_the_reporter_follows_the_master(session: Session) -> None:
    master = filed(session, EN, category="water_supply", agency_id="water_utility")
    due = master.resolve_due_at
    dup = filed(session, VI, category="water_supply", agency_id="water_utility",
                reporter_phone="+84902222222", language="vi")
    agent = helpers.user(session, "agent", "water_utility")

    flows.perform(session=session, user=agent, ticket=dup, action="merge",
                  payload={"master": master.code})
    assert (dup.state, dup.duplicate_of_id) == ("closed", master.id)
    assert master.resolve_due_at == due and master.state == "routed"
    kinds = {t.id: [e.kind for e in trail(session, t)] for t in (master, dup)}
    assert kinds[dup.id][-1] == "merged" and kinds[master.id][-1] == "merge_received"
    assert dup.id not in [t.id for t in duplicates.candidates(session=session, ticket=master)]

    flows.perform(session=session, user=agent, ticket=dup, action="unmerge", payload={})
    assert (dup.state, dup.duplicate_of_id, dup.closed_at) == ("routed", None, None)
    assert trail(session, master)[-1].kind == "merge_undone"
    with pytest.raises(Conflict):
        flows.perform(session=session, user=agent, ticket=dup, action="unmerge", payload={})

    flows.perform(session=session, user=agent, ticket=dup, action="merge",
                  payload={"master": master.code})
    factories.deliver_events(session)
    workflow.acknowledge(session=session, ticket=master, actor=flows.actor_of(agent))
    workflow.resolve(session=session, ticket=master, resolution="Đã thay đoạn ống bị vỡ.",
                     actor=flows.actor_of(agent))
    factories.deliver_events(session)
    factories.deliver_events(session)  # a second run queues nothing more
    sent = session.execute(
        select(OutboundMessage).where(OutboundMessage.ticket_id == dup.id)
    ).scalars().all()
    # the receipt with the tracking code when it was filed (issue 13), then the master's answer
    assert [(m.kind, m.recipient, m.language) for m in sent] == [
        ("received", "+84902222222", "vi"),
        ("master_resolved", "+84902222222", "vi"),
    ]
    assert "Đã thay đoạn ống bị vỡ." in sent[1].body and "đã được giải quyết" in sent[1].body


def test_merging_across_agencies_needs_the_triage_desk(session: Session) -> None:
    master = filed(session, EN, category="water_supply", agency_id="water_utility")
    dup = filed(session, VI, category="drainage", agency_id="drainage")
    agent = helpers.user(session, "agent", "drainage")
    with pytest.raises(Forbidden):
        flows.perform(session=session, user=agent, ticket=dup, action="merge",
                      payload={"master": master.code})
    assert dup.state == "routed" and dup.duplicate_of_id is None
    admin = helpers.user(session, "admin", None)
    flows.perform(session=session, user=admin, ticket=dup, action="merge",
                  payload={"master": master.code})
    assert dup.duplicate_of_id == master.id


def test_the_api_answers_duplicates_with_the_ticket_access_rules(pg_session, pg_client) -> None:
    master = filed(pg_session, EN, category="water_supply", agency_id="water_utility")
    dup = filed(pg_session, VI, category="water_supply", agency_id="water_utility")
    pg_session.commit()
    mine = service.issue_api_token(
        session=pg_session, user=helpers.user(pg_session, "agent", "water_utility"))
    other = service.issue_api_token(
        session=pg_session, user=helpers.user(pg_session, "agent", "transport"))
    url = f"/api/v1/staff/tickets/{dup.id}/duplicates"
    answer = pg_client.get(url, headers={"Authorization": f"Bearer {mine}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(d["code"], d["state"]) for d in body] == [(master.code, "routed")]
    assert body[0]["similarity"] >= duplicates.THRESHOLD
    assert pg_client.get(url, headers={"Authorization": f"Bearer {other}"}).status_code == 403


def trail(session: Session, ticket: Ticket) -> list[TicketEvent]:
    return list(session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).scalars())


def test_the_staff_page_lists_duplicates_and_merges_through_the_form(
    pg_session, pg_client
) -> None:
    master = filed(pg_session, EN, category="water_supply", agency_id="water_utility")
    dup = filed(pg_session, VI, category="water_supply", agency_id="water_utility")
    pg_session.commit()
    csrf = helpers.login(pg_client, helpers.user(pg_session, "agent", "water_utility"))
    page = pg_client.get(f"/staff/tickets/{dup.id}?lang=vi")
    assert f'data-duplicate="{master.code}"' in page.text and "Có thể trùng lặp" in page.text
    answer = pg_client.post(f"/staff/tickets/{dup.id}/merge",
                            data={"csrf_token": csrf, "master": master.code},
                            follow_redirects=False)
    assert answer.status_code == 303, answer.text
    pg_session.refresh(dup)
    assert (dup.state, dup.duplicate_of_id) == ("closed", master.id)
    page = pg_client.get(f"/staff/tickets/{dup.id}")
    assert 'id="form-unmerge"' in page.text
    bad = pg_client.post(f"/staff/tickets/{master.id}/merge",
                         data={"csrf_token": csrf, "master": "NOSUCHCODE"}, follow_redirects=False)
    assert bad.status_code == 404


def test_hotspots_count_a_merged_problem_once_and_its_reports_twice(
    pg_session, pg_client
) -> None:
    master = filed(pg_session, EN, category="water_supply", agency_id="water_utility")
    dup = filed(pg_session, VI, category="water_supply", agency_id="water_utility")
    filed(pg_session, "No water since morning on Nguyen Oanh", category="water_supply",
          agency_id="water_utility")
    agent = helpers.user(pg_session, "agent", "water_utility")
    flows.perform(session=pg_session, user=agent, ticket=dup, action="merge",
                  payload={"master": master.code})
    pg_session.commit()
    helpers.login(pg_client, helpers.user(pg_session, "official", None))
    page = pg_client.get("/dashboard/hotspots?lang=vi")
    assert page.status_code == 200, page.text
    assert 'id="problems">2<' in page.text and 'id="reports">3<' in page.text
    row = page.text.split(f'data-key="water_supply:{WARD}"')[1].split("</tr>")[0]
    assert "<td>2</td>" in row and ">3</a>" in row  # problems, reports
    assert "figure=created" in row and f"area_id={WARD}" in row
