"""dashboard: monthly roll-ups

At 10 M tickets a year of daily roll-up rows took 0.3 to 1.4 s to sum (the ward table by
channel, the year's totals and agencies; bench/dashboard.py); a period now reads its whole
months from `dashboard_monthly` and only the days at its ends from `dashboard_daily`. The
monthly rows are summed here from the daily ones; the refresh keeps them current
(dashboard.rollup).

Revision ID: c8e2a4f6b0d3
Revises: b4d8f0a2c6e9
Create Date: 2026-12-05 13:10:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = 'c8e2a4f6b0d3'
down_revision: str | Sequence[str] | None = 'b4d8f0a2c6e9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = ['category_id', 'area_id', 'agency_id', 'channel']
BUCKETS = 22
SUMMED = [
    'created', 'open', 'overdue', 'paused', 'rejected', 'ack_on_time', 'ack_late', 'ack_missed',
    'resolved', 'resolved_on_time', 'resolved_late', 'resolve_missed', 'transferred',
    'transfers', 'reopened', 'rated', 'rating_sum', 'rating_high', 'resolved_not_fixed',
    'scheduled', 'fix_asked', 'fix_confirmed', 'fix_not_fixed', 'fix_no_answer',
    *(f'ack_h{i:02d}' for i in range(BUCKETS)),
    *(f'resolve_h{i:02d}' for i in range(BUCKETS)),
]


def upgrade() -> None:
    op.create_table(
        'dashboard_monthly',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('level', sa.String(length=8), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        *(sa.Column(name, sa.String(length=64), server_default='', nullable=False)
          for name in DIMENSIONS),
        *(sa.Column(name, sa.Integer(), server_default='0', nullable=False) for name in SUMMED),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ux_dashboard_monthly_key', 'dashboard_monthly',
                    ['level', 'month', *DIMENSIONS], unique=True)
    for name in ('category_id', 'agency_id', 'area_id'):
        short = name.removesuffix('_id')
        op.create_index(f'ix_dashboard_monthly_level_{short}_month', 'dashboard_monthly',
                        ['level', name, 'month'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        month = "date(day, 'start of month')"
    else:
        month = "CAST(date_trunc('month', day) AS DATE)"
    keys = ', '.join(f"coalesce({name}, '')" for name in DIMENSIONS)
    op.execute(
        f"INSERT INTO dashboard_monthly (level, month, {', '.join(DIMENSIONS)}, "
        f"{', '.join(SUMMED)}) SELECT level, {month}, {keys}, "
        f"{', '.join(f'sum({name})' for name in SUMMED)} FROM dashboard_daily "
        f"GROUP BY level, {month}, {keys}"
    )


def downgrade() -> None:
    for name in ('area', 'agency', 'category'):
        op.drop_index(f'ix_dashboard_monthly_level_{name}_month', table_name='dashboard_monthly')
    op.drop_index('ux_dashboard_monthly_key', table_name='dashboard_monthly')
    op.drop_table('dashboard_monthly')
