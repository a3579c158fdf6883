"""Run Alembic from code: the CLI, `make run` and the tests use the same path."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import Connection

from alembic import command
from core.settings import PROJECT_ROOT


def alembic_config(*, url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config(str(Path(PROJECT_ROOT) / "alembic.ini"))
    config.set_main_option("script_location", str(Path(PROJECT_ROOT) / "alembic"))
    config.attributes["configure_logging"] = False
    if url is not None:
        config.attributes["url"] = url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(*, url: str | None = None, connection: Connection | None = None) -> None:
    command.upgrade(alembic_config(url=url, connection=connection), "heads")
