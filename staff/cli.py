"""`hotline create-admin`, `hotline create-staff` and `hotline create-api-token`."""

from __future__ import annotations

import typer
from sqlalchemy import select
from sqlmodel import col

from core.db import session_scope
from core.errors import HotlineError
from staff import service
from staff.models import StaffUser


def register(app: typer.Typer) -> None:
    @app.command("create-admin")
    def create_admin(
        email: str = typer.Option(..., prompt=True),
        name: str = typer.Option("Administrator", prompt=True),
        password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    ) -> None:
        """Create an administrator (the first account, to log in to /staff and /admin)."""
        _create(email=email, name=name, password=password, role="admin", agency_id=None)

    @app.command("create-staff")
    def create_staff(
        email: str = typer.Option(..., prompt=True),
        name: str = typer.Option(..., prompt=True),
        role: str = typer.Option(..., help="agent, agency_head, triage_agent, official, admin"),
        agency: str = typer.Option("", help="agency id, for agents and agency heads"),
        password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    ) -> None:
        """Create a staff account."""
        _create(email=email, name=name, password=password, role=role, agency_id=agency or None)

    @app.command("create-api-token")
    def create_api_token(email: str) -> None:
        """Issue an API token for a staff member (printed once; only its hash is stored)."""
        with session_scope() as session:
            user = session.execute(
                select(StaffUser).where(col(StaffUser.email) == email.strip().lower())
            ).scalar_one_or_none()
            if user is None:
                typer.echo(f"no staff account with the e-mail {email}", err=True)
                raise typer.Exit(1)
            token = service.issue_api_token(session=session, user=user)
        typer.echo(token)


def _create(*, email: str, name: str, password: str, role: str, agency_id: str | None) -> None:
    try:
        with session_scope() as session:
            user = service.create_user(
                session=session,
                email=email,
                name=name,
                password=password,
                role=role,
                agency_id=agency_id,
            )
            typer.echo(f"created {user.role} {user.email} (id {user.id})")
    except HotlineError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from error
