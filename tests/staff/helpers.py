"""Builders for staff tests: accounts, a logged-in client, the CSRF token of a page."""

from __future__ import annotations

import re
from typing import Any

from argon2 import PasswordHasher
from sqlmodel import Session

from staff import service as staff_service
from staff.models import StaffUser

PASSWORD = "correct horse battery"
# argon2id with small costs: the same code path, a fraction of the time (production keeps
# argon2-cffi's defaults)
staff_service._hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def user(
    session: Session, role: str = "agent", agency_id: str | None = "transport", **kw: Any
) -> StaffUser:
    email = kw.pop("email", f"{role}.{agency_id or 'city'}.{id(kw)}@example.org")
    return staff_service.create_user(
        session=session,
        email=email,
        name=kw.pop("name", role.title()),
        password=PASSWORD,
        role=role,
        agency_id=agency_id,
    )


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def login(client: Any, account: StaffUser) -> str:
    """Log the client in through the real form; returns a CSRF token valid for the session."""
    page = client.get("/staff/login")
    token = csrf_from(page.text)
    answer = client.post(
        "/staff/login",
        data={"email": account.email, "password": PASSWORD, "csrf_token": token, "next": "/staff"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return csrf_for(client)


def csrf_for(client: Any) -> str:
    from httpbase.csrf import SESSION_COOKIE, _sign

    class _Req:  # what _sign needs: the app's settings
        app = client.app

    return _sign(_Req(), client.cookies.get(SESSION_COOKIE))  # type: ignore[arg-type]
