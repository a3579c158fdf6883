"""The report a Zalo resident is writing: texts, a pin and photos gathered before filing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, text
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import JSONType, UTCDateTime


class DraftState(StrEnum):
    open = "open"
    filed = "filed"


class ZaloDraft(SQLModel, table=True):
    """One open draft per contact at most (a partial unique index); filed once."""

    __tablename__ = "zalo_draft"
    __table_args__ = (
        Index(
            "uq_zalo_draft_open_contact",
            "contact_id",
            unique=True,
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="zalo_contact.id")
    state: str = Field(default=DraftState.open, max_length=10)
    language: str = Field(default="vi", max_length=5)
    texts: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    # [{"url": ..., "msg_id": ...}] photos to fetch once the report is filed
    photos: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    latitude: float | None = None
    longitude: float | None = None
    emergency: bool = False
    inbound_ids: list[int] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    ticket_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), ForeignKey("ticket.id")),
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_message_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    filed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
