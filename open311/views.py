"""The GeoReport v2 endpoints under /open311/v2/, each in .json and .xml.

Errors here are the spec's own documents (a list of {code, description}) in the requested
format, with 404 for what does not exist, 403 for a missing or wrong api_key and 400 for any
other bad input: `SpecRoute` turns the project's errors into them before the app-wide handler
(which answers {"error": ...}) would see them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute

from core.errors import (
    Forbidden,
    HotlineError,
    InvalidInput,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthorized,
)
from core.i18n import from_accept_language, gettext, normalize_language
from httpbase.deps import SessionDep, SettingsDep, get_app_settings
from httpbase.errors import describe_validation
from httpbase.throttle import check_lookups, limit_lookups
from open311 import documents
from open311 import service as open311_service

log = logging.getLogger(__name__)
PREFIX = "/open311/v2"


def request_language(request: Request) -> str:
    """`locale` (or `lang`), then the Accept-Language header, then the city's default."""
    default = get_app_settings(request).default_language
    for name in ("locale", "lang"):
        value = request.query_params.get(name)
        if value:
            return normalize_language(value, default=default)
    return from_accept_language(request.headers.get("accept-language"), default=default)


def spec_status(error: HotlineError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Forbidden | Unauthorized):
        return 403
    if isinstance(error, RateLimited | TooLarge):
        return error.status_code
    return 400


class SpecRoute(APIRoute):
    """Every error of an Open311 route becomes the spec's error document."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def spec_handler(request: Request) -> Response:
            fmt = documents.format_of_path(request.url.path)
            try:
                return await handler(request)
            except HotlineError as error:
                message = error.localized(request_language(request))
                return documents.errors(fmt, spec_status(error), [message])
            except RequestValidationError as error:
                message, _field = describe_validation(error)
                return documents.errors(fmt, 400, [message])

        return spec_handler


router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=SpecRoute)


def checked_format(fmt: str) -> str:
    value = fmt.lower()
    if value not in documents.FORMATS:
        raise NotFound("Unknown format %(value)s: use .json or .xml.", field="format", value=fmt)
    return value


def checked_jurisdiction(request: Request) -> None:
    open311_service.check_jurisdiction(
        request.query_params.get("jurisdiction_id"), settings=get_app_settings(request)
    )


Format = Annotated[str, Depends(checked_format)]
Language = Annotated[str, Depends(request_language)]
Jurisdiction = Depends(checked_jurisdiction)


async def form_fields(request: Request) -> dict[str, str]:
    """The POST's fields (form-encoded as the spec says, multipart or JSON too), then the query
    string's (some clients send api_key and jurisdiction_id there)."""
    fields: dict[str, str] = {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("not an object")
            fields = {str(k): str(v) for k, v in body.items() if v is not None}
        else:
            form = await request.form()
            fields = {key: value for key, value in form.items() if isinstance(value, str)}
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput("The request body could not be read as a form.") from error
    except Exception as error:  # a malformed multipart body
        log.info("unreadable Open311 request body: %s", error)
        raise InvalidInput("The request body could not be read as a form.") from error
    for key, value in request.query_params.items():
        fields.setdefault(key, value)
    return fields


@router.get("/discovery.{fmt}", summary="Service discovery document")
def discovery(fmt: Format, settings: SettingsDep, language: Language) -> Response:
    return documents.document(
        fmt, "discovery", open311_service.discovery(settings=settings, language=language)
    )


@router.get("/services.{fmt}", summary="GET Service List", dependencies=[Jurisdiction])
def services(fmt: Format, session: SessionDep, language: Language) -> Response:
    return documents.document(
        fmt, "services", open311_service.service_list(session=session, language=language)
    )


@router.get(
    "/services/{service_code}.{fmt}",
    summary="GET Service Definition",
    dependencies=[Jurisdiction],
)
def service_definition(
    service_code: str, fmt: Format, session: SessionDep, language: Language
) -> Response:
    definition = open311_service.service_definition(
        session=session, service_code=service_code, language=language
    )
    return documents.document(fmt, "service_definition", definition)


_TEXT = {"type": "string"}
POST_FIELDS: dict[str, Any] = {
    "type": "object",
    "required": ["api_key", "service_code"],
    "properties": {
        "api_key": {**_TEXT, "description": "The client's key (hotline open311 create-key)"},
        "jurisdiction_id": _TEXT,
        "service_code": {**_TEXT, "description": "From GET services"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "address_string": _TEXT,
        "address_id": {**_TEXT, "description": "A ward id"},
        "email": _TEXT,
        "device_id": _TEXT,
        "account_id": _TEXT,
        "first_name": _TEXT,
        "last_name": _TEXT,
        "phone": _TEXT,
        "description": {**_TEXT, "maxLength": 5000},
        "media_url": {**_TEXT, "format": "uri"},
    },
    "description": "A location is required: lat and long, address_string or address_id.",
}


@router.post(
    "/requests.{fmt}",
    summary="POST Service Request",
    dependencies=[Jurisdiction],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": POST_FIELDS},
                "application/json": {"schema": POST_FIELDS},
            },
        }
    },
)
def post_request(
    fmt: Format,
    fields: Annotated[dict[str, str], Depends(form_fields)],
    session: SessionDep,
    settings: SettingsDep,
    language: Language,
) -> Response:
    open311_service.check_jurisdiction(fields.get("jurisdiction_id"), settings=settings)
    client = open311_service.authenticate(session=session, api_key=fields.get("api_key"))
    filed = open311_service.file_request(
        session=session, fields=fields, client=client, settings=settings, language=language
    )
    session.commit()
    answer = [
        {
            "service_request_id": filed.ticket.code,
            "service_notice": filed.service_notice,
            "account_id": filed.account_id,
        }
    ]
    return documents.document(fmt, "service_requests", answer)


@router.get(
    "/requests.{fmt}",
    summary="GET Service Requests",
    description=(
        "Listing requests (by date, status or service_code) needs an `api_key`, so tracking "
        "codes cannot be collected by anyone. Without one, known requests are looked up by "
        "`service_request_id` (at most 10 at once, rate-limited per client)."
    ),
    dependencies=[Jurisdiction],
)
def list_requests(
    fmt: Format,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    language: Language,
) -> Response:
    params = dict(request.query_params)
    if params.get("api_key"):
        open311_service.authenticate(session=session, api_key=params["api_key"])
    else:
        check_lookups(request)
        open311_service.check_public_listing(params)
    query = open311_service.build_query(session=session, params=params, settings=settings)
    tickets = open311_service.find_requests(session=session, query=query)
    described = open311_service.describe_requests(
        session=session, tickets=tickets, language=language, settings=settings
    )
    return documents.document(fmt, "service_requests", described)


@router.get(
    "/requests/{service_request_id}.{fmt}",
    summary="GET Service Request",
    dependencies=[Jurisdiction, Depends(limit_lookups)],
)
def read_request(
    service_request_id: str,
    fmt: Format,
    session: SessionDep,
    settings: SettingsDep,
    language: Language,
) -> Response:
    ticket = open311_service.get_request(session=session, service_request_id=service_request_id)
    described = open311_service.describe_requests(
        session=session, tickets=[ticket], language=language, settings=settings
    )
    return documents.document(fmt, "service_requests", described)


@router.get(
    "/tokens/{token}.{fmt}",
    summary="GET service_request_id from a token",
    dependencies=[Jurisdiction, Depends(limit_lookups)],
)
def token(token: str, fmt: Format, session: SessionDep) -> Response:
    found = open311_service.token_request(session=session, token=token)
    return documents.document(fmt, "service_requests", [found])


@router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
def unknown_resource(rest: str, language: Language) -> Response:
    """Anything else under /open311/v2/ is a resource that does not exist (spec: 404)."""
    message = gettext(language, "No such Open311 resource: %(value)s.", value=rest)
    return documents.errors(documents.format_of_path(rest), 404, [message])


routers = [router]
