"""Routing operations: load the default taxonomy, pick the agency for a category and place."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from places import service as places_service
from routing.models import Agency, Area, Category, Procedure, RoutingRule
from routing.taxonomy import (
    PROCEDURE_CATEGORY,
    TRIAGE_AGENCY,
    WARD_AGENCY,
    load_taxonomy,
)


def load_default_data(*, session: Session) -> dict[str, int]:
    """Insert or update the shipped taxonomy and the province's official wards (from
    ``places``: every ward and commune, the official code as id); running it twice changes
    nothing, and names renamed in the admin stay."""
    taxonomy = load_taxonomy()
    counts = {"agencies": 0, "categories": 0, "areas": 0, "procedures": 0}
    for row in taxonomy.agencies:
        agency = session.get(Agency, row["id"]) or Agency(id=row["id"], name_en="", name_vi="")
        agency.name_en, agency.name_vi = row["name_en"], row["name_vi"]
        session.add(agency)
        counts["agencies"] += 1
    session.flush()
    for row in taxonomy.categories:
        category = session.get(Category, row["id"])
        if category is None:
            category = Category(
                id=row["id"],
                name_en=row["name_en"],
                name_vi=row["name_vi"],
                default_agency_id=row["default_agency"],
                resolve_working_days=row["resolve_working_days"],
                acknowledge_hours=taxonomy.acknowledge_hours,
                urgent_resolve_hours=taxonomy.urgent_resolve_hours,
                fix_question_days=row.get("fix_question_days", 14),
                covers=row.get("covers", ""),
            )
        else:  # names follow the data file; deadlines and agency stay as the city set them
            category.name_en, category.name_vi = row["name_en"], row["name_vi"]
            category.covers = row.get("covers", "")
        session.add(category)
        counts["categories"] += 1
    for row in taxonomy.procedures:
        procedure = session.get(Procedure, row["id"])
        if procedure is None:  # processing times stay as the city set them in the admin
            procedure = Procedure(
                id=row["id"],
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                processing_working_days=row["processing_working_days"],
                agency_id=row.get("agency") or None,
                basis=row.get("basis", ""),
            )
            session.add(procedure)
        counts["procedures"] += 1
    for row in places_service.official_areas():
        area = session.get(Area, row["id"])
        if area is None:
            area = Area(id=row["id"], name_vi=row["name_vi"], name_en=row["name_en"])
        # names stay as the city set them in the admin; the rest follows the official list
        area.kind, area.former_district = row["kind"], row["former_district"]
        area.lat, area.lon = row["lat"], row["lon"]
        session.add(area)
        counts["areas"] += 1
    session.flush()
    return counts


def pick_agency(*, session: Session, category_id: str, area_id: str | None) -> str:
    """A rule for this category in this area, else for the category anywhere, else its default.

    The ward People's Committee needs a ward: without one the ticket goes to the triage desk.
    """
    rules = session.execute(
        select(col(RoutingRule.area_id), col(RoutingRule.agency_id)).where(
            col(RoutingRule.category_id) == category_id
        )
    ).all()
    by_area = {area: agency for area, agency in rules}
    if area_id is not None and area_id in by_area:
        agency_id = by_area[area_id]
    elif None in by_area:
        agency_id = by_area[None]
    else:
        category = session.get(Category, category_id)
        agency_id = category.default_agency_id if category else TRIAGE_AGENCY
    if agency_id == WARD_AGENCY and area_id is None:
        return TRIAGE_AGENCY
    return agency_id


def procedure_agency(*, session: Session, procedure: Procedure, area_id: str | None) -> str:
    """The department that decides the procedure, else the routing of administrative
    procedures in the centre's ward (a rule per ward, or the service centres' agency)."""
    if procedure.agency_id:
        return procedure.agency_id
    return pick_agency(session=session, category_id=PROCEDURE_CATEGORY, area_id=area_id)


def list_procedures(*, session: Session) -> list[Procedure]:
    return list(
        session.execute(
            select(Procedure).where(col(Procedure.active)).order_by(col(Procedure.name_vi))
        ).scalars()
    )


def list_areas(*, session: Session) -> list[Area]:
    return list(
        session.execute(select(Area).where(col(Area.active)).order_by(Area.name_vi)).scalars().all()
    )


def list_categories(*, session: Session) -> list[Category]:
    return list(
        session.execute(select(Category).where(col(Category.active)).order_by(Category.id))
        .scalars()
        .all()
    )
