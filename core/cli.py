"""`hotline`: the commands an operator runs. Each room may add its own in `<room>/cli.py`."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys

import typer

from core import migrations, runner, tasks
from core.celery_app import celery_app, configure_celery
from core.settings import Settings, SettingsError, get_settings
from core.tasks import ROOMS

app = typer.Typer(
    help="Citizen hotline platform: serve, work, migrate, train.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic upgrade heads)."""
    migrations.upgrade()
    typer.echo(f"database is up to date: {_safe_url()}")


@app.command()
def serve(
    host: str = "127.0.0.1", port: int = 8000, workers: int = 1, reload: bool = False
) -> None:
    """Serve the site, the JSON API and the webhooks (uvicorn)."""
    import uvicorn

    settings = ready_settings()
    if workers > 1 and not settings.uses_celery:
        typer.echo("several web processes need REDIS_URL (Celery); starting one", err=True)
        workers = 1
    uvicorn.run(
        "api.main:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        # X-Forwarded-For is believed only from TRUSTED_PROXIES, and the app decides that
        # itself (the same rule under any server); uvicorn must not trust anyone on its own
        proxy_headers=False,
        server_header=False,
    )


@app.command()
def worker(concurrency: int = 2, queues: str = "celery", loglevel: str = "info") -> None:
    """Run a Celery worker (needs REDIS_URL)."""
    celery_app = _celery()
    celery_app.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--queues={queues}",
            f"--loglevel={loglevel}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
def beat(loglevel: str = "info") -> None:
    """Run Celery beat: deadline sweeps and the outbox sweep (needs REDIS_URL)."""
    celery_app = _celery()
    schedule = get_settings().beat_schedule_file.resolve()
    schedule.parent.mkdir(parents=True, exist_ok=True)
    celery_app.start(["beat", f"--loglevel={loglevel}", f"--schedule={schedule}"])


@app.command()
def drain() -> None:
    """Run every pending outbox task now, in this process (for operators and the embedded mode)."""
    tasks.discover_tasks()
    typer.echo(f"ran {runner.drain(limit=100_000)} tasks")


def ready_settings() -> Settings:
    """The settings and a usable database, or one clear line on stderr and exit status 2."""
    from core.db import check_database

    try:
        settings = get_settings()
    except SettingsError as error:
        typer.echo(f"hotline: cannot start: {error}", err=True)
        raise typer.Exit(2) from None
    problem = check_database(settings.database_url)
    if problem:
        typer.echo(f"hotline: cannot start: {problem}", err=True)
        raise typer.Exit(2)
    return settings


def _celery():  # type: ignore[no-untyped-def]
    try:
        settings = get_settings()
    except SettingsError as error:
        typer.echo(f"hotline: cannot start: {error}", err=True)
        raise typer.Exit(2) from None
    if not settings.uses_celery:
        typer.echo(
            "REDIS_URL is not set: the embedded worker runs inside `hotline serve`.", err=True
        )
        raise typer.Exit(2)
    ready_settings()

    configure_celery(settings)
    return celery_app


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


_mounted = False


def mount_rooms() -> None:
    """Add each room's commands (`<room>/cli.py: register(app)`); once per process."""
    global _mounted
    if _mounted:
        return
    _mounted = True
    for room in ROOMS:
        if room == "core":
            continue
        module = f"{room}.cli"
        if importlib.util.find_spec(room) is not None and importlib.util.find_spec(module):
            register = getattr(importlib.import_module(module), "register", None)
            if register is not None:
                register(app)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    mount_rooms()
    try:
        app(prog_name="hotline")
    except SettingsError as error:  # any command: one line, never the values (secrets)
        typer.echo(f"hotline: cannot start: {error}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    sys.exit(main())  # type: ignore[func-returns-value]
