"""Log-in and log-out pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from core.errors import HotlineError, Unauthorized
from httpbase import csrf
from httpbase.deps import SessionDep, SettingsDep, get_language
from httpbase.render import render
from httpbase.throttle import client_key
from staff import login_throttle, service
from staff.deps import optional_staff
from staff.models import StaffUser

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never `//evil.example` or an absolute URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/staff"
    return target


def _login_page(
    request: Request, *, next_url: str, email: str = "", error: str | None = None, status: int = 200
) -> Response:
    response = render(
        request,
        "staff/login.html",
        {"csrf": csrf.csrf_token(request), "next": next_url, "email": email, "error": error},
        status_code=status,
    )
    seed = csrf.new_pre_session_seed(request)
    if seed:
        from httpbase.deps import get_app_settings

        response.set_cookie(
            csrf.PRE_SESSION_COOKIE,
            seed,
            httponly=True,
            samesite="lax",
            max_age=3600 * 12,
            secure=get_app_settings(request).secure_cookies,
        )
    return response


@router.get("/staff/login")
def login_form(
    request: Request,
    user: Annotated[StaffUser | None, Depends(optional_staff)],
    next: str = "/staff",
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_url=safe_next(next))


@router.post("/staff/login", dependencies=[Depends(csrf.verify_csrf)])
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/staff",
) -> Response:
    throttle = login_throttle.LoginThrottle(settings)
    address = client_key(request)
    try:
        throttle.check(email=email, address=address)
        try:
            user = service.authenticate(session=session, email=email, password=password)
        except Unauthorized:
            throttle.failed(email=email, address=address)
            raise
    except HotlineError as error:
        session.rollback()
        return _login_page(
            request,
            next_url=safe_next(next),
            email=email,
            error=error.localized(get_language(request)),
            status=error.status_code,
        )
    throttle.succeeded(email=email)
    old = request.cookies.get(csrf.SESSION_COOKIE)
    if old:
        service.end_session(session=session, token=old)
    token = service.start_session(session=session, user=user)
    session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        csrf.SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=service.BROWSER_SESSION_HOURS * 3600,
        path="/",
    )
    response.delete_cookie(csrf.PRE_SESSION_COOKIE)
    return response


@router.post("/staff/logout", dependencies=[Depends(csrf.verify_csrf)])
def logout(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(csrf.SESSION_COOKIE)
    if token:
        service.end_session(session=session, token=token)
        session.commit()
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(csrf.SESSION_COOKIE, path="/")
    return response
