"""`hotline open311 create-key | list-keys | revoke-key`: API keys for Open311 clients."""

from __future__ import annotations

import typer

from core.db import session_scope
from core.errors import HotlineError
from open311 import service


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Open311 GeoReport v2: the clients allowed to file requests.")
    app.add_typer(group, name="open311")

    @group.command("create-key")
    def create_key(
        name: str = typer.Option(..., "--name", help="the client, e.g. 'City app'"),
    ) -> None:
        """Register a client and print its API key (shown once; only its hash is stored)."""
        try:
            with session_scope() as session:
                client, api_key = service.create_client(session=session, name=name)
                client_id = client.id
        except HotlineError as error:
            typer.echo(error.message, err=True)
            raise typer.Exit(1) from error
        typer.echo(f"client {client_id} ({name}): keep this API key, it is not shown again")
        typer.echo(api_key)

    @group.command("list-keys")
    def list_keys() -> None:
        """List the clients (never their keys)."""
        with session_scope() as session:
            clients = service.list_clients(session=session)
            rows = [
                f"{c.id}\t{'active' if c.active else 'revoked'}\t"
                f"{c.created_at:%Y-%m-%d %H:%M}Z\t{c.name}"
                for c in clients
            ]
        typer.echo("\n".join(rows) if rows else "no Open311 clients yet")

    @group.command("revoke-key")
    def revoke_key(name: str = typer.Option(..., "--name", help="the client's name")) -> None:
        """Revoke a client's key: its requests are refused from now on (403)."""
        try:
            with session_scope() as session:
                service.revoke_client(session=session, name=name)
        except HotlineError as error:
            typer.echo(error.message, err=True)
            raise typer.Exit(1) from error
        typer.echo(f"revoked the key of {name}")
