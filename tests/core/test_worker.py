"""Background work is never lost: a real Celery worker on a real Redis, and Redis going away.

Each test runs its own redis-server on a free port, so stopping it disturbs nobody else.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import outbox
from tests.conftest import unavailable
from tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _listening(self.port), timeout=10, what="redis-server to listen")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery_worker(redis_server: RedisServer, committed_pg: Engine,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen[bytes]]:
    from core.settings import get_settings

    monkeypatch.setenv("REDIS_URL", redis_server.url)
    get_settings.cache_clear()
    env = {**os.environ, "REDIS_URL": redis_server.url}
    log = subprocess.DEVNULL
    worker = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "worker", "--concurrency", "1", "--loglevel",
         "warning"], cwd=ROOT, env=env, stdout=log, stderr=log)
    time.sleep(1)
    assert worker.poll() is None, "the Celery worker did not start"
    yield worker
    worker.terminate()
    try:
        worker.wait(20)
    except subprocess.TimeoutExpired:
        worker.kill()
    get_settings.cache_clear()


def ticket_state(engine: Engine, code: str) -> str | None:
    with Session(engine) as session:
        return session.execute(select(Ticket.state).where(Ticket.code == code)).scalar()


def file_over_http(timeout_note: str = "") -> tuple[int, str]:
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app()) as client:
        response = client.post("/api/v1/reports", json={
            "description": "Nước cống tràn lên đường Nguyễn Trãi, hôi thối cả khu phố.",
            "area_id": "26743"})
    return response.status_code, response.json().get("code", "")


def test_a_report_filed_over_http_is_processed_by_the_celery_worker(
    celery_worker: subprocess.Popen[bytes], committed_pg: Engine
) -> None:
    status, code = file_over_http()
    assert status == 201
    wait_for(lambda: ticket_state(committed_pg, code) == "triage", timeout=60,
             what="the worker to process the ticket")

    def outbox_row() -> outbox.OutboxMessage:
        with Session(committed_pg) as session:
            # the processing row (the embedding task that follows it has its own row)
            return session.execute(
                select(outbox.OutboxMessage).where(
                    outbox.OutboxMessage.task == "tickets.process"  # type: ignore[arg-type]
                )
            ).scalars().one()

    # the runner marks the row completed just after the task's own commit, and the relay
    # marks it published just after handing it over (which the task may beat)
    wait_for(lambda: outbox_row().completed_at is not None, timeout=30,
             what="the outbox row to be marked completed")
    wait_for(lambda: outbox_row().published_at is not None, timeout=10,
             what="the outbox row to be marked published")


def test_with_redis_down_reports_are_accepted_and_processed_when_it_returns(
    celery_worker: subprocess.Popen[bytes], redis_server: RedisServer, committed_pg: Engine
) -> None:
    from core import tasks

    redis_server.stop()
    status, code = file_over_http()
    assert status == 201, "a report must be accepted while the broker is down"
    with Session(committed_pg) as session:
        row = session.execute(select(outbox.OutboxMessage)).scalars().one()
        assert row.published_at is None and row.completed_at is None
    assert ticket_state(committed_pg, code) == "received"

    redis_server.start()
    time.sleep(5.5)  # past the sweep's grace period for rows that were never published
    def sweep_then_check() -> bool:  # what beat does every 30 seconds
        tasks.run("core.outbox_sweep", {})
        return ticket_state(committed_pg, code) == "triage"

    wait_for(sweep_then_check, timeout=90, what="the sweep to re-publish and the worker to run")
    assert ticket_state(committed_pg, code) == "triage"


def test_the_embedded_worker_processes_reports_without_redis(committed_pg: Engine) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(start_worker=True)) as client:
        code = client.post("/api/v1/reports", json={
            "description": "Rác thải ùn ứ đầu hẻm 15 đường Cô Giang mấy ngày rồi.",
            "area_id": "26743"}).json()["code"]
        wait_for(lambda: ticket_state(committed_pg, code) == "triage", timeout=30,
                 what="the embedded worker to process the ticket")
