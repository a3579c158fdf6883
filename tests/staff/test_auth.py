"""Log-in, log-out, sessions, passwords, CSRF and API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import set_clock, utcnow
from core.errors import Conflict, InvalidInput, Unauthorized
from httpbase.csrf import PRE_SESSION_COOKIE, SESSION_COOKIE
from staff import service
from staff.models import StaffSession
from tests.staff import helpers


def test_password_is_stored_as_an_argon2_hash(pg_session) -> None:
    user = helpers.user(pg_session, email="lan@example.org")
    assert user.password_hash.startswith("$argon2id$")
    assert helpers.PASSWORD not in user.password_hash


def test_create_user_validates(pg_session) -> None:
    helpers.user(pg_session, email="lan@example.org")
    with pytest.raises(Conflict):
        helpers.user(pg_session, email="LAN@example.org")
    with pytest.raises(InvalidInput):
        helpers.user(pg_session, role="emperor", email="x@example.org")
    with pytest.raises(InvalidInput):  # an agent needs an agency
        helpers.user(pg_session, role="agent", agency_id=None, email="y@example.org")
    with pytest.raises(InvalidInput):
        service.create_user(
            session=pg_session, email="z@example.org", name="Z", password="short", role="official"
        )
    official = helpers.user(pg_session, role="official", agency_id="transport", email="o@x.org")
    assert official.agency_id is None  # officials belong to no agency


def test_login_sets_an_httponly_lax_session_cookie(pg_session, pg_client) -> None:
    user = helpers.user(pg_session, email="lan@example.org")
    page = pg_client.get("/staff/login")
    assert page.status_code == 200
    assert PRE_SESSION_COOKIE in page.cookies
    answer = pg_client.post(
        "/staff/login",
        data={
            "email": "Lan@Example.org ",
            "password": helpers.PASSWORD,
            "csrf_token": helpers.csrf_from(page.text),
            "next": "/staff/tickets/1",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/tickets/1"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    token = pg_client.cookies.get(SESSION_COOKIE)
    stored = pg_session.execute(select(StaffSession)).scalars().all()
    assert [row.user_id for row in stored] == [user.id]
    assert stored[0].token_hash != token  # only a hash of the token is kept


def test_wrong_password_is_refused_without_a_session(pg_session, pg_client) -> None:
    helpers.user(pg_session, email="lan@example.org")
    page = pg_client.get("/staff/login")
    answer = pg_client.post(
        "/staff/login",
        data={
            "email": "lan@example.org",
            "password": "wrong password!",
            "csrf_token": helpers.csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 401
    assert SESSION_COOKIE not in pg_client.cookies
    assert pg_session.execute(select(StaffSession)).first() is None


def test_login_without_csrf_token_is_refused(pg_session, pg_client) -> None:
    helpers.user(pg_session, email="lan@example.org")
    pg_client.get("/staff/login")
    answer = pg_client.post(
        "/staff/login",
        data={"email": "lan@example.org", "password": helpers.PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert SESSION_COOKIE not in pg_client.cookies


def test_next_never_leaves_the_site(pg_session, pg_client) -> None:
    user = helpers.user(pg_session, email="lan@example.org")
    page = pg_client.get("/staff/login")
    answer = pg_client.post(
        "/staff/login",
        data={
            "email": user.email,
            "password": helpers.PASSWORD,
            "csrf_token": helpers.csrf_from(page.text),
            "next": "//evil.example/phish",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/staff"


def test_pages_redirect_to_login_and_api_answers_401(pg_client) -> None:
    page = pg_client.get("/staff?state=routed", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/staff/login?next=%2Fstaff%3Fstate%3Drouted"
    api = pg_client.get("/api/v1/staff/tickets")
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "unauthorized"


def test_logout_ends_the_server_side_session(pg_session, pg_client) -> None:
    user = helpers.user(pg_session, email="lan@example.org")
    csrf = helpers.login(pg_client, user)
    token = pg_client.cookies.get(SESSION_COOKIE)
    assert pg_client.post("/staff/logout", data={"csrf_token": "nope"}).status_code == 403
    answer = pg_client.post("/staff/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert service.user_for_token(session=pg_session, token=token, kind="browser") is None
    # the old cookie no longer opens anything, even if a copy was kept
    pg_client.cookies.set(SESSION_COOKIE, token)
    assert pg_client.get("/staff", follow_redirects=False).status_code == 303


def test_session_expires(pg_session) -> None:
    user = helpers.user(pg_session, email="lan@example.org")
    token = service.start_session(session=pg_session, user=user)
    assert service.user_for_token(session=pg_session, token=token, kind="browser") == user
    later = utcnow() + timedelta(hours=service.BROWSER_SESSION_HOURS, minutes=1)
    set_clock(lambda: later)
    try:
        assert service.user_for_token(session=pg_session, token=token, kind="browser") is None
        assert service.purge_expired_sessions(session=pg_session) == 1
    finally:
        set_clock(None)


def test_deactivated_account_cannot_log_in_or_use_its_session(pg_session) -> None:
    user = helpers.user(pg_session, email="lan@example.org")
    token = service.start_session(session=pg_session, user=user)
    user.active = False
    pg_session.flush()
    assert service.user_for_token(session=pg_session, token=token, kind="browser") is None
    with pytest.raises(Unauthorized):
        service.authenticate(session=pg_session, email=user.email, password=helpers.PASSWORD)


def test_api_token_is_not_a_browser_session(pg_session, pg_client) -> None:
    user = helpers.user(pg_session, email="lan@example.org")
    token = service.issue_api_token(session=pg_session, user=user)
    me = pg_client.get("/api/v1/staff/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["email"] == "lan@example.org"
    pg_client.cookies.set(SESSION_COOKIE, token)
    assert pg_client.get("/staff", follow_redirects=False).status_code == 303
    bad = pg_client.get("/api/v1/staff/me", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401
