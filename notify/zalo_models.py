"""Zalo's side of notify: who a Zalo resident is, which tickets they follow, the OA's tokens.

The Zalo user id is personal data: it lives only in `zalo_contact` (and in the raw inbound
payloads), never on a public page, in task arguments or in logs. Everything else refers to the
contact by its internal id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import UTCDateTime


class ZaloContact(SQLModel, table=True):
    """A Zalo user who wrote to (or followed) the Official Account."""

    __tablename__ = "zalo_contact"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=64, unique=True)  # the sender id Zalo gives for this OA
    language: str = Field(default="vi", max_length=5)
    following: bool = True
    opted_out: bool = False  # unfollowed: nothing is sent until they follow again
    # the customer-service messaging window is counted from the resident's last message
    last_inbound_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ZaloTicket(SQLModel, table=True):
    """A ticket filed on Zalo is followed there: its updates go to this contact."""

    __tablename__ = "zalo_ticket"

    ticket_id: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"),
            ForeignKey("ticket.id"),
            primary_key=True,
            autoincrement=False,
        )
    )
    contact_id: int = Field(foreign_key="zalo_contact.id", index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ZaloToken(SQLModel, table=True):
    """The OA's access and refresh tokens, Fernet-encrypted; one row (id 1)."""

    __tablename__ = "zalo_token"

    id: int = Field(default=1, primary_key=True)
    access_token: str = Field(sa_column=Column(Text, nullable=False))  # encrypted
    refresh_token: str = Field(sa_column=Column(Text, nullable=False))  # encrypted
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    refreshed_count: int = 0
    seeded_from: str = Field(default="", max_length=64)  # hash of the settings' refresh token
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
