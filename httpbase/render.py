"""Rendering pages: one Jinja2 environment, the page's language, and the error page."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from core.i18n import LANGUAGES, Translator
from core.i18n import format_date as i18n_format_date
from core.i18n import format_datetime as i18n_format_datetime
from core.i18n import format_number as i18n_format_number
from core.i18n import format_percent as i18n_format_percent
from httpbase.csrf import csrf_token
from httpbase.deps import get_app_settings, get_language

# the templates (and static files) stay in web/, the room that owns the pages
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "web" / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.autoescape = True
# every template may put the CSRF token in a form: {{ csrf_token(request) }}
templates.env.globals["csrf_token"] = csrf_token


def page_language(request: Request) -> str:
    return get_language(request)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    language: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    settings = get_app_settings(request)
    language = language or page_language(request)
    translator = Translator(language)

    def format_dt(value: Any, format: str = "medium") -> str:
        return i18n_format_datetime(value, language, timezone=settings.city_timezone, format=format)

    def format_d(value: Any, format: str = "medium") -> str:
        return i18n_format_date(value, language, format=format)

    def format_number(value: Any, digits: int | None = None) -> str:
        return i18n_format_number(value, language, digits=digits)

    def format_percent(value: Any, digits: int = 1) -> str:
        return i18n_format_percent(value, language, digits=digits)

    def switch_language(target: str) -> str:
        params = dict(request.query_params)
        params["lang"] = target
        return f"{request.url.path}?{urlencode(params)}"

    values = {
        "request": request,
        "_": translator.gettext,
        "ngettext": translator.ngettext,
        "lang": language,
        "languages": LANGUAGES,
        "format_dt": format_dt,
        "format_date": format_d,
        "format_number": format_number,
        "format_percent": format_percent,
        "switch_language": switch_language,
        "settings": settings,
        **(context or {}),
    }
    response = templates.TemplateResponse(
        request, template, values, status_code=status_code, headers=headers
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", language, max_age=365 * 24 * 3600, samesite="lax")
    return response


def render_error(request: Request, *, status_code: int, message: str) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"status_code": status_code, "message": message},
        status_code=status_code,
    )
