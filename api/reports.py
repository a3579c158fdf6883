"""JSON API for residents' reports: file one, follow one, and ask the classifier."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from core.errors import InvalidInput
from httpbase.deps import LanguageDep, SessionDep, SettingsDep
from httpbase.throttle import ReportRateLimit
from intake import emergency
from intake import service as intake_service
from routing import service as routing_service
from tickets import public
from tickets import service as tickets_service

router = APIRouter(prefix="/api/v1", tags=["reports"])


class ReportCreate(BaseModel):
    description: str = Field(description="What is wrong, in the resident's words (1-5000 chars)")
    language: str | None = Field(default=None, description="'vi' or 'en'; default: the city's")
    area_id: str | None = Field(default=None, description="Ward id from GET /api/v1/areas")
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    name: str | None = None
    phone: str | None = Field(default=None, description="Any format; stored as E.164")
    email: str | None = None
    anonymous: bool = False
    category_id: str | None = Field(default=None, description="The resident's own choice, if any")
    photo_base64: str | None = Field(default=None, description="A photo, base64-encoded")


class TimelineEntry(BaseModel):
    at: datetime
    kind: str
    label: str
    state: str | None
    message: str | None


class ReportPublic(BaseModel):
    code: str
    display_code: str
    status_url: str
    state: str
    state_label: str
    description: str
    channel: str
    created_at: datetime
    updated_at: datetime
    area: str | None
    category_id: str | None
    category: str | None
    agency_id: str | None
    agency: str | None
    resolution: str | None
    resolved_at: datetime | None
    acknowledge_due_at: datetime | None
    resolve_due_at: datetime | None
    emergency: bool
    emergency_advice: str | None = None
    timeline: list[TimelineEntry]


def _public(request: Request, data: dict[str, Any], language: str, base_url: str) -> ReportPublic:
    data = {k: v for k, v in data.items() if k != "photos"}
    advice = emergency.advice(language) if data["emergency"] else None
    return ReportPublic(
        **data, status_url=f"{base_url}/status/{data['code']}", emergency_advice=advice
    )


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportPublic,
    summary="File a report",
    responses={422: {"description": "Invalid input"}},
)
def create_report(
    body: ReportCreate,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    _limit: ReportRateLimit,
) -> JSONResponse:
    photo = None
    if body.photo_base64:
        try:
            photo = base64.b64decode(body.photo_base64, validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidInput("photo_base64 is not valid base64.", field="photo_base64") from error
    form = intake_service.ReportInput(
        description=body.description,
        language=body.language or language,
        area_id=body.area_id,
        address=body.address,
        latitude=body.latitude,
        longitude=body.longitude,
        name=body.name,
        phone=body.phone,
        email=body.email,
        anonymous=body.anonymous,
        category_id=body.category_id,
        photo=photo,
    )
    submitted = intake_service.submit_report(
        session=session, form=form, settings=settings, channel="api"
    )
    ticket = submitted.ticket
    # the answer is built from what this transaction holds, before the commit expires it, so
    # filing a report costs one transaction and no read after it
    view = public.public_ticket(
        session=session, ticket=ticket, language=ticket.language, just_filed=True
    )
    session.commit()
    answer = _public(request, view.as_json(), ticket.language, settings.public_base_url)
    return JSONResponse(
        answer.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/v1/reports/{ticket.code}"},
    )


@router.get("/reports/{code}", response_model=ReportPublic, summary="Follow a report by code")
def read_report(
    code: str, request: Request, session: SessionDep, settings: SettingsDep, language: LanguageDep
) -> ReportPublic:
    ticket = tickets_service.get_by_code(session=session, code=code)
    view = public.public_ticket(session=session, ticket=ticket, language=language)
    return _public(request, view.as_json(), language, settings.public_base_url)


class AreaOut(BaseModel):
    id: str
    name_vi: str
    name_en: str
    kind: str


@router.get("/areas", response_model=list[AreaOut], summary="Wards and communes")
def list_areas(session: SessionDep) -> list[AreaOut]:
    return [
        AreaOut(id=a.id, name_vi=a.name_vi, name_en=a.name_en, kind=a.kind)
        for a in routing_service.list_areas(session=session)
    ]


class CategoryOut(BaseModel):
    id: str
    name_vi: str
    name_en: str
    default_agency_id: str


@router.get("/categories", response_model=list[CategoryOut], summary="Report categories")
def list_categories(session: SessionDep) -> list[CategoryOut]:
    return [
        CategoryOut(
            id=c.id, name_vi=c.name_vi, name_en=c.name_en, default_agency_id=c.default_agency_id
        )
        for c in routing_service.list_categories(session=session)
    ]
