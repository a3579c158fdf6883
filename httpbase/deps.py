"""Every dependency a route may ask for, wired in one place.

The dependencies are ``async``: FastAPI runs a plain ``def`` dependency in its thread pool, and
each hand-over to a thread costs about as much CPU as the work of these (a filed report had
six of them: measured with bench/intake.py). None of them waits on anything here: the session
is opened lazily by the route (in its thread), and only a session that still holds a
transaction is rolled back in a thread at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from core.db import get_engine
from core.i18n import from_accept_language, normalize_language
from core.settings import Settings, get_settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session per request. The route commits what it means to keep; the rest is rolled back."""
    engine = getattr(request.app.state, "engine", None) or get_engine()
    session = Session(engine, expire_on_commit=False)  # no connection until the route asks
    try:
        yield session
    finally:
        if session.in_transaction():  # a round trip: not on the event loop
            await run_in_threadpool(_roll_back_and_close, session)
        else:
            session.close()


def _roll_back_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


def get_app_settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


def get_language(request: Request) -> str:
    """?lang=, then the lang cookie, then the browser's Accept-Language, then the city default."""
    settings = get_app_settings(request)
    query = request.query_params.get("lang")
    if query:
        return normalize_language(query, default=settings.default_language)
    cookie = request.cookies.get("lang")
    if cookie:
        return normalize_language(cookie, default=settings.default_language)
    return from_accept_language(
        request.headers.get("accept-language"), default=settings.default_language
    )


async def _settings(request: Request) -> Settings:
    return get_app_settings(request)


async def _language(request: Request) -> str:
    return get_language(request)


SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]
LanguageDep = Annotated[str, Depends(_language)]
