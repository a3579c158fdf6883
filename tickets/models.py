"""Ticket, its audit trail (TicketEvent), attachments and the raw inbound deliveries."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import JSONType, UTCDateTime

# BIGINT on PostgreSQL (10 million tickets and more); SQLite's rowid needs INTEGER
BigIntegerPK = BigInteger().with_variant(Integer(), "sqlite")


class Channel(StrEnum):
    web = "web"
    sms = "sms"
    phone = "phone"
    open311 = "open311"
    api = "api"
    zalo = "zalo"


class TicketState(StrEnum):
    received = "received"
    triage = "triage"
    routed = "routed"
    acknowledged = "acknowledged"
    in_progress = "in_progress"
    waiting_for_resident = "waiting_for_resident"
    resolved = "resolved"
    closed = "closed"
    rejected = "rejected"


class Outcome(StrEnum):
    """What a resolution says happened (the resident may still say otherwise)."""

    fixed = "fixed"
    not_responsible = "not_responsible"  # explained; a transfer is its own transition
    cannot_be_done = "cannot_be_done"
    scheduled = "scheduled"  # not a resolution: the work has a committed date (an open ticket)


class FixAnswer(StrEnum):
    """Where the "is it fixed?" question stands for the latest resolution."""

    asked = "asked"
    fixed = "fixed"
    not_fixed = "not_fixed"
    no_answer = "no_answer"


class ActorType(StrEnum):
    resident = "resident"
    staff = "staff"
    system = "system"


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


# Partial indexes that serve the deadline sweep (tickets.sweeps). Each holds only the tickets
# still waiting for that effect, so a sweep with nothing due reads empty ranges, and tickets
# already reminded or escalated cost nothing however many there are. The sweep's queries use
# these same predicates as literal SQL so that the planner can prove they fit.
_ACK_OPEN = "state = 'routed' AND ack_escalated_at IS NULL"
_RESOLVE_OPEN = (
    "state IN ('routed', 'acknowledged', 'in_progress') AND resolve_escalated_at IS NULL"
)
SWEEP_PREDICATES = {
    "ack_escalation": _ACK_OPEN,
    "resolve_escalation": _RESOLVE_OPEN,
    "ack_reminder": _ACK_OPEN + " AND ack_reminded_at IS NULL",
    "resolve_reminder": _RESOLVE_OPEN + " AND resolve_reminded_at IS NULL",
    "resolved": "state = 'resolved'",
}

# Duplicate candidates (tickets.duplicates): not merged, open or resolved (a closed or rejected
# ticket is never a candidate). Most of a year's tickets are closed, so the partial indexes
# hold a small share of the rows; the candidate query repeats this predicate as literal SQL so
# that PostgreSQL and SQLite can prove it fits.
CANDIDATE_PREDICATE = (
    "duplicate_of_id IS NULL AND state IN ('received', 'triage', 'routed', 'acknowledged', "
    "'in_progress', 'waiting_for_resident', 'resolved')"
)


def _partial_index(name: str, predicate: str, *columns: str) -> Index:
    return Index(
        name, *columns, postgresql_where=text(predicate), sqlite_where=text(predicate)
    )


class Ticket(SQLModel, table=True):
    __table_args__ = (
        Index("ix_ticket_agency_state_resolve_due", "agency_id", "state", "resolve_due_at"),
        Index("ix_ticket_state_ack_due", "state", "ack_due_at"),
        Index("ix_ticket_state_resolve_due", "state", "resolve_due_at"),
        Index("ix_ticket_created_at", "created_at"),
        Index("ix_ticket_category_created", "category_id", "created_at"),
        # duplicates (tickets.duplicates): the candidates of a report, by ward or by position
        _partial_index(
            "ix_ticket_candidate_area", CANDIDATE_PREDICATE, "area_id", "created_at"
        ),
        _partial_index(
            "ix_ticket_candidate_position", CANDIDATE_PREDICATE, "latitude", "longitude"
        ),
        # the estimate of time to fix: an agency's recent resolutions in a category (the
        # category first, so that the queue's agency lookups keep their own index)
        _partial_index(
            "ix_ticket_estimate",
            "resolved_at IS NOT NULL",
            "category_id",
            "agency_id",
            "resolved_at",
        ),
        _partial_index("ix_ticket_sweep_resolved", SWEEP_PREDICATES["resolved"], "resolved_at"),
        _partial_index(
            "ix_ticket_sweep_ack_escalation", SWEEP_PREDICATES["ack_escalation"], "ack_due_at"
        ),
        _partial_index(
            "ix_ticket_sweep_resolve_escalation",
            SWEEP_PREDICATES["resolve_escalation"],
            "resolve_due_at",
        ),
        _partial_index(
            "ix_ticket_sweep_ack_reminder",
            SWEEP_PREDICATES["ack_reminder"],
            "category_id",
            "ack_due_at",
        ),
        _partial_index(
            "ix_ticket_sweep_resolve_reminder",
            SWEEP_PREDICATES["resolve_reminder"],
            "category_id",
            "resolve_due_at",
        ),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigIntegerPK, primary_key=True, autoincrement=True),
    )
    code: str = Field(max_length=16, unique=True)
    channel: str = Field(max_length=16)
    language: str = Field(default="vi", max_length=8)
    state: str = Field(default=TicketState.received, max_length=32)

    description: str = Field(sa_column=Column(Text, nullable=False))
    address: str | None = Field(default=None, max_length=500)
    area_id: str | None = Field(default=None, foreign_key="area.id", max_length=64, index=True)
    latitude: float | None = None
    longitude: float | None = None

    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_phone: str | None = Field(default=None, max_length=20, index=True)
    reporter_email: str | None = Field(default=None, max_length=254)
    anonymous: bool = False

    category_id: str | None = Field(default=None, foreign_key="category.id", max_length=64)
    category_set_by: str | None = Field(default=None, max_length=16)  # model | staff | resident
    predicted_category_id: str | None = Field(default=None, max_length=64)
    confidence: float | None = None
    model_version: str | None = Field(default=None, max_length=100)
    requested_category_id: str | None = Field(default=None, max_length=64)
    urgent: bool = False
    emergency: bool = False

    agency_id: str | None = Field(default=None, foreign_key="agency.id", max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    routed_at: datetime | None = _ts()
    ack_due_at: datetime | None = _ts()
    acknowledged_at: datetime | None = _ts()
    resolve_due_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    paused_at: datetime | None = _ts()
    paused_seconds: int = 0
    ack_overdue: bool = False
    resolve_overdue: bool = False
    ack_reminded_at: datetime | None = _ts()
    ack_escalated_at: datetime | None = _ts()
    resolve_reminded_at: datetime | None = _ts()
    resolve_escalated_at: datetime | None = _ts()

    resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rating: int | None = None
    rated_at: datetime | None = _ts()
    reopen_count: int = 0
    transfer_count: int = 0
    duplicate_of_id: int | None = Field(default=None, foreign_key="ticket.id")

    # --- closing the loop (issue 17) ---
    outcome: str | None = Field(default=None, max_length=24)  # Outcome
    scheduled_for: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    fix_answer: str | None = Field(default=None, max_length=16)  # FixAnswer
    fix_asked_at: datetime | None = _ts()
    fix_answered_at: datetime | None = _ts()
    # times the resident said "not fixed": counts against the agency's fix rate for good
    not_fixed_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class TicketEvent(SQLModel, table=True):
    """One step of a ticket's life: who, when, what changed, from which state to which."""

    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_ticket_id_id", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    kind: str = Field(max_length=40)
    actor_type: str = Field(default=ActorType.system, max_length=16)
    actor_id: int | None = None
    actor_label: str | None = Field(default=None, max_length=200)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str | None = Field(default=None, max_length=32)
    public: bool = True
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(default="photo", max_length=20)  # photo | recording
    content_type: str = Field(max_length=100)
    size_bytes: int = 0
    sha256: str | None = Field(default=None, max_length=64)
    storage_path: str | None = Field(default=None, max_length=500)
    source_url: str | None = Field(default=None, max_length=1000)
    public: bool = False  # private until staff publish it (tickets.media)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class InboundMessage(SQLModel, table=True):
    """A raw delivery from a channel, kept as received; (channel, external_id) is unique."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=100)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class DossierProblem(StrEnum):
    late = "late"
    unofficial_fee = "unofficial_fee"
    repeated_documents = "repeated_documents"
    other = "other"


class SubmittedVia(StrEnum):
    in_person = "in_person"
    online = "online"
    post = "post"


class DossierComplaint(SQLModel, table=True):
    """What a complaint about an administrative procedure concerns: the service centre (the
    ticket's ward), the procedure, the dossier. Private: no public view reads this table, and
    the dossier code is masked wherever the resident's own words are published."""

    __tablename__ = "dossier_complaint"
    __table_args__ = (Index("ix_dossier_complaint_procedure", "procedure_id", "created_at"),)

    ticket_id: int = Field(
        sa_column=Column(BigIntegerPK, ForeignKey("ticket.id"), primary_key=True)
    )
    procedure_id: str = Field(foreign_key="admin_procedure.id", max_length=64)
    dossier_code: str | None = Field(default=None, max_length=40)
    submitted_on: date | None = None
    submitted_via: str = Field(default=SubmittedVia.in_person, max_length=16)
    problem: str = Field(default=DossierProblem.late, max_length=24)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class TicketEmbedding(SQLModel, table=True):
    """The sentence embedding of a ticket's description (float32 bytes, unit length), written
    by the worker after processing (tickets.duplicates); `model` names what made it."""

    __tablename__ = "ticket_embedding"

    ticket_id: int = Field(
        sa_column=Column(
            BigIntegerPK, ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True
        )
    )
    model: str = Field(max_length=64)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # the street and landmark keys of the description (tickets.duplicates.place_keys), one a
    # line: read with the vector, so that scoring 300 candidates tokenises none of them
    places: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
