"""The PostgreSQL pool: a busy pool's connections are used without a test query (a round trip
per request saved), an idle one is tested first and replaced when the server dropped it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from core.settings import get_settings
from tests.conftest import PG_URL


@pytest.fixture
def engine_with(pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    engines: list[Engine] = []

    def make(idle_seconds: float) -> Engine:
        from core.db import make_engine

        monkeypatch.setenv("DATABASE_PING_IDLE_SECONDS", str(idle_seconds))
        get_settings.cache_clear()
        engine = make_engine(PG_URL, pool_size=1, max_overflow=0)
        engines.append(engine)
        return engine

    yield make
    get_settings.cache_clear()
    for engine in engines:
        engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _drop(pid: int, pg_engine: Engine) -> None:
    """The server ends that connection (as a restart or an idle timeout would)."""
    with pg_engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        connection.commit()


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    pg_engine: Engine, engine_with
) -> None:  # type: ignore[no-untyped-def]
    engine = engine_with(0)  # every checked-in connection counts as idle
    first = _backend(engine)
    _drop(first, pg_engine)
    assert _backend(engine) != first  # tested, found dead, replaced: the request never saw it


def test_a_busy_connection_is_used_without_a_test_query(
    pg_engine: Engine, engine_with
) -> None:  # type: ignore[no-untyped-def]
    engine = engine_with(3600)  # a connection used within the hour is not tested
    first = _backend(engine)
    _drop(first, pg_engine)
    # no test query: the dead connection is used and that request fails ...
    with pytest.raises(OperationalError):
        _backend(engine)
    # ... after which the pool has renewed it
    assert _backend(engine) != first
