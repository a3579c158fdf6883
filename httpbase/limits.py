"""Request body size limit, enforced while the body streams in (Content-Length may lie).

A page may register what answers instead of the bare 413 (`too_large_page`): the report form
re-shows itself with what the resident typed. Other pages get the error page in their language,
the API its JSON error.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.i18n import gettext
from httpbase.deps import get_language
from httpbase.render import render_error

TooLargeHandler = Callable[[Scope, Receive, Send], Awaitable[None]]
# path -> handler for a POST to it whose declared body is over the limit
TOO_LARGE_PAGES: dict[str, TooLargeHandler] = {}
# what a too-large page reads at most to find the form's small fields (the rest is dropped)
MAX_SCAN_BYTES = 128 * 1024 * 1024
MAX_FIELD_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    pass


def too_large_page(path: str) -> Callable[[TooLargeHandler], TooLargeHandler]:
    def register(handler: TooLargeHandler) -> TooLargeHandler:
        TOO_LARGE_PAGES[path] = handler
        return handler

    return register


async def read_form_fields(request: Request, *, names: Iterable[str]) -> dict[str, str]:
    """The named small fields of a multipart body, streamed: file parts are skipped unread into
    memory, each field is cut at MAX_FIELD_BYTES, and at most MAX_SCAN_BYTES are read."""
    wanted = set(names)
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        return {}
    fields: dict[str, str] = {}
    current: dict[str, Any] = {"name": None, "file": False, "data": bytearray(), "header": b""}
    headers: dict[bytes, bytes] = {}

    def on_part_begin() -> None:
        headers.clear()
        current.update(name=None, file=False, data=bytearray(), header=b"")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        current["header"] = current["header"] + data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        key = current["header"].lower()
        headers[key] = headers.get(key, b"") + data[start:end]

    def on_header_end() -> None:
        current["header"] = b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(headers.get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        current["name"] = name if name in wanted else None
        current["file"] = b"filename" in disposition

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if current["name"] and not current["file"] and len(current["data"]) < MAX_FIELD_BYTES:
            current["data"] += data[start:end][: MAX_FIELD_BYTES - len(current["data"])]

    def on_part_end() -> None:
        if current["name"] and not current["file"]:
            fields[current["name"]] = bytes(current["data"]).decode("utf-8", "replace")

    parser = MultipartParser(
        boundary,
        {  # type: ignore[arg-type]
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    read = 0
    try:
        async for chunk in request.stream():
            read += len(chunk)
            if read > MAX_SCAN_BYTES:
                break
            parser.write(chunk)
    except Exception:  # a broken body: keep what was found
        pass
    return {key: value.replace("\x00", "") for key, value in fields.items()}


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            page = TOO_LARGE_PAGES.get(scope.get("path", ""))
            if page is not None and scope.get("method") == "POST" and _wants_page(scope):
                await page(scope, receive, send)
                return
            await self._refuse(scope, send)
            return
        received = 0
        started = False
        overflowed = False

        async def limited_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    overflowed = True
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if overflowed:
                # the body parser turned BodyTooLarge into its own 400 ("error parsing the
                # body"): the client gets the 413 instead, once
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._refuse(scope, send)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        limit_mb = self.max_bytes // 2**20
        if _wants_page(scope):
            request = Request(scope)
            message = gettext(
                get_language(request),
                "The request is too large (at most %(limit)s MB).",
                limit=limit_mb,
            )
            response = render_error(request, status_code=413, message=message)
            await response(scope, _no_body, send)
            return
        body: dict[str, Any] = {
            "error": {
                "code": "too_large",
                "message": f"The request is too large (at most {limit_mb} MB).",
            }
        }
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _wants_page(scope: Scope) -> bool:
    """A browser's request for a page (not the API, Open311 or a webhook)."""
    path = scope.get("path", "")
    if path.startswith(("/api/", "/open311/", "/twilio/", "/zalo/")):
        return False
    accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
    return "text/html" in accept
