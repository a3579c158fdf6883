"""zalo held messages index

Revision ID: b7d21c4e9a10
Revises: e468e44e9277
Create Date: 2026-12-05 08:10:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7d21c4e9a10'
down_revision: str | Sequence[str] | None = 'e468e44e9277'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Zalo messages held outside the messaging window are looked up by contact when they write
    op.create_index('ix_outbound_message_held', 'outbound_message', ['recipient'], unique=False,
                    postgresql_where=sa.text("status = 'held'"),
                    sqlite_where=sa.text("status = 'held'"))


def downgrade() -> None:
    op.drop_index('ix_outbound_message_held', table_name='outbound_message',
                  postgresql_where=sa.text("status = 'held'"),
                  sqlite_where=sa.text("status = 'held'"))
