"""dashboard: covering indexes for the ward tables and the backlog (PostgreSQL)

At 10 M tickets the roll-up rows are 1.8 GB of wide rows; a ward table filtered by category or
agency read about 260 k of them and every row with open tickets (1.3 to 1.9 s in
bench/dashboard.py). The category and agency indexes now INCLUDE the ward and the columns the
ward table sums, and the partial open-ticket index the dimensions and counts of the backlog, so
both are index-only scans (about 0.2 s). SQLite keeps the plain indexes.

Revision ID: b4d8f0a2c6e9
Revises: a7e3c9d1f5b2
Create Date: 2026-12-05 11:30:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = 'b4d8f0a2c6e9'
down_revision: str | Sequence[str] | None = 'a7e3c9d1f5b2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WARD_TABLE = ['area_id', 'created', 'resolved', 'resolved_on_time', 'resolved_late',
              'resolve_missed', 'rated', 'rating_sum', 'rating_high']
BACKLOG = ['category_id', 'agency_id', 'area_id', 'channel', 'open', 'overdue', 'paused']
OPEN = sa.text('open > 0')


def _indexes(*, include: bool) -> None:
    ward = {'postgresql_include': WARD_TABLE} if include else {}
    backlog = {'postgresql_include': BACKLOG} if include else {}
    op.create_index('ix_dashboard_daily_level_category_day', 'dashboard_daily',
                    ['level', 'category_id', 'day'], unique=False, **ward)
    op.create_index('ix_dashboard_daily_level_agency_day', 'dashboard_daily',
                    ['level', 'agency_id', 'day'], unique=False, **ward)
    op.create_index('ix_dashboard_daily_open', 'dashboard_daily', ['level', 'day'],
                    unique=False, postgresql_where=OPEN, sqlite_where=OPEN, **backlog)


def _drop() -> None:
    op.drop_index('ix_dashboard_daily_open', table_name='dashboard_daily',
                  postgresql_where=OPEN, sqlite_where=OPEN)
    op.drop_index('ix_dashboard_daily_level_agency_day', table_name='dashboard_daily')
    op.drop_index('ix_dashboard_daily_level_category_day', table_name='dashboard_daily')


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite has no INCLUDE: its indexes stay as they are
    _drop()
    _indexes(include=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    _drop()
    _indexes(include=False)
