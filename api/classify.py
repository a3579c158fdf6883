"""POST /api/v1/classify: what the served model makes of a text (nothing is stored)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from core.errors import HotlineError
from httpbase.deps import SessionDep, SettingsDep
from intake import validation
from routing.models import Category
from tickets.classifier_port import load_classifier

router = APIRouter(prefix="/api/v1", tags=["classifier"])


class ModelUnavailable(HotlineError):
    status_code = 503
    code = "model_unavailable"


class ClassifyIn(BaseModel):
    text: str = Field(description="A complaint in Vietnamese or English")


class ClassifyOut(BaseModel):
    category: str
    agency: str | None
    confidence: float
    urgent: bool
    emergency: bool
    model_version: str
    needs_triage: bool


@router.post(
    "/classify",
    response_model=ClassifyOut,
    summary="Classify a complaint text",
    responses={503: {"description": "No classifier has been trained yet"}},
)
def classify_text(body: ClassifyIn, session: SessionDep, settings: SettingsDep) -> ClassifyOut:
    text = validation.description(body.text, max_chars=settings.max_description_chars)
    classifier = load_classifier()
    if classifier is None:
        raise ModelUnavailable("No classifier has been trained yet: run `hotline classify train`.")
    suggestion = classifier(text)
    if suggestion is None:
        raise ModelUnavailable("The classifier gave no answer.")
    category = session.get(Category, suggestion.category)
    return ClassifyOut(
        category=suggestion.category,
        agency=category.default_agency_id if category else None,
        confidence=round(suggestion.confidence, 4),
        urgent=suggestion.urgent,
        emergency=suggestion.emergency,
        model_version=suggestion.model_version,
        needs_triage=suggestion.category == "other" or suggestion.confidence < suggestion.threshold,
    )
