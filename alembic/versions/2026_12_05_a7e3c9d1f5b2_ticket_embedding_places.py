"""duplicates: the place keys of a description stored beside its embedding

Scoring up to 300 candidates tokenised every candidate's description again (about 0.3 ms each,
100 ms for a page of candidates whose keys the process had not cached); the worker now stores
them once (`tickets.duplicates.place_keys`), `hotline duplicates backfill` fills older rows.

Revision ID: a7e3c9d1f5b2
Revises: f2a4c6e8b0d1
Create Date: 2026-12-05 11:10:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = 'a7e3c9d1f5b2'
down_revision: str | Sequence[str] | None = 'f2a4c6e8b0d1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_embedding') as batch:
        batch.add_column(sa.Column('places', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ticket_embedding') as batch:
        batch.drop_column('places')
