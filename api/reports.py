"""JSON API for residents' reports: file one, follow one, and ask the classifier."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Any, get_type_hints

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, create_model

from core.errors import InvalidInput
from core.settings import Settings
from httpbase.deps import LanguageDep, SessionDep, SettingsDep
from httpbase.throttle import LookupRateLimit, ReportRateLimit
from intake import emergency
from intake import service as intake_service
from routing import service as routing_service
from tickets import links, public
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


def _report_fields() -> dict[str, Any]:
    """The public view's fields (tickets.public.PublicTicket, the one definition of what anyone
    may see of a ticket) less the photo ids, plus the absolute status link and the emergency
    advice, in the order clients have always had them."""
    hints = get_type_hints(public.PublicTicket)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(public.PublicTicket):
        if field.name == "photos":
            continue
        if field.name == "state":
            fields["status_url"] = (str, ...)
        if field.name == "timeline":
            fields["emergency_advice"] = (str | None, None)
        fields[field.name] = (hints[field.name], ...)
    return fields


ReportPublic = create_model("ReportPublic", **_report_fields())


def _public(view: public.PublicTicket, language: str, settings: Settings) -> BaseModel:
    data = {k: v for k, v in view.as_json().items() if k != "photos"}
    advice = emergency.advice(language) if view.emergency else None
    return ReportPublic(
        **data,
        status_url=links.status_url(view.code, settings=settings),
        emergency_advice=advice,
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
    answer = _public(view, ticket.language, settings)
    return JSONResponse(
        answer.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/v1/reports/{ticket.code}"},
    )


@router.get("/reports/{code}", response_model=ReportPublic, summary="Follow a report by code")
def read_report(
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    language: LanguageDep,
    _limit: LookupRateLimit,
) -> BaseModel:
    ticket = tickets_service.get_by_code(session=session, code=code)
    view = public.public_ticket(session=session, ticket=ticket, language=language)
    return _public(view, language, settings)


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
