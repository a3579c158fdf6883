"""Place corrections: what the reader read, and the ward a person said it is. Kept as data to
improve the reader (streets that decide split wards, texts for the evaluation set)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import JSONType, UTCDateTime


class PlaceCorrection(SQLModel, table=True):
    """One ward set or confirmed by a person (staff at triage, a resident answering "which
    ward?") for a report's text; ``ticket_id`` is a plain number so places depends on no room
    above it."""

    __tablename__ = "place_correction"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    ticket_id: int | None = Field(default=None, sa_column=Column(BigInteger, index=True))
    source: str = Field(max_length=20)  # staff | resident
    actor_id: int | None = None
    text: str = Field(sa_column=Column(Text, nullable=False))
    read_ward_code: str | None = Field(default=None, max_length=64)
    read_candidates: list[Any] = Field(default_factory=list, sa_column=Column(JSONType,
                                                                              nullable=False))
    ward_code: str = Field(max_length=64, index=True)
    street_key: str | None = Field(default=None, max_length=120, index=True)


class PlaceReading(SQLModel, table=True):
    """Where a report's place came from when the resident did not choose a ward: read from its
    text, or the nearest ward centre to its coordinates. One row per report; triage shows the
    candidates of a report whose ward is unknown."""

    __tablename__ = "place_reading"

    ticket_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    source: str = Field(max_length=20)  # text | coordinates
    ward_code: str | None = Field(default=None, max_length=64)
    candidates: list[Any] = Field(default_factory=list, sa_column=Column(JSONType,
                                                                         nullable=False))
    address: str | None = Field(default=None, max_length=300)
    confidence: float = 0.0
    basis: str = Field(default="none", max_length=20)
    # an SMS asked the resident for the ward (at most once per report)
    asked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
