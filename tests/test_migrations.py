"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from core.db import import_all_models
from core.migrations import alembic_config


def differences(engine: Engine) -> list[object]:
    import_all_models()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert differences(engine) == []


def test_every_model_table_exists_after_migrating(engine: Engine) -> None:
    import_all_models()
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert {"ticket", "ticket_event", "attachment", "agency", "category", "area"} <= tables


def test_the_migration_history_is_one_line_of_revisions() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}; add a merge"
