"""The Open311 clients (apps, GIS tools, other cities' systems) allowed to file requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import UTCDateTime


class Open311Client(SQLModel, table=True):
    """One API key per client; only the key's SHA-256 is kept, the key itself is shown once."""

    __tablename__ = "open311_client"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    api_key_hash: str = Field(max_length=64, unique=True)
    active: bool = True
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
