"""Places operations: the province's official wards, and reading a place out of a text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from core.i18n import gettext
from core.settings import get_settings
from places import gazetteer as gazetteer_module
from places.gazetteer import Gazetteer, Ward
from places.models import PlaceCorrection, PlaceReading
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


# Farther than this from every ward centre, a point is outside the province: no ward.
MAX_CENTRE_DISTANCE_KM = 8.0


@dataclass(frozen=True)
class Located:
    """A report's place as found at the door: a ward (or none), candidates, how."""

    ward_code: str | None
    candidates: list[str]
    address: str | None
    confidence: float
    basis: str
    source: str  # text | coordinates


def locate(
    *,
    session: Session,
    text: str,
    address: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Located:
    """The ward of a report that came without one: the nearest ward centre to its coordinates
    (an approximation: no ward shapes are shipped), else the place read from its address and
    text; a split former ward's street is looked up in the corrections."""
    if latitude is not None and longitude is not None:
        ward = nearest_ward(lat=latitude, lon=longitude)
        if ward is not None and ward.lat is not None and ward.lon is not None and \
                gazetteer_module.distance_km(latitude, longitude, ward.lat, ward.lon) \
                <= MAX_CENTRE_DISTANCE_KM:
            return Located(ward.code, [ward.code], address, 0.6, "nearest_centre", "coordinates")
    combined = f"{address}. {text}" if address else text
    reading = read_report_place(session=session, text=combined)
    return Located(reading.ward_code, list(reading.candidates), reading.address,
                   reading.confidence, reading.basis, "text")


def remember_reading(
    *, session: Session, ticket_id: int, located: Located, new: bool = False
) -> PlaceReading:
    """Keep how a report's place was found (``new``: the report was just filed, no row yet)."""
    existing = None if new else session.get(PlaceReading, ticket_id)
    row = existing or PlaceReading(ticket_id=ticket_id, source="")
    row.source, row.ward_code = located.source, located.ward_code
    row.candidates, row.address = list(located.candidates), (located.address or None)
    if row.address:
        row.address = row.address[:300]
    row.confidence, row.basis = located.confidence, located.basis
    session.add(row)
    return row


def reading_of(*, session: Session, ticket_id: int) -> PlaceReading | None:
    return session.get(PlaceReading, ticket_id)


def ward_question(*, language: str, code: str) -> str:
    """The SMS that asks a resident for the ward of a report whose place could not be read."""
    return gettext(
        language,
        "Hotline 1022: which ward are you in? Reply with the ward (for example \"phường Bến "
        "Thành\" or \"phường 13, Phú Nhuận\") and we will add it to report %(code)s.",
        code=code,
    )


def ward_added(*, language: str, code: str, ward: str) -> str:
    return gettext(
        language, "Hotline 1022: thank you, %(ward)s was added to report %(code)s.",
        ward=ward, code=code,
    )
