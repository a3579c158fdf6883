"""Webhooks are believed only when Twilio's signature matches: anything else is 403, no rows."""

from __future__ import annotations

from tests.intake.helpers import (
    BASE_URL,
    count,
    sign,
    signed_post,
    sms_params,
    twilio_client,
)
from tickets.models import InboundMessage, Ticket

REPORT = "Đèn đường hẻm 42 Lý Tự Trọng tắt cả tuần nay."


def test_an_unsigned_sms_is_refused_and_nothing_is_stored(pg_session) -> None:
    with twilio_client(pg_session) as client:
        answer = client.post("/twilio/sms", data=sms_params(REPORT))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert count(pg_session, Ticket) == 0 and count(pg_session, InboundMessage) == 0


def test_an_sms_signed_with_another_token_is_refused(pg_session) -> None:
    with twilio_client(pg_session) as client:
        answer = signed_post(client, "/twilio/sms", sms_params(REPORT), token="not-our-token")
    assert answer.status_code == 403
    assert count(pg_session, Ticket) == 0 and count(pg_session, InboundMessage) == 0


def test_parameters_changed_after_signing_are_refused(pg_session) -> None:
    params = sms_params(REPORT)
    signature = sign(BASE_URL + "/twilio/sms", params)
    with twilio_client(pg_session) as client:
        answer = client.post(
            "/twilio/sms",
            data={**params, "From": "+84987654321"},
            headers={"X-Twilio-Signature": signature},
        )
    assert answer.status_code == 403
    assert count(pg_session, Ticket) == 0


def test_every_voice_callback_is_signature_checked(pg_session) -> None:
    paths = ["/twilio/voice", "/twilio/voice/language?attempt=1", "/twilio/voice/speech?lang=vi",
             "/twilio/voice/recorded?lang=vi", "/twilio/voice/recording?lang=vi",
             "/twilio/sms/status"]
    with twilio_client(pg_session) as client:
        codes = {path: client.post(path, data={"CallSid": "CA1"}).status_code for path in paths}
    assert codes == dict.fromkeys(paths, 403)
    assert count(pg_session, Ticket) == 0 and count(pg_session, InboundMessage) == 0


def test_behind_a_proxy_the_public_url_is_the_one_checked(pg_session) -> None:
    public = "https://hotline.example.org"
    with twilio_client(pg_session, public_base_url=public) as client:
        as_seen_locally = signed_post(client, "/twilio/sms", sms_params(REPORT))
        as_twilio_saw_it = signed_post(
            client, "/twilio/sms", sms_params(REPORT), base_url=public
        )
    assert as_seen_locally.status_code == 403
    assert as_twilio_saw_it.status_code == 200
    assert count(pg_session, Ticket) == 1


def test_without_an_auth_token_every_webhook_is_refused(pg_session) -> None:
    with twilio_client(pg_session, twilio_auth_token=None) as client:
        answer = signed_post(client, "/twilio/sms", sms_params(REPORT))
    assert answer.status_code == 403
    assert count(pg_session, Ticket) == 0
