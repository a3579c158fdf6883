"""CSRF protection for staff forms: a token bound to the visitor's session, checked on POST.

A logged-in visitor's token is an HMAC (keyed with settings.secret_key) of the session token
in the HttpOnly cookie; before log-in it is bound to a random `staff_csrf` cookie that the
log-in page sets. A page from another site can neither read the cookie nor compute the HMAC.
Requests authenticated by a bearer token carry no cookie and need no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from core.errors import Forbidden
from httpbase.deps import get_app_settings

SESSION_COOKIE = "staff_session"
PRE_SESSION_COOKIE = "staff_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"


def _secret(request: Request) -> bytes:
    return get_app_settings(request).secret_key.get_secret_value().encode()


def _seed(request: Request) -> str:
    state_seed = getattr(request.state, "staff_session_token", None)
    if state_seed:  # a session started during this request (log-in)
        return str(state_seed)
    seed = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRE_SESSION_COOKIE)
    if seed:
        return seed
    # no cookie yet: the page that shows the form sets this one (see ensure_pre_session_cookie)
    new_seed = getattr(request.state, "staff_csrf_seed", None)
    if new_seed is None:
        new_seed = secrets.token_urlsafe(24)
        request.state.staff_csrf_seed = new_seed
    return str(new_seed)


def csrf_token(request: Request) -> str:
    """The token to put in every staff form as the hidden field `csrf_token`."""
    return _sign(request, _seed(request))


def _sign(request: Request, seed: str) -> str:
    return hmac.new(_secret(request), b"csrf:" + seed.encode(), hashlib.sha256).hexdigest()


def new_pre_session_seed(request: Request) -> str | None:
    """The pre-session cookie value to set on this response, if this request made one."""
    return getattr(request.state, "staff_csrf_seed", None)


def check(request: Request, submitted: str | None) -> None:
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    seed = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRE_SESSION_COOKIE)
    expected = _sign(request, seed) if seed else None
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise Forbidden(
            "The form has expired or did not come from this site. Reload the page and try again."
        )


async def verify_csrf(request: Request) -> None:
    """Dependency for POST routes: the form field `csrf_token` or the X-CSRF-Token header."""
    submitted = request.headers.get(HEADER)
    if submitted is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(FIELD)
            submitted = value if isinstance(value, str) else None
    check(request, submitted)
