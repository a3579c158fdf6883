"""merge: the duplicate candidate indexes (e91c0a6d2b57) and the finish's staff notice digests
(c3d9e5f1a7b2) were written on the same parent and landed the same morning; no schema change.

Revision ID: f2a4c6e8b0d1
Revises: c3d9e5f1a7b2, e91c0a6d2b57
Create Date: 2026-12-05 10:55:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

revision: str = 'f2a4c6e8b0d1'
down_revision: str | Sequence[str] | None = ('c3d9e5f1a7b2', 'e91c0a6d2b57')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
