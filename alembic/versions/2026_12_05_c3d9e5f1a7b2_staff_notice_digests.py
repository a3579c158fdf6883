"""staff notices waiting for their digest (at most one e-mail per person per period)

Revision ID: c3d9e5f1a7b2
Revises: b7c41e0d9a13
Create Date: 2026-12-05 09:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.db

revision: str = "c3d9e5f1a7b2"
down_revision: str | Sequence[str] | None = "b7c41e0d9a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_notice")),
        sa.UniqueConstraint(
            "recipient", "dedupe_key", name="uq_staff_notice_recipient_dedupe"
        ),
    )
    op.create_index(
        "ix_staff_notice_pending", "staff_notice", ["recipient", "digest_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_staff_notice_pending", table_name="staff_notice")
    op.drop_table("staff_notice")
