"""private photos: every stored photo waits for a staff decision before it is public

Revision ID: c3d9e1f2a7b4
Revises: 908f971f51bc
Create Date: 2026-12-05 08:40:00

Photos used to be public as soon as they were stored; none of them was published by staff, so
all become private (staff publish the ones the public may see).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c3d9e1f2a7b4'
down_revision: str | Sequence[str] | None = '908f971f51bc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE attachment SET public = :no WHERE public = :yes").bindparams(
        no=False, yes=True))


def downgrade() -> None:
    pass  # which photos were public before cannot be known; they stay private
