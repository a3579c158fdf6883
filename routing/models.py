"""Agencies, categories, areas (wards) and routing rules: routing is data."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class AgencyBase(SQLModel):
    name_en: str = Field(max_length=200)
    name_vi: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    active: bool = True


class Agency(AgencyBase, table=True):
    id: str = Field(primary_key=True, max_length=64)


class CategoryBase(SQLModel):
    name_en: str = Field(max_length=200)
    name_vi: str = Field(max_length=200)
    covers: str = Field(default="", max_length=1000)
    resolve_working_days: int = Field(ge=1, le=365)
    acknowledge_hours: int = Field(default=24, ge=1, le=720)
    urgent_resolve_hours: int = Field(default=24, ge=1, le=720)
    # days after a resolution before the resident is asked "is it fixed?"
    fix_question_days: int = Field(default=14, ge=1, le=90)
    active: bool = True


class Category(CategoryBase, table=True):
    id: str = Field(primary_key=True, max_length=64)
    default_agency_id: str = Field(foreign_key="agency.id", max_length=64)


class Area(SQLModel, table=True):
    """A ward, commune or special zone: the official code is the id (``places`` loads them);
    an area a deployment adds in the admin takes any other id."""

    id: str = Field(primary_key=True, max_length=64)
    name_vi: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    kind: str = Field(default="ward", max_length=20)
    former_district: str | None = Field(default=None, max_length=100)
    active: bool = True
    # the ward's centre (vietnamadminunits); no shapes: a point maps to the nearest centre
    lat: float | None = None
    lon: float | None = None


class RoutingRule(SQLModel, table=True):
    """A category in an area (or anywhere, area NULL) goes to an agency."""

    __tablename__ = "routing_rule"

    id: int | None = Field(default=None, primary_key=True)
    category_id: str = Field(foreign_key="category.id", index=True, max_length=64)
    area_id: str | None = Field(default=None, foreign_key="area.id", max_length=64)
    agency_id: str = Field(foreign_key="agency.id", max_length=64)
    note: str | None = Field(default=None, max_length=500)


class Procedure(SQLModel, table=True):
    """An administrative procedure residents file dossiers for, with its legal processing time
    (working days); `agency_id` None means the ward's service centre decides it."""

    __tablename__ = "admin_procedure"

    id: str = Field(primary_key=True, max_length=64)
    name_vi: str = Field(max_length=300)
    name_en: str = Field(max_length=300)
    processing_working_days: int = Field(ge=1, le=365)
    agency_id: str | None = Field(default=None, foreign_key="agency.id", max_length=64)
    basis: str = Field(default="", max_length=300)
    active: bool = True

    def __str__(self) -> str:
        return self.name_vi
