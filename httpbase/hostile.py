"""Hostile input refused at the door, once for every door: a NUL byte or a lone surrogate in
the path, the query string, a form or a JSON body is a 4xx in the caller's format and language,
never a 500 from the database.

Two pieces: `HostileInputGuard`, an ASGI middleware, looks at the path and the query string of
every request (pages, API, Open311, static files, the admin); `refuse_hostile_body`, a
dependency every route gets (create_app), looks at the parsed form or JSON body, so the error
goes through each door's own error handler (Open311 answers with the spec's error document).
Twilio's and Zalo's webhooks are exempt: their messages are kept with those characters stripped
(intake.twilio_auth, intake.zalo).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Receive, Scope, Send

from core.errors import InvalidInput
from core.hostile import has_hostile_characters, hostile_value

# channels whose messages are kept whatever they hold (they strip such characters themselves)
EXEMPT_PREFIXES = ("/twilio/", "/zalo/")
MESSAGE = (
    "The request contains a character that is not allowed (a NUL byte or a broken character)."
)
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refusal(field: str | None = None) -> InvalidInput:
    return InvalidInput(MESSAGE, field=field)


def hostile_query(query_string: bytes) -> bool:
    if b"\x00" in query_string:
        return True
    text = query_string.decode("latin-1")
    if "%00" not in text.lower():
        return False
    return any(
        has_hostile_characters(key) or has_hostile_characters(value)
        for key, value in parse_qsl(text, keep_blank_values=True)
    )


class HostileInputGuard:
    """Path and query string of every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or b""
        path_hostile = has_hostile_characters(scope.get("path", "")) or b"%00" in raw_path.lower()
        if path_hostile or hostile_query(scope.get("query_string") or b""):
            response = await _answer(scope)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _answer(scope: Scope):  # type: ignore[no-untyped-def]
    """The refusal as the door would give it: Open311's error document, JSON, or a page."""
    from fastapi.responses import JSONResponse, Response

    from httpbase.deps import get_language
    from httpbase.errors import error_body, wants_json
    from httpbase.render import render_error

    request = Request(scope)
    error = _refusal()
    path = scope.get("path", "")
    language = get_language(request) if "app" in scope else "vi"
    message = error.localized(language)
    if path.startswith("/open311/"):
        if ".xml" in path:
            body = (
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>400</code>"
                f"<description>{_xml(message)}</description></error></errors>"
            )
            return Response(body, status_code=400, media_type="text/xml")
        return JSONResponse([{"code": 400, "description": message}], status_code=400)
    if "app" not in scope or wants_json(request) or path.startswith(("/static/", "/admin")):
        return JSONResponse(error_body("bad_request", message), status_code=400)
    return render_error(request, status_code=400, message=message)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def refuse_hostile_body(request: Request) -> None:
    """Dependency for every route: the form fields or the JSON body."""
    if request.url.path.startswith(EXEMPT_PREFIXES) or request.method in ("GET", "HEAD"):
        return
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _FORMS:
        try:
            form = await request.form()
        except Exception:
            return  # an unreadable body is the route's to refuse
        for key, value in form.multi_items():
            if has_hostile_characters(key):
                raise _refusal()
            if isinstance(value, UploadFile):
                if value.filename and has_hostile_characters(value.filename):
                    raise _refusal(key)
            elif has_hostile_characters(value):
                raise _refusal(key)
    elif content_type == "application/json" or content_type.endswith("+json"):
        body = await request.body()
        if b"\x00" not in body and b"\\u" not in body:
            return  # no escape at all: nothing hostile can be in it
        try:
            data = json.loads(body)
        except ValueError:
            return  # invalid JSON is the route's to refuse
        if hostile_value(data):
            raise _refusal()
