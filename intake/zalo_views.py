"""POST /zalo/webhook: verify, keep once, queue, answer 200. 404 while the channel is off."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from core.errors import HotlineError, NotFound
from core.settings import Settings
from httpbase.deps import SessionDep, SettingsDep, get_language
from httpbase.errors import error_body
from intake import zalo, zalo_auth

log = logging.getLogger(__name__)
router = APIRouter(prefix="/zalo", include_in_schema=False)


def _refusal(request: Request, error: HotlineError) -> Response:
    message = error.localized(get_language(request))
    return JSONResponse(error_body(error.code, message, error.field),
                        status_code=error.status_code)


@router.post("/webhook")
async def webhook(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    if not settings.zalo_enabled:
        return _refusal(request, NotFound("The Zalo channel is not enabled."))
    try:
        body = await zalo_auth.read_body(request, max_bytes=settings.zalo_max_body_bytes)
        event = zalo_auth.verified_event(
            body=body,
            signature_header=request.headers.get(zalo_auth.SIGNATURE_HEADER),
            settings=settings,
        )
    except HotlineError as error:
        return _refusal(request, error)
    outcome = await run_in_threadpool(_keep, session, event, body, settings)
    return JSONResponse({"status": outcome})


def _keep(session: Session, event: dict, body: bytes, settings: Settings) -> str:
    outcome = zalo.receive(session=session, event=event, body=body, settings=settings)
    session.commit()  # the event task is handed over after this commit
    return outcome


routers = [router]
