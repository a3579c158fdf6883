"""One error base class: services raise these; one handler turns them into HTTP answers."""

from __future__ import annotations

from core.i18n import gettext


class HotlineError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **values: object) -> None:
        """`message` is an English catalog key with %(name)s placeholders filled from values."""
        if field is not None and "%(field)s" in message:  # the field's name is a value too
            values = {"field": field, **values}
        self.template = message
        self.values = values
        self.message = message % values if values else message
        self.field = field
        super().__init__(self.message)

    def localized(self, language: str) -> str:
        return gettext(language, self.template, **self.values)


class InvalidInput(HotlineError):
    status_code = 422
    code = "invalid_input"


class NotFound(HotlineError):
    status_code = 404
    code = "not_found"


class Forbidden(HotlineError):
    status_code = 403
    code = "forbidden"


class Unauthorized(HotlineError):
    status_code = 401
    code = "unauthorized"


class Conflict(HotlineError):
    status_code = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class TooLarge(HotlineError):
    status_code = 413
    code = "too_large"


class RateLimited(HotlineError):
    status_code = 429
    code = "rate_limited"
