"""The signature check's own rules, stated one by one (tests/intake/test_twilio_auth.py goes
through the webhooks): the URL Twilio signed is rebuilt from the public base URL with the query
string; the algorithm Twilio names in its signature-settings header is the one checked; without
an auth token nothing is believed; the refusal names its reason."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from twilio.request_validator import (
    HMAC_SHA256,
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
)

from core.settings import get_settings
from intake import twilio_auth
from tests.intake.helpers import AUTH_TOKEN, BASE_URL, count, sms_params, twilio_client
from tickets.models import Ticket

REPORT = "Đèn đường hẻm 42 Lý Tự Trọng tắt cả tuần nay."


def request_for(path: str, query: str = "") -> Request:
    scope: dict[str, Any] = {
        "type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
        "query_string": query.encode(), "headers": [], "scheme": "http",
        "server": ("127.0.0.1", 8000),
    }
    return Request(scope)


def test_the_signed_url_is_the_public_one_with_its_query() -> None:
    settings = get_settings().model_copy(
        update={"public_base_url": "https://hotline.example.org/"}
    )
    assert twilio_auth.public_url(request_for("/twilio/voice", "lang=vi&step=2"), settings) == (
        "https://hotline.example.org/twilio/voice?lang=vi&step=2"
    )
    assert twilio_auth.public_url(request_for("/twilio/sms"), settings) == (
        "https://hotline.example.org/twilio/sms"
    )


def test_a_webhook_with_a_query_string_is_believed_only_with_it_signed(pg_session) -> None:
    params = sms_params(REPORT)
    path = "/twilio/sms?lang=en"
    validator = RequestValidator(AUTH_TOKEN)
    with twilio_client(pg_session) as client:
        without_query = validator.compute_signature(BASE_URL + "/twilio/sms", params)
        refused = client.post(path, data=params, headers={SIGNATURE_HEADER: without_query})
        assert refused.status_code == 403
        signed = validator.compute_signature(BASE_URL + path, params)
        accepted = client.post(path, data=params, headers={SIGNATURE_HEADER: signed})
    assert accepted.status_code == 200, accepted.text
    assert count(pg_session, Ticket) == 1


def test_the_algorithm_named_by_twilio_is_the_one_checked(pg_session) -> None:
    params = sms_params(REPORT)
    url = BASE_URL + "/twilio/sms"
    sha256 = RequestValidator(AUTH_TOKEN).compute_signature(url, params, HMAC_SHA256)
    settings_header = f"key=webhooks_sharedkey_1,algorithm={HMAC_SHA256}"
    with twilio_client(pg_session) as client:
        # a SHA-256 signature announced as such is believed
        answer = client.post("/twilio/sms", data=params, headers={
            SIGNATURE_HEADER: sha256, SIGNATURE_SETTINGS_HEADER: settings_header})
        assert answer.status_code == 200, answer.text
        # the same signature without the announcement is checked as SHA-1, and refused
        again = sms_params(REPORT)
        sha256_again = RequestValidator(AUTH_TOKEN).compute_signature(url, again, HMAC_SHA256)
        refused = client.post("/twilio/sms", data=again, headers={SIGNATURE_HEADER: sha256_again})
        assert refused.status_code == 403
    assert count(pg_session, Ticket) == 1


def test_is_signed_checks_with_the_given_algorithm() -> None:
    params = {"Body": "x", "From": "+84903123456"}
    url = "https://hotline.example.org/twilio/sms"
    sha256 = RequestValidator(AUTH_TOKEN).compute_signature(url, params, HMAC_SHA256)
    assert twilio_auth.is_signed(url=url, params=params, signature=sha256,
                                 auth_token=AUTH_TOKEN, algorithm=HMAC_SHA256)
    assert not twilio_auth.is_signed(url=url, params=params, signature=sha256,
                                     auth_token=AUTH_TOKEN)


def test_without_an_auth_token_nothing_is_believed() -> None:
    params = {"Body": "x"}
    url = "https://hotline.example.org/twilio/sms"
    for token in ("", "XXXX"):  # signed with an empty key, or with any guessable one
        signature = RequestValidator(token).compute_signature(url, params)
        assert not twilio_auth.is_signed(url=url, params=params, signature=signature,
                                         auth_token="")
    assert not twilio_auth.is_signed(url=url, params=params, signature=None,
                                     auth_token=AUTH_TOKEN)


def test_an_unconfigured_account_refuses_every_webhook(pg_session) -> None:
    from tests.conftest import make_client

    params = sms_params(REPORT)
    for token in ("", "XXXX", AUTH_TOKEN):
        signature = RequestValidator(token).compute_signature(BASE_URL + "/twilio/sms", params)
        with make_client(pg_session, twilio_auth_token=None) as client:
            answer = client.post("/twilio/sms", data=params, headers={SIGNATURE_HEADER: signature})
        assert answer.status_code == 403, token
    assert count(pg_session, Ticket) == 0


def test_the_refusal_says_why(pg_session) -> None:
    with twilio_client(pg_session) as client:
        answer = client.post("/twilio/sms", data=sms_params(REPORT), params={"lang": "en"})
    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == (
        "This request does not carry a valid Twilio signature."
    )
