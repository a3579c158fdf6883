"""The operator's commands: migrate and load the default data, twice, on a fresh database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session
from typer.testing import CliRunner

from core.db import make_engine
from routing.models import Agency, Area, Category


def test_migrate_and_load_data_are_idempotent(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from core import cli
    from core.db import get_engine
    from core.settings import get_settings

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    runner = CliRunner()
    cli.mount_rooms()  # load-data is routing's command (routing/cli.py)
    try:
        for _ in range(2):
            assert runner.invoke(cli.app, ["migrate"]).exit_code == 0
            result = runner.invoke(cli.app, ["load-data"])
            assert result.exit_code == 0, result.output
            assert "19 categories" in result.output and "18 agencies" in result.output
        with Session(make_engine(url)) as session:
            counted = [session.execute(select(func.count()).select_from(model)).scalar_one()
                       for model in (Category, Agency, Area)]
            roads = session.get(Category, "roads")
        assert counted[:2] == [19, 18] and counted[2] >= 50
        assert roads is not None and roads.name_vi and roads.default_agency_id == "transport"
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()


def test_worker_refuses_to_start_without_a_broker() -> None:
    from core import cli

    result = CliRunner().invoke(cli.app, ["worker"])
    assert result.exit_code == 2
