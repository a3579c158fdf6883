"""Areas are the province's official wards, keyed by official code; old slugs are migrated."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from alembic import command
from core.migrations import alembic_config
from routing import service as routing_service
from routing.models import Area


def test_the_default_data_holds_every_ward_with_its_official_code(session: Session) -> None:
    areas = {a.id: a for a in session.exec(select(Area)).all()}
    assert len([a for a in areas.values() if a.id.isdigit()]) == 168
    assert areas["26743"].name_vi == "Phường Bến Thành"
    assert areas["27073"].lat is not None


def test_a_rename_in_the_admin_survives_reloading_the_data(session: Session) -> None:
    area = session.get(Area, "26743")
    assert area is not None
    area.name_vi = "Phường Bến Thành (khu trung tâm)"
    session.add(Area(id="khu-cnc", name_vi="Khu Công nghệ cao", name_en="Hi-Tech Park"))
    session.flush()
    routing_service.load_default_data(session=session)
    session.flush()
    assert session.get(Area, "26743").name_vi == "Phường Bến Thành (khu trung tâm)"  # type: ignore[union-attr]
    assert session.get(Area, "khu-cnc") is not None


def test_the_migration_moves_old_slugs_to_official_codes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url=url), "4432f3a3c43c")  # the schema before the codes
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(text("INSERT INTO agency (id, name_en, name_vi, active) VALUES "
                        "('ward_committee', 'Ward', 'Phường', 1)"))
        db.execute(text(
            "INSERT INTO category (id, name_en, name_vi, covers, resolve_working_days, "
            "acknowledge_hours, urgent_resolve_hours, active, default_agency_id) VALUES "
            "('public_order', 'Order', 'Trật tự', '', 3, 24, 24, 1, 'ward_committee')"))
        for slug, name, district in (
            ("ben-thanh", "Phường Bến Thành", "Quận 1"),
            ("thu-thiem", "Phường Thủ Thiêm", "Thành phố Thủ Đức"),
            ("khu-cnc", "Khu Công nghệ cao", None),
        ):
            db.execute(text("INSERT INTO area (id, name_vi, name_en, kind, former_district, "
                            "active) VALUES (:id, :name, :name, 'ward', :district, 1)"),
                       {"id": slug, "name": name, "district": district})
        db.execute(text("INSERT INTO routing_rule (category_id, area_id, agency_id) VALUES "
                        "('public_order', 'thu-thiem', 'ward_committee')"))
    command.upgrade(alembic_config(url=url), "heads")
    with engine.connect() as db:
        ids = {row[0] for row in db.execute(text("SELECT id FROM area"))}
        rule_area = db.execute(text("SELECT area_id FROM routing_rule")).scalar_one()
    engine.dispose()
    # hand-checked: Bến Thành is 26743; Thủ Thiêm joined An Khánh, 27118
    assert ids == {"26743", "27118", "khu-cnc"}
    assert rule_area == "27118"
