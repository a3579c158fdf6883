"""Staff accounts and their server-side sessions (browser cookies and API tokens)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import UTCDateTime


class Role(StrEnum):
    agent = "agent"
    agency_head = "agency_head"
    triage_agent = "triage_agent"
    official = "official"
    admin = "admin"


ROLES = tuple(role.value for role in Role)
# roles that belong to one agency
AGENCY_ROLES = frozenset({Role.agent, Role.agency_head})


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    agency_id: str | None = Field(default=None, foreign_key="agency.id", max_length=64, index=True)
    language: str = Field(default="vi", max_length=8)
    active: bool = True
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class StaffSession(SQLModel, table=True):
    """A log-in: the cookie (or bearer token) holds a random token; only its SHA-256 is stored."""

    __tablename__ = "staff_session"
    __table_args__ = (Index("ix_staff_session_user_id", "user_id"),)

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id")
    kind: str = Field(default="browser", max_length=10)  # browser | api
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class StaffNotice(SQLModel, table=True):
    """One notice for one staff member or official, waiting for their next digest (at most one
    e-mail per person per `staff_digest_minutes`); `digest_id` is the message that carried it."""

    __tablename__ = "staff_notice"
    __table_args__ = (
        UniqueConstraint("recipient", "dedupe_key", name="uq_staff_notice_recipient_dedupe"),
        Index("ix_staff_notice_pending", "recipient", "digest_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=254)
    language: str = Field(default="vi", max_length=8)
    ticket_id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"))
    )
    dedupe_key: str = Field(max_length=120)
    kind: str = Field(max_length=40)
    line: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    digest_id: int | None = Field(default=None)
