"""Faults mid-burst: Redis and a worker killed, then back; Redis hanging. A real web process
(`hotline serve`), Celery worker and beat, and a redis-server of the test's own.

- every report accepted during the burst (web API and SMS) is processed within 60 s of the
  broker and the worker being back (not after the ten-minute republish delay of old);
- a text sent while Redis accepts connections but never answers is answered within 5 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.conftest import PG_URL
from tests.core.test_worker import RedisServer, free_port, wait_for
from tests.intake.helpers import AUTH_TOKEN, new_sid, sign, sms_params
from tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.slow]
REPORT = {"description": "Nước cống tràn lên đường Nguyễn Trãi, hôi thối cả khu phố.",
          "area_id": "26743"}
SMS_REPORT = "Đèn đường hẻm {number} đường Lê Lợi bị hư mấy ngày nay, tối om rất nguy hiểm"
RECOVERY_SECONDS = 60


class Stack:
    """The web process, a worker and beat, on the test's Redis and database."""

    def __init__(self, redis: RedisServer, tmp: Path) -> None:
        self.redis = redis
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmp = tmp
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": PG_URL,
            "REDIS_URL": redis.url,
            "PUBLIC_BASE_URL": self.base,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "REPORT_RATE_LIMIT": "",
            "EMBEDDED_WORKER": "false",
            "BEAT_SCHEDULE_FILE": str(tmp / "beat-schedule"),
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "core.cli", *args], cwd=ROOT, env=self.env,
            stdout=log, stderr=log, start_new_session=True,
        )

    def start_web(self) -> None:
        self.start("web", "serve", "--port", str(self.port))
        wait_for(self._web_ready, timeout=60, what="the web process to answer")

    def _web_ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def start_worker(self) -> None:
        self.start("worker", "worker", "--concurrency", "2", "--loglevel", "warning")

    def start_beat(self) -> None:
        self.start("beat", "beat", "--loglevel", "warning")

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)  # the worker and its pool's children
        process.wait(10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-1500:]}"
            for path in self.tmp.glob("*.log")
        )


@pytest.fixture
def stack(committed_pg: Engine, tmp_path: Path) -> Iterator[Stack]:
    redis = RedisServer(free_port())
    redis.start()
    running = Stack(redis, tmp_path)
    try:
        running.start_web()
        running.start_worker()
        running.start_beat()
        yield running
    finally:
        running.stop_all()
        if redis.process is not None:
            redis.process.send_signal(signal.SIGCONT)
        redis.stop()


def file_report(client: httpx.Client) -> str:
    response = client.post("/api/v1/reports", json=REPORT)
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def send_sms(client: httpx.Client, base: str, text: str) -> tuple[float, httpx.Response]:
    params = sms_params(text, sid=new_sid("SM"))
    started = time.monotonic()
    response = client.post(
        "/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(base + "/twilio/sms",
                                                                        params)},
    )
    return time.monotonic() - started, response


def unprocessed(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(
            session.execute(select(Ticket.code).where(Ticket.state == "received")).scalars()
        )


def test_reports_accepted_around_a_redis_and_worker_kill_are_processed_within_60_s(
    stack: Stack, committed_pg: Engine
) -> None:
    codes: list[str] = []
    with httpx.Client(base_url=stack.base, timeout=30) as client:
        for number in range(30):
            if number == 10:  # mid-burst: the broker and the worker die
                stack.kill("worker")
                assert stack.redis.process is not None
                stack.redis.process.kill()
                stack.redis.process.wait(10)
                stack.redis.process = None
            codes.append(file_report(client))
            if number % 5 == 0:
                took, answer = send_sms(client, stack.base, SMS_REPORT.format(number=number))
                assert answer.status_code == 200 and took < 5, (took, answer.text)
        stack.redis.start()
        stack.start_worker()
        recovered_at = time.monotonic()
    with Session(committed_pg) as session:
        filed = session.execute(select(Ticket.code, Ticket.channel)).all()
    assert {"sms", "api"} <= {channel for _code, channel in filed}
    assert len(filed) == 36
    try:
        wait_for(lambda: not unprocessed(committed_pg), timeout=RECOVERY_SECONDS,
                 what="every accepted report to be processed")
    except AssertionError:
        pytest.fail(f"still received: {unprocessed(committed_pg)}\n{stack.logs()}")
    took = time.monotonic() - recovered_at
    print(f"all {len(filed)} reports processed {took:.1f} s after recovery")


def test_a_text_sent_while_redis_hangs_is_answered_within_5_s(stack: Stack) -> None:
    assert stack.redis.process is not None
    with httpx.Client(base_url=stack.base, timeout=30) as client:
        took, first = send_sms(client, stack.base, "Rác chưa được thu gom ở hẻm 15")
        assert first.status_code == 200
        stack.redis.process.send_signal(signal.SIGSTOP)  # accepts connections, never answers
        try:
            timings = []
            for number in range(3):
                took, answer = send_sms(client, stack.base, f"Ngập nước hẻm {number} Lê Lợi")
                assert answer.status_code == 200 and "<Message>" in answer.text
                timings.append(took)
            report_started = time.monotonic()
            file_report(client)
            report_took = time.monotonic() - report_started
        finally:
            stack.redis.process.send_signal(signal.SIGCONT)
    assert max(timings) < 5, timings
    assert report_took < 5, report_took
    print(f"texts answered in {', '.join(f'{t:.2f}' for t in timings)} s while Redis hung")
