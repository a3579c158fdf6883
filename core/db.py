"""Database engine, sessions and the column types shared by every room."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, DateTime, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, create_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

from core.settings import get_settings
from core.tasks import ROOMS

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on PostgreSQL (timestamptz) and SQLite (naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON that is JSONB on PostgreSQL
JSONType = JSON().with_variant(JSONB(), "postgresql")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling starts transactions late and breaks SAVEPOINT; hand
    # it to SQLAlchemy, which emits BEGIN itself (SQLAlchemy's documented pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE: take the write lock up front (waiting up to busy_timeout for it). A deferred
    # transaction that read first and writes later fails at once with "database is locked"
    # when another connection wrote in between (the web requests and the embedded worker do).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    settings = get_settings()
    kwargs.setdefault("pool_size", settings.database_pool_size)
    kwargs.setdefault("max_overflow", settings.database_max_overflow)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine, settings.database_ping_idle_seconds)
    return engine


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Test a pooled connection before use only when it sat idle for ``idle_seconds``: a
    pre-ping on every checkout costs a round trip per request on a busy, healthy pool, while a
    connection the server dropped (a restart, an idle timeout) is usually an idle one. A failed
    test makes the pool open a fresh connection (DisconnectionError); a connection lost while
    busy fails its request, and SQLAlchemy then renews the pool's older connections."""
    from sqlalchemy import exc

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("checked_in_at")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
        except Exception as error:
            raise exc.DisconnectionError(str(error)) from error


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    if url is None:
        url = get_settings().database_url
    return make_engine(url)


def hold(session: Session, row: Any) -> Any:
    """Keep a row read in this unit of work in the session's identity map, so that a later
    ``get`` of it in the same request (the answer's ward name) needs no query: the map holds
    unchanged rows weakly, and a row nobody references is read again."""
    if row is not None:
        session.info.setdefault("held_rows", []).append(row)
    return row


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work owned by the caller: committed at the end, rolled back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def import_all_models() -> None:
    """Import every room's models.py so SQLModel.metadata knows all tables."""
    import importlib
    import importlib.util

    for room in ROOMS:
        module = f"{room}.models"
        if importlib.util.find_spec(room) is not None and importlib.util.find_spec(module):
            importlib.import_module(module)
    importlib.import_module("core.outbox")


def check_database(url: str, *, timeout_seconds: int = 5) -> str | None:
    """Why the service cannot use this database, in one line; None when it can.

    Run by `hotline serve`, `worker` and `beat` before they start, so a wrong DATABASE_URL stops
    them with one clear line instead of a server that answers 500 to everything.
    """
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    if url.startswith(("postgres://", "postgresql://")):
        return (
            "DATABASE_URL must name the driver: postgresql+psycopg://user:password@host/db "
            "(postgres:// and postgresql:// are not understood)"
        )
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "DATABASE_URL is not a database URL (e.g. postgresql+psycopg://host/db)"
    safe = parsed.render_as_string(hide_password=True)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = timeout_seconds
    try:
        engine = (
            make_engine(url, connect_args=connect_args)
            if connect_args
            else make_engine(url)
        )
    except (NoSuchModuleError, ModuleNotFoundError, ArgumentError):
        return f"DATABASE_URL names a database driver that is not installed: {safe}"
    try:
        with engine.connect() as connection:
            migrated = inspect(connection).has_table("alembic_version")
    except Exception as error:
        first_line = str(getattr(error, "orig", None) or error).strip().splitlines()[:1]
        reason = first_line[0] if first_line else type(error).__name__
        return f"cannot connect to the database {safe}: {reason}"
    finally:
        engine.dispose()
    if not migrated:
        return f"the database {safe} has no schema yet: run `hotline migrate` first"
    return None
