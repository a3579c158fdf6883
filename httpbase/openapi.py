"""The OpenAPI document lists every answer a client can meet, so generated clients and fuzzers
(schemathesis runs in `make test`) see none as undocumented: 400 (a NUL byte, a malformed
body), 404, 413 (a body over MAX_REQUEST_BYTES), 422, 429 (rate limits) everywhere, and 401/403
where a token or an API key is needed."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
            "required": ["code", "message"],
        }
    },
}
SPEC_ERRORS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
EVERYWHERE = {
    "400": "Bad request: a character that is not allowed, or a body that cannot be read",
    "404": "Not found",
    "413": "The request body is too large",
    "422": "Invalid input",
    "429": "Too many requests from this client: wait and try again",
}
PROTECTED = {
    "401": "Missing or invalid API token",
    "403": "Not allowed (role, agency or API key)",
}
PROTECTED_PREFIXES = ("/api/v1/staff", "/api/v1/dashboard", "/open311/")


def _response(description: str, open311: bool) -> dict[str, Any]:
    schema = (
        {"$ref": "#/components/schemas/Open311Errors"}
        if open311
        else {"$ref": "#/components/schemas/Error"}
    )
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document_errors(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        schemas["Open311Errors"] = SPEC_ERRORS_SCHEMA
        for path, operations in schema.get("paths", {}).items():
            open311 = path.startswith("/open311/")
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                answers = dict(EVERYWHERE)
                if path.startswith(PROTECTED_PREFIXES):
                    answers.update(PROTECTED)
                for code, description in answers.items():
                    responses.setdefault(code, _response(description, open311))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
