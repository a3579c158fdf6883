"""Who may read and change which ticket: through the pages, form posts and the JSON API."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from staff import service
from tests import factories
from tests.staff import helpers
from tickets import workflow
from tickets.models import Ticket


@pytest.fixture
def theirs(pg_session: Session) -> Ticket:
    """A ticket of the drainage company."""
    return factories.routed_ticket(
        pg_session, category_id="drainage", reporter_phone="+84901234567"
    )


@pytest.fixture
def ours(pg_session: Session) -> Ticket:
    """A ticket of the Department of Transport."""
    return factories.routed_ticket(pg_session, category_id="roads")


def bearer(pg_session: Session, role: str, agency_id: str | None, email: str) -> dict[str, str]:
    user = helpers.user(pg_session, role, agency_id, email=email)
    return {"Authorization": f"Bearer {service.issue_api_token(session=pg_session, user=user)}"}


def test_agent_reads_and_acts_on_own_agency_ticket(pg_session, pg_client, ours) -> None:
    csrf = helpers.login(pg_client, helpers.user(pg_session, email="a@transport.org"))
    assert pg_client.get(f"/staff/tickets/{ours.id}").status_code == 200
    answer = pg_client.post(
        f"/staff/tickets/{ours.id}/acknowledge", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert answer.status_code == 303
    pg_session.refresh(ours)
    assert ours.state == "acknowledged"


def test_agent_cannot_read_another_agencys_ticket_page(pg_session, pg_client, theirs) -> None:
    helpers.login(pg_client, helpers.user(pg_session, email="a@transport.org"))
    page = pg_client.get(f"/staff/tickets/{theirs.id}")
    assert page.status_code == 403
    assert theirs.description not in page.text


def test_agent_cannot_change_another_agencys_ticket_by_form(pg_session, pg_client, theirs) -> None:
    csrf = helpers.login(pg_client, helpers.user(pg_session, email="a@transport.org"))
    for action, data in [
        ("acknowledge", {}),
        ("resolve", {"resolution": "done"}),
        ("transfer", {"agency_id": "transport", "reason": "mine now"}),
        ("note", {"text": "peek"}),
    ]:
        answer = pg_client.post(
            f"/staff/tickets/{theirs.id}/{action}", data={"csrf_token": csrf, **data}
        )
        assert answer.status_code == 403, action
    pg_session.refresh(theirs)
    assert (theirs.state, theirs.agency_id) == ("routed", "drainage")


def test_agency_queue_lists_only_own_tickets(pg_session, pg_client, ours, theirs) -> None:
    helpers.login(pg_client, helpers.user(pg_session, email="a@transport.org"))
    page = pg_client.get("/staff")
    assert f'data-ticket-id="{ours.id}"' in page.text
    assert f'data-ticket-id="{theirs.id}"' not in page.text
    # asking for another agency's queue changes nothing for an agent
    page = pg_client.get("/staff?agency=drainage")
    assert f'data-ticket-id="{theirs.id}"' not in page.text


def test_api_enforces_the_same_rules(pg_session, pg_client, ours, theirs) -> None:
    headers = bearer(pg_session, "agent", "transport", "api@transport.org")
    listed = pg_client.get("/api/v1/staff/tickets", headers=headers).json()["items"]
    assert [item["id"] for item in listed] == [ours.id]
    assert pg_client.get(f"/api/v1/staff/tickets/{theirs.id}", headers=headers).status_code == 403
    refused = pg_client.post(
        f"/api/v1/staff/tickets/{theirs.id}/actions/acknowledge", headers=headers, json={}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    done = pg_client.post(
        f"/api/v1/staff/tickets/{ours.id}/actions/acknowledge", headers=headers, json={}
    )
    assert done.status_code == 200 and done.json()["state"] == "acknowledged"
    pg_session.refresh(theirs)
    assert theirs.state == "routed"


def test_official_reads_everything_and_changes_nothing(pg_session, pg_client, ours, theirs) -> None:
    official = helpers.user(pg_session, "official", None, email="o@city.gov")
    csrf = helpers.login(pg_client, official)
    page = pg_client.get(f"/staff/tickets/{theirs.id}")
    assert page.status_code == 200
    assert 'id="actions"' not in page.text  # no action forms
    queue = pg_client.get("/staff").text
    assert f'data-ticket-id="{ours.id}"' in queue and f'data-ticket-id="{theirs.id}"' in queue
    for action, data in [
        ("acknowledge", {}),
        ("note", {"text": "x"}),
        ("reject", {"reason": "spam"}),
    ]:
        answer = pg_client.post(
            f"/staff/tickets/{theirs.id}/{action}", data={"csrf_token": csrf, **data}
        )
        assert answer.status_code == 403
    headers = bearer(pg_session, "official", None, "o2@city.gov")
    assert pg_client.get(f"/api/v1/staff/tickets/{ours.id}", headers=headers).status_code == 200
    refused = pg_client.post(
        f"/api/v1/staff/tickets/{ours.id}/actions/acknowledge", headers=headers, json={}
    )
    assert refused.status_code == 403
    pg_session.refresh(theirs)
    pg_session.refresh(ours)
    assert theirs.state == ours.state == "routed"


def test_triage_agent_sorts_but_does_not_act_for_agencies(pg_session, pg_client, ours) -> None:

    waiting = factories.ticket(pg_session)
    workflow.send_to_triage(session=pg_session, ticket=waiting, reason="other")
    csrf = helpers.login(pg_client, helpers.user(pg_session, "triage_agent", None, email="t@x.org"))
    assert pg_client.get(f"/staff/tickets/{ours.id}").status_code == 403
    answer = pg_client.post(f"/staff/tickets/{ours.id}/acknowledge", data={"csrf_token": csrf})
    assert answer.status_code == 403
    triage = pg_client.get("/staff/triage")
    assert f'data-ticket-id="{waiting.id}"' in triage.text
    done = pg_client.post(
        f"/staff/tickets/{waiting.id}/categorize",
        data={"csrf_token": csrf, "category_id": "waste"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    pg_session.refresh(waiting)
    assert (waiting.state, waiting.agency_id, waiting.category_set_by) == (
        "routed",
        "sanitation",
        "triage",
    )


def test_agent_cannot_categorize(pg_session, pg_client) -> None:

    waiting = factories.ticket(pg_session)
    workflow.send_to_triage(session=pg_session, ticket=waiting, reason="other")
    headers = bearer(pg_session, "agent", "transport", "api@transport.org")
    answer = pg_client.post(
        f"/api/v1/staff/tickets/{waiting.id}/actions/categorize",
        headers=headers,
        json={"category_id": "roads"},
    )
    assert answer.status_code == 403
    assert pg_client.get("/staff/triage", follow_redirects=False).status_code in (303, 403)


def test_action_form_without_the_right_csrf_token_is_refused(pg_session, pg_client, ours) -> None:
    helpers.login(pg_client, helpers.user(pg_session, email="a@transport.org"))
    for data in ({}, {"csrf_token": "0" * 64}):
        answer = pg_client.post(f"/staff/tickets/{ours.id}/acknowledge", data=data)
        assert answer.status_code == 403
    pg_session.refresh(ours)
    assert ours.state == "routed"


def test_cookie_authenticated_api_post_needs_the_csrf_header(pg_session, pg_client, ours) -> None:
    csrf = helpers.login(pg_client, helpers.user(pg_session, email="a@transport.org"))
    url = f"/api/v1/staff/tickets/{ours.id}/actions/acknowledge"
    assert pg_client.post(url, json={}).status_code == 403
    assert pg_client.post(url, json={}, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_bad_action_input_is_a_4xx_not_a_500(pg_session, pg_client, ours) -> None:
    headers = bearer(pg_session, "agent", "transport", "api@transport.org")
    base = f"/api/v1/staff/tickets/{ours.id}/actions"
    assert pg_client.post(f"{base}/fly", headers=headers, json={}).status_code == 422
    assert pg_client.post(f"{base}/resolve", headers=headers, json={}).status_code == 422
    early = pg_client.post(f"{base}/resolve", headers=headers, json={"resolution": "Fixed"})
    assert early.status_code == 409  # not acknowledged yet
    assert early.json()["error"]["code"] == "illegal_transition"
    assert (
        pg_client.post(f"{base}/transfer", headers=headers, json={"agency_id": 5}).status_code
        == 422
    )
    assert pg_client.get("/api/v1/staff/tickets/999999999", headers=headers).status_code == 404
    assert pg_client.get("/api/v1/staff/tickets?cursor=%%%", headers=headers).status_code == 422
