"""Calls in: a greeting, a language choice, the complaint by speech (or a recording), a code.

    /twilio/voice             greeting, <Gather numDigits=1>: 1 Vietnamese, 2 English
    /twilio/voice/language    the key pressed; a wrong key or silence: one retry, then goodbye
    /twilio/voice/speech      <Gather input=speech> result; silence: a <Record> fallback
    /twilio/voice/recorded    the <Record> action: the message is filed while the caller listens
    /twilio/voice/recording   recordingStatusCallback: the recording link, also after a hang-up
    /twilio/voice/ward        the answer to "which ward?", asked when the words named none

The call becomes one ticket, filed under its CallSid (a retried webhook finds the same ticket);
each recording is kept once under its RecordingSid. The caller hears the tracking code read
character by character and receives it by SMS. All TwiML is built by the twilio library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from twilio.twiml.voice_response import VoiceResponse

from core.errors import InvalidInput
from core.i18n import gettext
from core.settings import Settings
from intake import emergency, filing, validation
from intake.sms import sender_phone
from places import service as places_service
from routing.models import Area
from tickets import service as tickets_service
from tickets import workflow
from tickets.models import Channel, InboundMessage, Ticket
from tickets.service import RESIDENT

VOICES = {
    "vi": {"voice": "Google.vi-VN-Standard-A", "language": "vi-VN"},
    "en": {"voice": "Polly.Joanna", "language": "en-US"},
}
SPEECH_LANGUAGES = {"vi": "vi-VN", "en": "en-US"}
DIGIT_LANGUAGES = {"1": "vi", "2": "en"}
MAX_ATTEMPTS = 2  # the first try and one retry
RECORD_SECONDS = 120
T = TypeVar("T")


def call_language(value: str | None) -> str:
    return value if value in VOICES else "vi"


def attempt_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), MAX_ATTEMPTS))
    except ValueError:
        return 1


def _say(node: Any, language: str, text: str) -> None:
    node.say(text, **VOICES[language])


def _goodbye(response: VoiceResponse, languages: tuple[str, ...]) -> str:
    for language in languages:
        _say(response, language, gettext(language, "Thank you for calling hotline 1022. Goodbye."))
    response.hangup()
    return str(response)


def spelled(code: str) -> str:
    """A tracking code for the ear: one character at a time, a pause between the two halves."""
    return ", ".join(code[:4]) + ". " + ", ".join(code[4:]) + "."


# --- the menu ---------------------------------------------------------------------------------


def greeting(*, attempt: int = 1) -> str:
    response = VoiceResponse()
    action = f"/twilio/voice/language?attempt={attempt}"
    gather = response.gather(num_digits=1, action=action, method="POST", timeout=6)
    if attempt == 1:
        _say(gather, "vi", gettext("vi", "Hello, this is the city hotline 1022."))
    _say(gather, "vi", gettext("vi", "For Vietnamese, press 1."))
    _say(gather, "en", gettext("en", "For English, press 2."))
    # no key at all: the same handler decides between a retry and goodbye
    response.redirect(action, method="POST")
    return str(response)


def language_chosen(*, digits: str | None, attempt: int) -> str:
    language = DIGIT_LANGUAGES.get((digits or "").strip())
    if language is not None:
        return speech_prompt(language=language)
    if attempt < MAX_ATTEMPTS:
        response = VoiceResponse()
        if digits:
            _say(response, "vi", gettext("vi", "Sorry, that key is not one of the choices."))
            _say(response, "en", gettext("en", "Sorry, that key is not one of the choices."))
        response.redirect(f"/twilio/voice?attempt={attempt + 1}", method="POST")
        return str(response)
    return _goodbye(VoiceResponse(), ("vi", "en"))


# --- the complaint -----------------------------------------------------------------------------


def _listen(response: VoiceResponse, *, language: str, action: str, prompt: str) -> str:
    """Say `prompt` and hear the caller's speech; the handler at `action` also gets silence."""
    gather = response.gather(
        input="speech",
        language=SPEECH_LANGUAGES[language],
        action=action,
        method="POST",
        timeout=6,
        speech_timeout="auto",
        action_on_empty_result=True,
    )
    _say(gather, language, prompt)
    response.redirect(action, method="POST")
    return str(response)


def speech_prompt(*, language: str) -> str:
    # silence: the handler offers the recording
    return _listen(
        VoiceResponse(),
        language=language,
        action=f"/twilio/voice/speech?lang={language}",
        prompt=gettext(
            language,
            "Please describe the problem and say where it is: the street, the house number "
            "or a landmark, and the ward. Speak after this message.",
        ),
    )


def record_prompt(*, language: str) -> str:
    response = VoiceResponse()
    _say(
        response,
        language,
        gettext(
            language,
            "We did not hear you. Please leave a message after the tone: describe the problem "
            "and where it is, then hang up or press the hash key.",
        ),
    )
    response.record(
        action=f"/twilio/voice/recorded?lang={language}",
        method="POST",
        timeout=5,
        finish_on_key="#",
        max_length=RECORD_SECONDS,
        play_beep=True,
        recording_status_callback=f"/twilio/voice/recording?lang={language}",
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    return _goodbye(response, (language,))  # reached only when nothing was recorded


def code_read_out(
    *, ticket: Ticket, language: str, emergency_kind: str | None, ask_ward: bool = False
) -> str:
    """The tracking code, twice; then, for a report whose words named no ward (never for an
    emergency), "which ward?" while the caller is still on the line."""
    response = VoiceResponse()
    if emergency_kind:
        _say(response, language, emergency.advice(language))
    _say(
        response,
        language,
        gettext(language, "Thank you. Your report was received. Your tracking code is:"),
    )
    response.pause(length=1)
    _say(response, language, spelled(ticket.code))
    _say(response, language, gettext(language, "Once more, your tracking code is:"))
    _say(response, language, spelled(ticket.code))
    _say(
        response,
        language,
        gettext(language, "We also send the code to you by text message, if your number allows."),
    )
    if ask_ward and not emergency_kind:  # silence: the handler says goodbye
        return _listen(
            response,
            language=language,
            action=f"/twilio/voice/ward?lang={language}",
            prompt=gettext(
                language,
                "Which ward or commune is it in? Say its name, for example phường Bến Thành, "
                "or the former ward and district. Or hang up if you do not know.",
            ),
        )
    return _goodbye(response, (language,))


# --- filing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    sid: str
    url: str
    seconds: int


def recording_from(params: dict[str, str]) -> Recording | None:
    url = (params.get("RecordingUrl") or "").strip()
    sid = (params.get("RecordingSid") or "").strip()
    try:
        seconds = int(params.get("RecordingDuration") or 0)
    except ValueError:
        seconds = 0
    if not url.startswith("https://") or not sid or len(sid) > 100 or seconds < 1:
        return None
    return Recording(sid=sid, url=url, seconds=seconds)


def call_sid(params: dict[str, str]) -> str:
    sid = (params.get("CallSid") or "").strip()
    if not sid or len(sid) > 100:
        raise InvalidInput("The call has no CallSid.", field="CallSid")
    return sid


def _once(session: Session, work: Callable[[], T], again: Callable[[], T]) -> T:
    """Run `work` in a savepoint; if a concurrent retry stored the same thing first, use that."""
    try:
        with session.begin_nested():
            return work()
    except IntegrityError:
        return again()


def file_call(
    *,
    session: Session,
    params: dict[str, str],
    language: str,
    transcript: str | None,
    recording: Recording | None,
    settings: Settings,
) -> tuple[Ticket, str | None]:
    """The call's ticket (filed once per CallSid), its recording, and the SMS with the code."""
    sid = call_sid(params)

    def existing() -> Ticket | None:
        return tickets_service.find_inbound_ticket(
            session=session, channel=Channel.phone, external_id=sid
        )

    def work() -> tuple[Ticket, str | None]:
        ticket = existing()
        kind = None
        if ticket is None:
            if transcript:
                description = transcript[: settings.max_description_chars]
            else:
                seconds = recording.seconds if recording else 0
                description = gettext(
                    language,
                    "Voice message of %(seconds)s seconds: listen to the recording attached.",
                    seconds=seconds,
                )
            filed = filing.file_report(
                session=session,
                report=tickets_service.NewReport(
                    description=description,
                    channel=Channel.phone,
                    language=language,
                    reporter_phone=sender_phone(params.get("From"), settings=settings),
                    external_id=sid,
                    raw_payload={"params": params, "transcript": transcript},
                ),
                # a recording without a transcript has no words to scan
                emergency_kind=filing.screen(transcript and description),
            )
            ticket, kind = filed.ticket, filed.emergency_kind
        if recording is not None:
            keep_recording(session=session, ticket=ticket, recording=recording)
        return ticket, kind

    def again() -> tuple[Ticket, str | None]:
        ticket = existing()
        if ticket is None:
            raise InvalidInput("The call could not be stored; please call again.")
        return ticket, None

    return _once(session, work, again)


def keep_recording(*, session: Session, ticket: Ticket, recording: Recording) -> None:
    """One attachment per RecordingSid, never public: a voice identifies the caller."""
    seen = session.execute(
        select(col(InboundMessage.id)).where(
            col(InboundMessage.channel) == Channel.phone,
            col(InboundMessage.external_id) == recording.sid,
        )
    ).first()
    if seen is not None:
        return
    attachment = tickets_service.add_attachment(
        session=session,
        ticket=ticket,
        attachment=tickets_service.NewAttachment(
            content_type="audio/mpeg",
            size_bytes=0,
            source_url=recording.url + ".mp3",
            kind="recording",
        ),
    )
    attachment.public = False
    session.add(attachment)
    session.add(
        InboundMessage(
            channel=Channel.phone,
            external_id=recording.sid,
            ticket_id=ticket.id,
            payload={"recording_url": recording.url, "seconds": recording.seconds},
        )
    )
    session.flush()


def speech_received(
    *, session: Session, params: dict[str, str], language: str, settings: Settings
) -> str:
    transcript = validation.clean_text(params.get("SpeechResult"))
    if not transcript:  # silence or nothing understood: the recording is the one retry
        return record_prompt(language=language)
    ticket, kind = file_call(
        session=session,
        params=params,
        language=language,
        transcript=transcript,
        recording=None,
        settings=settings,
    )
    return code_read_out(
        ticket=ticket, language=language, emergency_kind=kind, ask_ward=ticket.area_id is None
    )


def ward_received(
    *, session: Session, params: dict[str, str], language: str, settings: Settings
) -> str:
    """The caller's answer to "which ward?": a ward read in it is set on the call's ticket (and
    kept as a correction for the reader); other words are added to the report for the triage
    desk; silence ends the call. Only the same call (its CallSid) can answer."""
    ticket = tickets_service.find_inbound_ticket(
        session=session, channel=Channel.phone, external_id=call_sid(params)
    )
    said = validation.clean_text(params.get("SpeechResult"))
    response = VoiceResponse()
    if ticket is None or ticket.area_id is not None or not said:
        return _goodbye(response, (language,))
    said = said[:300]
    found = places_service.read_place(said)
    area = session.get(Area, found.ward_code) if found.ward_code else None
    if area is not None and area.active:
        workflow.set_place(session=session, ticket=ticket, area_id=area.id, actor=RESIDENT,
                           source="resident", message=said)
        name = area.name_vi if language == "vi" else area.name_en
        _say(response, language,
             gettext(language, "Thank you. %(ward)s was added to your report.", ward=name))
    else:
        workflow.take_answer(session=session, ticket=ticket, text=said, channel=Channel.phone)
        _say(response, language,
             gettext(language, "Thank you. Your answer was added to your report."))
    return _goodbye(response, (language,))


def recording_finished(
    *, session: Session, params: dict[str, str], language: str, settings: Settings
) -> str:
    """The <Record> action: file the message while the caller is still on the line."""
    recording = recording_from(params)
    if recording is None:
        return _goodbye(VoiceResponse(), (language,))
    ticket, kind = file_call(
        session=session,
        params=params,
        language=language,
        transcript=None,
        recording=recording,
        settings=settings,
    )
    return code_read_out(ticket=ticket, language=language, emergency_kind=kind)


def recording_status(
    *, session: Session, params: dict[str, str], language: str, settings: Settings
) -> str:
    """recordingStatusCallback: keep the recording; if the caller hung up first, file it now."""
    if (params.get("RecordingStatus") or "completed") != "completed":
        return "ignored"
    recording = recording_from(params)
    if recording is None:
        return "empty"
    file_call(
        session=session,
        params=params,
        language=language,
        transcript=None,
        recording=recording,
        settings=settings,
    )
    return "stored"
