"""Staff dependencies: who is asking (session cookie or bearer token), and what role they have."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.exceptions import HTTPException

from core.errors import Forbidden, Unauthorized
from httpbase.csrf import SESSION_COOKIE, verify_csrf
from httpbase.deps import SessionDep
from httpbase.errors import wants_json
from staff import service
from staff.models import StaffUser


def _wants_redirect(request: Request) -> bool:
    return not wants_json(request)


def optional_staff(request: Request, session: SessionDep) -> StaffUser | None:
    cached = getattr(request.state, "staff_user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    header = request.headers.get("authorization", "")
    user: StaffUser | None = None
    if header.lower().startswith("bearer "):
        user = service.user_for_token(session=session, token=header[7:].strip(), kind="api")
        if user is None:
            raise Unauthorized("The API token is not valid or has expired.")
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            user = service.user_for_token(session=session, token=token, kind="browser")
    request.state.staff_user = user
    return user


def current_staff(
    request: Request, user: Annotated[StaffUser | None, Depends(optional_staff)]
) -> StaffUser:
    """The logged-in staff member; pages redirect to the log-in form, the JSON API answers 401."""
    if user is not None:
        return user
    if _wants_redirect(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(
            status_code=303,
            detail="Log in first.",
            headers={"Location": f"/staff/login?next={quote(target, safe='')}"},
        )
    raise Unauthorized("Log in first, or send an API token.")


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]


def require_roles(*roles: str) -> Callable[..., StaffUser]:
    allowed = frozenset(roles)

    def dependency(user: CurrentStaff) -> StaffUser:
        if user.role not in allowed:
            raise Forbidden("Your role does not allow this.")
        return user

    return dependency


def checked_staff(
    user: CurrentStaff, _csrf: Annotated[None, Depends(verify_csrf)]
) -> StaffUser:
    """For POST routes: who is asking (401/redirect first), then the CSRF check (403)."""
    return user


CsrfCheckedStaff = Annotated[StaffUser, Depends(checked_staff)]
