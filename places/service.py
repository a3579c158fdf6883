"""Places operations: the province's official wards, and reading a place out of a text."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from core.settings import get_settings
from places import gazetteer as gazetteer_module
from places.gazetteer import Gazetteer, Ward
from places.models import PlaceCorrection
from places.reader import PlaceReader, Reading


def province_code() -> int:
    return int(get_settings().places_province_code)


def gazetteer(code: int | None = None) -> Gazetteer:
    return gazetteer_module.load(code if code is not None else province_code())


@lru_cache(maxsize=4)
def _reader(code: int) -> PlaceReader:
    return PlaceReader(gazetteer_module.load(code))


def reader(code: int | None = None) -> PlaceReader:
    return _reader(code if code is not None else province_code())


def read_place(
    text: str, *, street_hints: Mapping[str, Mapping[str, int]] | None = None
) -> Reading:
    """Today's ward (or the candidates) named in ``text``; unknown when none is."""
    return reader().read(text, street_hints=street_hints)


def nearest_ward(*, lat: float, lon: float) -> Ward | None:
    """The ward whose centre is nearest to a point (no ward shapes are shipped)."""
    return gazetteer().nearest_ward(lat, lon)


def official_areas(code: int | None = None) -> list[dict[str, Any]]:
    """Every ward, commune and special zone of the province, with its official code as id."""
    return [
        {
            "id": ward.code,
            "name_vi": ward.name,
            "name_en": ward.name_en,
            "kind": ward.kind,
            "former_district": ", ".join(ward.former_districts)[:100] or None,
            "lat": ward.lat,
            "lon": ward.lon,
        }
        for ward in sorted(gazetteer(code).wards.values(), key=lambda w: w.code)
    ]


def official_code_for(*, name: str, former_district: str | None = None,
                      code: int | None = None) -> str | None:
    """The official code of an area known by name: today's ward of that name, else the one
    ward of today that a former ward of that name (in that former district) went to."""
    places = gazetteer(code)
    ward = places.ward_by_name(name)
    if ward is not None:
        return ward.code
    if not former_district:
        return None
    today = gazetteer_module.former_today(places, f"{name}, {former_district}")
    return today[0] if len(today) == 1 else None


def street_confirmations(*, session: Session, street: str) -> dict[str, int]:
    """How many times people confirmed each ward for a street (from place corrections)."""
    rows = session.execute(
        select(col(PlaceCorrection.ward_code), func.count())
        .where(col(PlaceCorrection.street_key) == street)
        .group_by(col(PlaceCorrection.ward_code))
    ).all()
    return {str(code): int(count) for code, count in rows}


def read_report_place(*, session: Session, text: str) -> Reading:
    """Read a report's place; a split former ward asks the corrections about its street."""
    reading = read_place(text)
    if reading.ward_code is None and len(reading.candidates) > 1 and reading.street:
        confirmations = street_confirmations(session=session, street=reading.street)
        if confirmations:
            reading = read_place(text, street_hints={reading.street: confirmations})
    return reading


def record_correction(
    *,
    session: Session,
    text: str,
    ward_code: str,
    source: str,
    ticket_id: int | None = None,
    actor_id: int | None = None,
) -> PlaceCorrection:
    """Keep a ward a person set or confirmed for a text, beside what the reader read in it."""
    reading = read_place(text)
    correction = PlaceCorrection(
        ticket_id=ticket_id,
        source=source,
        actor_id=actor_id,
        text=text,
        read_ward_code=reading.ward_code,
        read_candidates=list(reading.candidates),
        ward_code=ward_code,
        street_key=(reading.street or None) and reading.street[:120],
    )
    session.add(correction)
    session.flush()
    return correction
