"""duplicates: partial candidate indexes (open or resolved, not merged)

The candidate filter of tickets.duplicates read the whole (area_id, created_at) and
(latitude, longitude) indexes; at 1 M tickets most are closed, and the position index
visited every ticket of the year inside the box. The partial indexes hold only tickets that can
be candidates (tickets.models.CANDIDATE_PREDICATE).

Revision ID: e91c0a6d2b57
Revises: d0b1e5a7c316
Create Date: 2026-12-05 10:50:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = 'e91c0a6d2b57'
down_revision: str | Sequence[str] | None = 'd0b1e5a7c316'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREDICATE = (
    "duplicate_of_id IS NULL AND state IN ('received', 'triage', 'routed', 'acknowledged', "
    "'in_progress', 'waiting_for_resident', 'resolved')"
)


def upgrade() -> None:
    op.drop_index('ix_ticket_area_created', table_name='ticket')
    op.drop_index('ix_ticket_lat_lon', table_name='ticket')
    op.create_index('ix_ticket_candidate_area', 'ticket', ['area_id', 'created_at'],
                    unique=False, postgresql_where=sa.text(PREDICATE),
                    sqlite_where=sa.text(PREDICATE))
    op.create_index('ix_ticket_candidate_position', 'ticket', ['latitude', 'longitude'],
                    unique=False, postgresql_where=sa.text(PREDICATE),
                    sqlite_where=sa.text(PREDICATE))


def downgrade() -> None:
    op.drop_index('ix_ticket_candidate_position', table_name='ticket',
                  postgresql_where=sa.text(PREDICATE), sqlite_where=sa.text(PREDICATE))
    op.drop_index('ix_ticket_candidate_area', table_name='ticket',
                  postgresql_where=sa.text(PREDICATE), sqlite_where=sa.text(PREDICATE))
    op.create_index('ix_ticket_lat_lon', 'ticket', ['latitude', 'longitude'], unique=False)
    op.create_index('ix_ticket_area_created', 'ticket', ['area_id', 'created_at'], unique=False)
