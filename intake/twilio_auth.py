"""Twilio webhooks prove where they come from: X-Twilio-Signature, checked before anything else.

Twilio signs the URL it requested plus the POST parameters with the account's auth token. Behind
a proxy or a tunnel the URL this process sees (http://127.0.0.1:8000/...) is not the one Twilio
requested (https://hotline.example.org/...), so the URL is rebuilt from the public base URL
setting: settings.public_base_url + path + query.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from core import hostile
from core.errors import Forbidden
from core.settings import Settings
from httpbase.deps import get_app_settings

log = logging.getLogger(__name__)


def public_url(request: Request, settings: Settings) -> str:
    """The URL as Twilio requested it: the public base URL, this path and this query."""
    url = settings.public_base_url.rstrip("/") + request.url.path
    query = request.url.query
    return f"{url}?{query}" if query else url


def is_signed(
    *, url: str, params: FormData | dict[str, str], signature: str | None, auth_token: str,
    algorithm: str | None = None,
) -> bool:
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature, algorithm))


async def verified_params(request: Request) -> dict[str, str]:
    """Dependency: the webhook's POST parameters, once the signature proved they are Twilio's.

    Anything unsigned, wrongly signed, or arriving while no auth token is configured is refused
    with 403 before a single row is written.
    """
    settings = get_app_settings(request)
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    form = await request.form()
    signature = request.headers.get(SIGNATURE_HEADER)
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    url = public_url(request, settings)
    if not is_signed(
        url=url, params=form, signature=signature, auth_token=token, algorithm=algorithm
    ):
        log.warning("refused a Twilio webhook with a missing or bad signature for %s", url)
        raise Forbidden("This request does not carry a valid Twilio signature.")
    # Twilio's message must be kept whatever it holds: a NUL byte or a lone surrogate (which
    # the database cannot store) is dropped here, after the signature was checked on the raw
    # values, and the rest of the message is filed
    return {
        hostile.strip_hostile_characters(key): hostile.strip_hostile_characters(value)
        for key, value in form.items()
        if isinstance(value, str)
    }


TwilioParams = Annotated[dict[str, str], Depends(verified_params)]
