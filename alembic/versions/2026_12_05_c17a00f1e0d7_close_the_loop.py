"""close the loop: outcomes, scheduled date, "is it fixed?" answers, question opt-outs, the
scoreboard's roll-up counts, the estimate index, the category's fix question delay

Revision ID: c17a00f1e0d7
Revises: b7d21c4e9a10
Create Date: 2026-12-05 08:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "c17a00f1e0d7"
down_revision: str | Sequence[str] | None = "b7d21c4e9a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLLUP_COUNTS = (
    "resolved_not_fixed",
    "scheduled",
    "fix_asked",
    "fix_confirmed",
    "fix_not_fixed",
    "fix_no_answer",
)


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("scheduled_for", sa.Date(), nullable=True))
        batch.add_column(sa.Column("fix_answer", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("fix_asked_at", core.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("fix_answered_at", core.db.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("not_fixed_count", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index(
        "ix_ticket_estimate",
        "ticket",
        ["category_id", "agency_id", "resolved_at"],
        unique=False,
        postgresql_where=sa.text("resolved_at IS NOT NULL"),
        sqlite_where=sa.text("resolved_at IS NOT NULL"),
    )
    with op.batch_alter_table("category") as batch:
        batch.add_column(
            sa.Column("fix_question_days", sa.Integer(), nullable=False, server_default="14")
        )
    with op.batch_alter_table("dashboard_daily") as batch:
        for name in ROLLUP_COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "question_opt_out",
        sa.Column("contact", sa.String(length=254), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("contact", name=op.f("pk_question_opt_out")),
    )


def downgrade() -> None:
    op.drop_table("question_opt_out")
    with op.batch_alter_table("dashboard_daily") as batch:
        for name in ROLLUP_COUNTS:
            batch.drop_column(name)
    with op.batch_alter_table("category") as batch:
        batch.drop_column("fix_question_days")
    op.drop_index(
        "ix_ticket_estimate",
        table_name="ticket",
        postgresql_where=sa.text("resolved_at IS NOT NULL"),
        sqlite_where=sa.text("resolved_at IS NOT NULL"),
    )
    with op.batch_alter_table("ticket") as batch:
        for name in ("not_fixed_count", "fix_answered_at", "fix_asked_at", "fix_answer",
                     "scheduled_for", "outcome"):
            batch.drop_column(name)
