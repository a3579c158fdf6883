"""contact codes: a resident proves the contact on file (one-time codes, hashed)

Revision ID: b7c41e0d9a13
Revises: d0b1e5a7c316
Create Date: 2026-12-05 08:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "b7c41e0d9a13"
down_revision: str | Sequence[str] | None = "d0b1e5a7c316"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_code")),
    )
    op.create_index(
        "ix_contact_code_ticket_created", "contact_code", ["ticket_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_contact_code_ticket_created", table_name="contact_code")
    op.drop_table("contact_code")
