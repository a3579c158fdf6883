"""Intake's HTTP doors: Twilio's webhooks (signature-checked) and the call-centre page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from httpbase.deps import SessionDep, SettingsDep
from intake import callcentre, delivery, sms, voice, zalo_views
from intake.twilio_auth import TwilioParams

TWIML = "application/xml"
twilio_router = APIRouter(prefix="/twilio", include_in_schema=False)


def twiml(xml: str) -> Response:
    return Response(content=xml, media_type=TWIML)


@twilio_router.post("/sms")
def sms_received(params: TwilioParams, session: SessionDep, settings: SettingsDep) -> Response:
    replies = sms.handle_incoming(session=session, params=params, settings=settings)
    session.commit()
    return twiml(sms.reply_twiml(replies))


@twilio_router.post("/sms/status")
def sms_status(params: TwilioParams, session: SessionDep) -> Response:
    delivery.record_delivery(session=session, params=params)
    session.commit()
    return Response(status_code=204)


@twilio_router.post("/voice")
def call_answered(params: TwilioParams, attempt: str | None = None) -> Response:
    return twiml(voice.greeting(attempt=voice.attempt_number(attempt)))


@twilio_router.post("/voice/language")
def language_chosen(params: TwilioParams, attempt: str | None = None) -> Response:
    return twiml(
        voice.language_chosen(digits=params.get("Digits"), attempt=voice.attempt_number(attempt))
    )


@twilio_router.post("/voice/speech")
def speech_received(
    params: TwilioParams, session: SessionDep, settings: SettingsDep, lang: str | None = None
) -> Response:
    answer = voice.speech_received(
        session=session, params=params, language=voice.call_language(lang), settings=settings
    )
    session.commit()
    return twiml(answer)


@twilio_router.post("/voice/ward")
def ward_received(
    params: TwilioParams, session: SessionDep, settings: SettingsDep, lang: str | None = None
) -> Response:
    answer = voice.ward_received(
        session=session, params=params, language=voice.call_language(lang), settings=settings
    )
    session.commit()
    return twiml(answer)


@twilio_router.post("/voice/recorded")
def recording_finished(
    params: TwilioParams, session: SessionDep, settings: SettingsDep, lang: str | None = None
) -> Response:
    answer = voice.recording_finished(
        session=session, params=params, language=voice.call_language(lang), settings=settings
    )
    session.commit()
    return twiml(answer)


@twilio_router.post("/voice/recording")
def recording_status(
    params: TwilioParams, session: SessionDep, settings: SettingsDep, lang: str | None = None
) -> Response:
    voice.recording_status(
        session=session, params=params, language=voice.call_language(lang), settings=settings
    )
    session.commit()
    return Response(status_code=204)


routers = [twilio_router, callcentre.router, *zalo_views.routers]
