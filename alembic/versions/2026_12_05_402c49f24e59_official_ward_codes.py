"""official ward codes: areas keyed by the official code, with their centre

Every area whose name is a ward of today (or a former ward that went wholly to one ward of
today, e.g. "Phường Thủ Thiêm" of the former Thủ Đức city -> Phường An Khánh) takes that ward's
official code as its id; tickets, routing rules and dashboard roll-ups follow. Areas the
packages do not know (added in the admin) keep their id. The codes come from the packages
(places), never from this file.

Revision ID: 402c49f24e59
Revises: 4432f3a3c43c
Create Date: 2026-12-05 08:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '402c49f24e59'
down_revision: str | Sequence[str] | None = '4432f3a3c43c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERENCES = (
    ("ticket", "area_id"),
    ("routing_rule", "area_id"),
    ("dashboard_daily", "area_id"),
    ("dashboard_transfer_daily", "area_id"),
)


def upgrade() -> None:
    with op.batch_alter_table("area") as batch:
        batch.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lon", sa.Float(), nullable=True))

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, name_vi, former_district, active FROM area")).all()
    if not rows:
        return
    from places import service as places_service  # lazy: only when this migration runs

    tables = set(sa.inspect(bind).get_table_names())
    official = {row["id"]: row for row in places_service.official_areas()}
    existing = {row.id for row in rows}
    for old_id, name_vi, former_district, active in rows:
        if old_id in official:
            continue
        code = places_service.official_code_for(name=name_vi, former_district=former_district)
        if code is None:
            continue
        if code not in existing:
            ward = official[code]
            bind.execute(
                sa.text(
                    "INSERT INTO area (id, name_vi, name_en, kind, former_district, active, lat, "
                    "lon) VALUES (:id, :name_vi, :name_en, :kind, :former_district, :active, "
                    ":lat, :lon)"
                ),
                {**ward, "active": active},
            )
            existing.add(code)
        for table, column in REFERENCES:
            if table in tables:
                bind.execute(
                    sa.text(f"UPDATE {table} SET {column} = :code WHERE {column} = :old"),
                    {"code": code, "old": old_id},
                )
        bind.execute(sa.text("DELETE FROM area WHERE id = :old"), {"old": old_id})


def downgrade() -> None:
    # The old slugs were typed by hand and are not kept: ids stay official codes.
    with op.batch_alter_table("area") as batch:
        batch.drop_column("lon")
        batch.drop_column("lat")
