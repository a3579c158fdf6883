"""One place turns errors into answers: JSON for the API, a page for people."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import HotlineError
from httpbase.deps import get_language
from httpbase.render import render_error

log = logging.getLogger(__name__)


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/open311/", "/twilio/")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_body(code: str, message: str, field: str | None = None) -> dict[str, object]:
    error: dict[str, object] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def _page(request: Request, status: int, message: str) -> Response:
    return render_error(request, status_code=status, message=message)


def describe_validation(error: RequestValidationError) -> tuple[str, str | None]:
    first = error.errors()[0] if error.errors() else {}
    location = [
        str(part) for part in first.get("loc", []) if part not in ("body", "query", "path", "form")
    ]
    field = ".".join(location) or None
    problem = first.get("msg", "invalid value")
    if first.get("type") == "missing":
        problem = "this field is required"
    return (f"{field}: {problem}" if field else str(problem)), field


def install(app: FastAPI) -> None:
    @app.exception_handler(HotlineError)
    async def hotline_error(request: Request, error: HotlineError) -> Response:
        message = error.localized(get_language(request))
        if wants_json(request):
            return JSONResponse(
                error_body(error.code, message, error.field), status_code=error.status_code
            )
        return _page(request, error.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        message, field = describe_validation(error)
        if wants_json(request):
            return JSONResponse(error_body("invalid_input", message, field), status_code=422)
        return _page(request, 422, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = str(error.detail)
        if 300 <= error.status_code < 400 and error.headers and not wants_json(request):
            return Response(status_code=error.status_code, headers=error.headers)  # log-in
        if wants_json(request):
            return JSONResponse(
                error_body(f"http_{error.status_code}", message),
                status_code=error.status_code,
                headers=error.headers,
            )
        return _page(request, error.status_code, message)
