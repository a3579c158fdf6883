"""Every dependency a route may ask for, wired in one place."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from core.db import get_engine
from core.i18n import from_accept_language, normalize_language
from core.settings import Settings, get_settings


def get_db(request: Request) -> Iterator[Session]:
    """A session per request. The route commits what it means to keep; the rest is rolled back."""
    engine = getattr(request.app.state, "engine", None) or get_engine()
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


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


SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
LanguageDep = Annotated[str, Depends(get_language)]
