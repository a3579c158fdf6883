"""Shared fixtures: real PostgreSQL (and SQLite), one rollback per test, an app per database.

The database tests run on the PostgreSQL at 127.0.0.1:5432 and on SQLite. Without PostgreSQL
or Redis those tests skip, except under CI (CI=true), where they fail instead.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="hotline-tests-"))
PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# tools/mutation.py runs pytest hundreds of times in one process and its forks: it names one
# database that is migrated once and kept (and drops it itself at the end)
KEPT_PG_DB = os.environ.get("HOTLINE_TEST_KEEP_DB", "")
PG_TEST_DB = KEPT_PG_DB or f"hotline_test_{os.getpid()}"
PG_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_TEST_DB
SQLITE_URL = f"sqlite:///{_TMP / 'hotline.db'}"
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Settings are read from the environment: set them before any project module reads them.
os.environ.update(
    {
        "ENVIRONMENT": "test",
        "DATABASE_URL": PG_URL,
        "MEDIA_DIR": str(_TMP / "media"),
        "MODELS_ROOT": str(_TMP / "models"),
        "PUBLIC_BASE_URL": "http://testserver",
        "SECRET_KEY": "test-secret-key",
        "EMBEDDED_WORKER": "false",
        # no model in the tests' MODELS_ROOT: reports go to triage (tests/classify covers
        # "train" and "fail")
        "CLASSIFIER_WITHOUT_MODEL": "triage",
        "MODEL_RECHECK_SECONDS": "0",
        # staff notices one by one, as most tests count them; the digest's tests turn it on
        "STAFF_DIGEST_MINUTES": "0",
    }
)
for name in (
    "REDIS_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "SMTP_HOST",
    "TRIAGE_THRESHOLD",
    "BASE_MODEL_DIR",
):
    os.environ.pop(name, None)

if os.environ.get("HOTLINE_TEST_ONE_TORCH_THREAD"):
    # tools/mutation.py: mutmut forks each mutant's run from a process that already ran the
    # tests, and a fork keeps torch's OpenMP pool without its threads (the next embedding then
    # waits for them for ever). With one intra-op thread there is no pool to wait for.
    import torch

    from classify import modeling

    torch.set_num_threads(1)
    modeling.limit_threads = lambda threads=None: None  # type: ignore[assignment]

    def _leave_the_parents_connections() -> None:
        """A forked child must not use the pooled connections its parent opened (two processes
        on one connection fail with DuplicatePreparedStatement, killing mutants that no test
        caught): the cached engine forgets them, without closing them under the parent."""
        from core.db import get_engine

        if get_engine.cache_info().currsize:
            get_engine().dispose(close=False)

    os.register_at_fork(after_in_child=_leave_the_parents_connections)

import pytest  # noqa: E402
from sqlalchemy import create_engine, inspect, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_PG_AVAILABLE: bool | None = None
_KEPT_PREPARED = False
# tables whose rows are the default data, kept between tests that commit
TAXONOMY_TABLES = {
    "agency", "category", "area", "routing_rule", "admin_procedure", "alembic_version"
}


def unavailable(reason: str) -> None:
    """Skip on a developer's machine without the server; fail under CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


def _create_pg_database() -> bool:
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{PG_TEST_DB}"'))
        admin.dispose()
        return True
    except Exception:
        return False


def _drop_pg_database() -> None:
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)'))
        admin.dispose()
    except Exception:
        pass


def _prepare(url: str) -> Engine:
    from core import migrations
    from core.db import make_engine
    from routing import service as routing_service

    migrations.upgrade(url=url)
    engine = make_engine(url)
    with Session(engine) as session:
        routing_service.load_default_data(session=session)
        session.commit()
    return engine


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    global _PG_AVAILABLE, _KEPT_PREPARED
    if KEPT_PG_DB and _KEPT_PREPARED:  # a later session of a mutation run: as it was left
        from core.db import make_engine

        yield make_engine(PG_URL)
        return
    # created afresh by every pytest session, also a second one in the same process: the
    # previous session dropped it
    if _PG_AVAILABLE is not False:
        _PG_AVAILABLE = _create_pg_database()
    if not _PG_AVAILABLE:
        unavailable("PostgreSQL is not reachable at 127.0.0.1:5432")
    engine = _prepare(PG_URL)
    if KEPT_PG_DB:
        _KEPT_PREPARED = True
        yield engine
        return
    yield engine
    engine.dispose()
    from core.db import get_engine

    get_engine.cache_clear()
    _drop_pg_database()


@pytest.fixture(scope="session")
def sqlite_engine() -> Iterator[Engine]:
    engine = _prepare(SQLITE_URL)
    yield engine
    engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Runs the test once on PostgreSQL and once on SQLite."""
    return request.getfixturevalue(
        "pg_engine" if request.param == "postgresql" else "sqlite_engine"
    )


def _rollback_session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        if transaction.is_active:
            transaction.rollback()
        connection.close()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on PostgreSQL and on SQLite whose work is rolled back after the test."""
    yield from _rollback_session(engine)


@pytest.fixture
def pg_session(pg_engine: Engine) -> Iterator[Session]:
    """A PostgreSQL-only session, rolled back after the test."""
    yield from _rollback_session(pg_engine)


def truncate_activity(engine: Engine) -> None:
    """Remove what committed tests wrote, keeping the default taxonomy."""
    from core.db import import_all_models

    import_all_models()
    existing = set(inspect(engine).get_table_names())
    tables = [t.name for t in SQLModel.metadata.sorted_tables
              if t.name not in TAXONOMY_TABLES and t.name in existing]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def committed_pg(pg_engine: Engine) -> Iterator[Engine]:
    """For tests whose work must really commit (workers, other processes): cleaned afterwards."""
    truncate_activity(pg_engine)
    yield pg_engine
    truncate_activity(pg_engine)


def make_client(session: Session, **overrides: object):  # type: ignore[no-untyped-def]
    """A TestClient whose requests use the test's session (and so its rollback)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from core.settings import get_settings
    from httpbase.deps import get_db

    settings = get_settings().model_copy(update=overrides) if overrides else get_settings()
    app = create_app(settings, start_worker=False)

    async def test_db() -> AsyncIterator[Session]:  # async, as the real one (httpbase.deps)
        yield session

    app.dependency_overrides[get_db] = test_db
    return TestClient(app)


@pytest.fixture
def client(session: Session):  # type: ignore[no-untyped-def]
    with make_client(session) as test_client:
        yield test_client


@pytest.fixture
def pg_client(pg_session: Session):  # type: ignore[no-untyped-def]
    with make_client(pg_session) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    from core import ratelimit
    from core.settings import get_settings
    from tickets import classifier_port

    yield
    get_settings.cache_clear()
    classifier_port.reset()
    ratelimit.reset_memory_limits()
