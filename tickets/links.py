"""Links to a ticket's status pages, the one place they are built; and signed links for
residents: a rating or answer link works for its own ticket only.

The token is an itsdangerous signature (keyed with settings.secret_key) of the ticket id and
the link's purpose; the page also checks that the token's ticket is the one in the URL.
"""

from __future__ import annotations

from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.errors import Forbidden
from core.settings import Settings, get_settings
from tickets.models import Ticket

SALT = "hotline.ticket-link"
MAX_AGE_SECONDS = 90 * 24 * 3600
PURPOSES = ("rate", "answer", "fixed")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key.get_secret_value(), salt=SALT)


def make_token(ticket: Ticket, purpose: str) -> str:
    assert purpose in PURPOSES and ticket.id is not None
    return _serializer().dumps({"t": ticket.id, "p": purpose})


def check_token(token: str, *, ticket: Ticket, purpose: str) -> None:
    """Raise Forbidden unless the token was made for this ticket and this purpose."""
    try:
        data = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired as error:
        raise Forbidden("This link has expired.") from error
    except BadSignature as error:
        raise Forbidden("This link is not valid for this report.") from error
    if not isinstance(data, dict) or data.get("t") != ticket.id or data.get("p") != purpose:
        raise Forbidden("This link is not valid for this report.")


def status_path(code: str, page: str = "", **query: str | int) -> str:
    """`/status/<code>[/<page>][?query]`: the status page, or its rate/answer/reopen page."""
    path = f"/status/{code}" + (f"/{page}" if page else "")
    return f"{path}?{urlencode(query)}" if query else path


def status_url(code: str, page: str = "", *, settings: Settings, **query: str | int) -> str:
    """The same link, absolute (settings.public_base_url), for messages sent to residents."""
    return settings.public_base_url.rstrip("/") + status_path(code, page, **query)


def signed_url(ticket: Ticket, purpose: str, *, settings: Settings) -> str:
    """The rate or answer page sent to the resident: signed for this ticket, in its language."""
    return status_url(
        ticket.code, purpose, settings=settings, t=make_token(ticket, purpose), lang=ticket.language
    )


def fixed_path(ticket: Ticket) -> str:
    """The "is it fixed?" page: fixed, not fixed (with the resident's words), stop asking."""
    return status_path(ticket.code, "fixed", t=make_token(ticket, "fixed"))
