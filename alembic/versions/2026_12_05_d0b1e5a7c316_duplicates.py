"""duplicates: ticket embeddings and the candidate indexes

Revision ID: d0b1e5a7c316
Revises: c3d9e1f2a7b4
Create Date: 2026-12-05 09:40:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import core.db
from alembic import op

revision: str = 'd0b1e5a7c316'
down_revision: str | Sequence[str] | None = 'c3d9e1f2a7b4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'ticket_embedding',
        sa.Column('ticket_id', BIGINT, nullable=False),
        sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('ticket_id'),
    )
    op.create_index('ix_ticket_area_created', 'ticket', ['area_id', 'created_at'], unique=False)
    op.create_index('ix_ticket_lat_lon', 'ticket', ['latitude', 'longitude'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ticket_lat_lon', table_name='ticket')
    op.drop_index('ix_ticket_area_created', table_name='ticket')
    op.drop_table('ticket_embedding')
