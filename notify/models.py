"""Each outbound message is a row: its delivery state lives with it (sent once, retried safely)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import UTCDateTime


class MessageStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    undelivered = "undelivered"
    suppressed = "suppressed"  # opted out, or no contact to send to
    held = "held"  # Zalo: outside the messaging window, sent when the resident writes again


class OutboundMessage(SQLModel, table=True):
    __tablename__ = "outbound_message"
    __table_args__ = (
        # one message per ticket and purpose: a retried task or a second sweep sends nothing twice
        UniqueConstraint("ticket_id", "dedupe_key", name="uq_outbound_message_ticket_dedupe"),
        Index("ix_outbound_message_provider_id", "provider_id"),
        # Zalo messages held outside the messaging window, released when the resident writes
        Index(
            "ix_outbound_message_held",
            "recipient",
            postgresql_where=text("status = 'held'"),
            sqlite_where=text("status = 'held'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), index=True),
    )
    dedupe_key: str = Field(max_length=120)
    kind: str = Field(max_length=40)  # acknowledged, info_requested, resolved, reply ...
    channel: str = Field(max_length=10)  # sms, email, zalo
    recipient: str = Field(max_length=254)
    language: str = Field(default="vi", max_length=5)
    subject: str | None = Field(default=None, max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=MessageStatus.pending, max_length=20)
    backend: str | None = Field(default=None, max_length=20)
    provider_id: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    status_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class OptOut(SQLModel, table=True):
    """A phone number that texted STOP: no SMS is sent to it until it texts START."""

    __tablename__ = "opt_out"

    phone: str = Field(primary_key=True, max_length=20)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class QuestionOptOut(SQLModel, table=True):
    """A resident (phone, e-mail address or "zalo:<contact id>") who asked not to be asked
    "is it fixed?" again."""

    __tablename__ = "question_opt_out"

    contact: str = Field(primary_key=True, max_length=254)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


def as_dict(message: OutboundMessage) -> dict[str, Any]:
    return message.model_dump()


from notify.zalo_models import ZaloContact, ZaloTicket, ZaloToken  # noqa: E402,F401  (tables)


class ContactCode(SQLModel, table=True):
    """A one-time code sent to the contact on file, proving a resident is the reporter.

    Only a keyed hash of the code is kept (and the message that carried it is blanked once
    sent); it expires, allows a few attempts, and works once."""

    __tablename__ = "contact_code"
    __table_args__ = (Index("ix_contact_code_ticket_created", "ticket_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), nullable=False)
    )
    code_hash: str = Field(max_length=64)
    attempts: int = 0
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
