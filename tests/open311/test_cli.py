"""`hotline open311 create-key | list-keys | revoke-key`: the key is shown once, kept as a hash."""

from __future__ import annotations

import hashlib

import typer
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from open311 import cli, service
from open311.models import Open311Client


def hotline() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """The hotline CLI with the open311 commands only."""

    cli.register(app)
    return app


def stored(engine: Engine, name: str) -> Open311Client:
    with Session(engine) as session:
        return session.execute(
            select(Open311Client).where(Open311Client.name == name)
        ).scalar_one()


def test_create_key_prints_the_key_once_and_stores_only_its_hash(committed_pg: Engine) -> None:
    result = CliRunner().invoke(hotline(), ["open311", "create-key", "--name", "City app"])
    assert result.exit_code == 0, result.output
    api_key = result.output.strip().splitlines()[-1]
    client = stored(committed_pg, "City app")
    assert client.api_key_hash == hashlib.sha256(api_key.encode()).hexdigest()
    assert api_key not in client.api_key_hash and client.active
    with Session(committed_pg) as session:
        assert service.authenticate(session=session, api_key=api_key).name == "City app"

    listed = CliRunner().invoke(hotline(), ["open311", "list-keys"])
    assert "City app" in listed.output and "active" in listed.output
    assert api_key not in listed.output


def test_a_second_client_with_the_same_name_is_refused(committed_pg: Engine) -> None:
    runner = CliRunner()
    assert runner.invoke(hotline(), ["open311", "create-key", "--name", "GIS"]).exit_code == 0
    again = runner.invoke(hotline(), ["open311", "create-key", "--name", "GIS"])
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_revoke_key_deactivates_the_client(committed_pg: Engine) -> None:
    runner = CliRunner()
    runner.invoke(hotline(), ["open311", "create-key", "--name", "Old app"])
    result = runner.invoke(hotline(), ["open311", "revoke-key", "--name", "Old app"])
    assert result.exit_code == 0, result.output
    assert stored(committed_pg, "Old app").active is False
    assert "revoked" in runner.invoke(hotline(), ["open311", "list-keys"]).output
    unknown = runner.invoke(hotline(), ["open311", "revoke-key", "--name", "Nobody"])
    assert unknown.exit_code == 1
