"""Calls in: greeting, language, the complaint by speech or recording, the code read out."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import select

from notify import service as notify_service
from notify.models import OutboundMessage
from tests import factories
from tests.intake.helpers import (
    CALLER,
    MESSAGES_URL,
    call_params,
    caught_twilio,
    count,
    new_sid,
    parsed_twiml,
    signed_post,
    spoken,
    twilio_client,
    twilio_settings,
)
from tickets.models import Attachment, InboundMessage, Ticket, TicketEvent

TRANSCRIPTS = {
    "vi": "Cống thoát nước trước nhà số 18 đường Nguyễn Trãi bị nghẹt, nước tràn lên đường.",
    "en": "The drain in front of number 18 Nguyen Trai street is blocked and flooding the road.",
}
DIGITS = {"vi": "1", "en": "2"}
WARD_ANSWERS = {"vi": "phường Bến Thành", "en": "Ben Thanh ward"}
BEN_THANH = "26743"  # the official code of Phường Bến Thành
SPEECH_LANGUAGE = {"vi": "vi-VN", "en": "en-US"}


@pytest.fixture
def client(pg_session):
    with twilio_client(pg_session) as test_client:
        yield test_client


def follow(client, root, params) -> object:
    """Do what Twilio does next: post to the Gather's (or Redirect's) URL."""
    gather = root.find("Gather")
    action = gather.get("action") if gather is not None else root.find("Redirect").text
    return parsed_twiml(signed_post(client, action, params))


def spelled_code(ticket: Ticket) -> str:
    return ", ".join(ticket.code[:4]) + ". " + ", ".join(ticket.code[4:]) + "."


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_full_call_from_greeting_to_tracking_code(client, pg_session, language) -> None:
    call = new_sid("CA")
    greeting = parsed_twiml(signed_post(client, "/twilio/voice", call_params(call)))
    menu = greeting.find("Gather")
    assert menu.get("numDigits") == "1"
    assert {say.get("language") for say in menu.iter("Say")} == {"vi-VN", "en-US"}

    prompt = follow(client, greeting, call_params(call, Digits=DIGITS[language]))
    listening = prompt.find("Gather")
    assert listening.get("input") == "speech"
    assert listening.get("language") == SPEECH_LANGUAGE[language]
    assert listening.find("Say").get("language") == SPEECH_LANGUAGE[language]

    answer = follow(
        client, prompt, call_params(call, SpeechResult=TRANSCRIPTS[language], Confidence="0.9")
    )
    ticket = pg_session.execute(select(Ticket)).scalar_one()
    assert (ticket.channel, ticket.language) == ("phone", language)
    assert (ticket.description, ticket.reporter_phone) == (TRANSCRIPTS[language], CALLER)
    assert spelled_code(ticket) in spoken(answer)  # read out character by character
    # the words named a street in several wards, not one ward: "which ward?" on the same call
    asking = answer.find("Gather")
    assert asking is not None and asking.get("input") == "speech"
    assert asking.get("language") == SPEECH_LANGUAGE[language]
    assert ticket.area_id is None
    goodbye = follow(client, answer, call_params(call, SpeechResult=WARD_ANSWERS[language]))
    pg_session.refresh(ticket)
    assert ticket.area_id == BEN_THANH
    assert goodbye[-1].tag == "Hangup"

    factories.deliver_events(pg_session)  # the worker, after the commit
    sms = pg_session.execute(select(OutboundMessage)).scalar_one()
    assert (sms.kind, sms.recipient, sms.language) == ("received", CALLER, language)
    with caught_twilio() as caught:
        caught.add(responses.POST, MESSAGES_URL, json={"sid": "SM" + "d" * 32}, status=201)
        notify_service.deliver(session=pg_session, message_id=sms.id, settings=twilio_settings())
        sent = parse_qs(caught.calls[0].request.body)
    assert sent["To"] == [CALLER]
    assert f"{ticket.code[:4]}-{ticket.code[4:]}" in sent["Body"][0]


def test_a_retried_speech_webhook_files_one_ticket_and_one_sms(client, pg_session) -> None:
    call = new_sid("CA")
    params = call_params(call, SpeechResult=TRANSCRIPTS["vi"])
    first = parsed_twiml(signed_post(client, "/twilio/voice/speech?lang=vi", params))
    again = parsed_twiml(signed_post(client, "/twilio/voice/speech?lang=vi", params))
    assert spoken(first) == spoken(again)
    factories.deliver_events(pg_session)  # the worker, after the commit
    assert count(pg_session, Ticket) == 1 and count(pg_session, OutboundMessage) == 1


def test_an_unknown_key_gets_one_retry_then_a_polite_goodbye(client, pg_session) -> None:
    call = new_sid("CA")
    first = parsed_twiml(
        signed_post(client, "/twilio/voice/language?attempt=1", call_params(call, Digits="7"))
    )
    retry = follow(client, first, call_params(call))  # the menu again
    assert retry.find("Gather").get("numDigits") == "1"
    goodbye = follow(client, retry, call_params(call, Digits="9"))
    assert goodbye[-1].tag == "Hangup" and "Goodbye" in spoken(goodbye)
    assert count(pg_session, Ticket) == 0


def test_silence_at_the_menu_gets_one_retry_then_goodbye(client) -> None:
    call = new_sid("CA")
    greeting = parsed_twiml(signed_post(client, "/twilio/voice", call_params(call)))
    redirect = greeting.find("Redirect").text  # where Twilio goes when no key is pressed
    retry = parsed_twiml(signed_post(client, redirect, call_params(call)))
    retry_menu = follow(client, retry, call_params(call))
    assert retry_menu.find("Gather") is not None
    silence_again = parsed_twiml(signed_post(client, retry_menu.find("Redirect").text,
                                       call_params(call)))
    assert silence_again[-1].tag == "Hangup"


def test_silence_instead_of_speech_offers_a_recording(client, pg_session) -> None:
    call = new_sid("CA")
    offer = parsed_twiml(signed_post(client, "/twilio/voice/speech?lang=en", call_params(call)))
    record = offer.find("Record")
    assert record is not None and record.get("recordingStatusCallback").startswith(
        "/twilio/voice/recording"
    )
    assert offer[-1].tag == "Hangup"  # nothing recorded: goodbye
    assert count(pg_session, Ticket) == 0


def recording_params(call: str, recording: str, **extra: str) -> dict[str, str]:
    return call_params(
        call,
        RecordingSid=recording,
        RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/{recording}",
        RecordingDuration="23",
        **extra,
    )


def test_a_recording_becomes_a_ticket_with_a_private_recording_link(client, pg_session) -> None:
    call, recording = new_sid("CA"), new_sid("RE")
    params = recording_params(call, recording)
    answer = parsed_twiml(signed_post(client, "/twilio/voice/recorded?lang=vi", params))
    status = {k: v for k, v in params.items() if k not in ("From", "To", "CallStatus")}
    callback = signed_post(client, "/twilio/voice/recording?lang=vi",
                           {**status, "RecordingStatus": "completed"})
    assert callback.status_code == 204
    ticket = pg_session.execute(select(Ticket)).scalar_one()
    assert ticket.channel == "phone" and "23" in ticket.description
    assert spelled_code(ticket) in spoken(answer)
    attachment = pg_session.execute(select(Attachment)).scalar_one()  # once, not twice
    assert attachment.kind == "recording" and attachment.public is False
    assert attachment.source_url == params["RecordingUrl"] + ".mp3"
    factories.deliver_events(pg_session)  # the worker, after the commit
    assert count(pg_session, OutboundMessage) == 1


def test_a_caller_who_hangs_up_while_recording_is_still_filed(client, pg_session) -> None:
    call, recording = new_sid("CA"), new_sid("RE")
    params = {k: v for k, v in recording_params(call, recording).items() if k != "From"}
    for _ in range(2):  # a repeated callback keeps one ticket and one recording
        signed_post(client, "/twilio/voice/recording?lang=en",
                    {**params, "RecordingStatus": "completed"})
    ticket = pg_session.execute(select(Ticket)).scalar_one()
    assert ticket.language == "en" and ticket.channel == "phone"
    assert count(pg_session, Attachment) == 1
    assert pg_session.execute(
        select(InboundMessage.ticket_id).where(InboundMessage.external_id == recording)
    ).scalar_one() == ticket.id


def test_an_emergency_told_by_phone_is_answered_with_the_numbers_first(client, pg_session) -> None:
    params = call_params(new_sid("CA"), SpeechResult="Nhà số 5 Lê Lợi đang cháy, cứu với")
    answer = parsed_twiml(signed_post(client, "/twilio/voice/speech?lang=vi", params))
    first_words = answer.find("Say").text
    assert "113" in first_words and "114" in first_words and "115" in first_words
    assert pg_session.execute(select(Ticket)).scalar_one().emergency is True


def test_a_call_is_filed_once_on_both_databases(session) -> None:
    call = new_sid("CA")
    params = call_params(call, SpeechResult=TRANSCRIPTS["en"])
    with twilio_client(session) as test_client:
        first = parsed_twiml(signed_post(test_client, "/twilio/voice/speech?lang=en", params))
        again = parsed_twiml(signed_post(test_client, "/twilio/voice/speech?lang=en", params))
    # only this call's rows: SQLite's test isolation does not survive a route's commit
    tickets = session.execute(
        select(Ticket).join(InboundMessage, InboundMessage.ticket_id == Ticket.id)
        .where(InboundMessage.external_id == call)
    ).scalars().all()
    assert len(tickets) == 1
    assert spelled_code(tickets[0]) in spoken(first) and spoken(first) == spoken(again)
    factories.deliver_events(session)  # the worker, after the commit
    sms = session.execute(
        select(OutboundMessage).where(OutboundMessage.ticket_id == tickets[0].id)
    ).scalars().all()
    assert len(sms) == 1


def asked_for_the_ward(client, call: str, text: str) -> object:
    return parsed_twiml(
        signed_post(client, "/twilio/voice/speech?lang=vi", call_params(call, SpeechResult=text))
    )


def test_words_that_are_not_a_ward_join_the_report_for_the_triage_desk(client, pg_session) -> None:
    call = new_sid("CA")
    answer = asked_for_the_ward(client, call, TRANSCRIPTS["vi"])
    goodbye = follow(client, answer, call_params(call, SpeechResult="gần chợ, tôi không nhớ"))
    ticket = pg_session.execute(select(Ticket)).scalar_one()
    assert ticket.area_id is None and goodbye[-1].tag == "Hangup"
    kinds = [e.kind for e in pg_session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).scalars()]
    assert "info_received" in kinds and "place_set" not in kinds


def test_silence_after_which_ward_ends_the_call_and_changes_nothing(client, pg_session) -> None:
    call = new_sid("CA")
    answer = asked_for_the_ward(client, call, TRANSCRIPTS["vi"])
    events = count(pg_session, TicketEvent)
    goodbye = follow(client, answer, call_params(call))
    ticket = pg_session.execute(select(Ticket)).scalar_one()
    assert ticket.area_id is None and goodbye[-1].tag == "Hangup"
    assert count(pg_session, TicketEvent) == events


def test_only_the_same_call_can_give_the_ward(client, pg_session) -> None:
    answer = asked_for_the_ward(client, new_sid("CA"), TRANSCRIPTS["vi"])
    action = answer.find("Gather").get("action")
    other = parsed_twiml(signed_post(
        client, action, call_params(new_sid("CA"), SpeechResult="phường Bến Thành")))
    ticket = pg_session.execute(select(Ticket)).scalar_one()
    assert ticket.area_id is None and other[-1].tag == "Hangup"


def test_a_call_that_names_its_ward_or_an_emergency_is_not_asked(client, pg_session) -> None:
    named = asked_for_the_ward(
        client, new_sid("CA"), "Đèn đường hư trước chợ Bến Thành, phường Bến Thành."
    )
    assert named.find("Gather") is None and named[-1].tag == "Hangup"
    fire = asked_for_the_ward(client, new_sid("CA"), "Nhà đang cháy, có người mắc kẹt trên lầu!")
    assert fire.find("Gather") is None and fire[-1].tag == "Hangup"
