"""Filing throughput and latency through the HTTP API on PostgreSQL, beside a bare endpoint.

Usage: .venv/bin/python bench/intake.py [--requests 3000] [--concurrency 32] [--workers 1]

Both servers run the same way (`--workers` uvicorn processes, one by default; the same pool of
20+20 connections; the same PostgreSQL database). The platform's endpoint validates, writes the
ticket, its event and its outbox row in one transaction, and its relay thread publishes the
outbox row to Redis after the commit (the city-scale setting); the bare endpoint does one
INSERT. The load generator (httpx) runs on the same machine: on 2 cores its own CPU (about
3 ms a request) bounds the bare endpoint's figure. Nothing consumes the Redis queue during
the run; it is emptied afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "hotline_bench_intake"
BENCH_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DB}"
REDIS_URL = "redis://127.0.0.1:6379/14"

BARE_APP = '''
import os
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import create_engine, text
engine = create_engine(os.environ["DATABASE_URL"], pool_size=20, max_overflow=20)
with engine.begin() as c:
    c.execute(text("CREATE TABLE IF NOT EXISTS bare_report (id bigserial primary key, "
                   "description text not null, area_id text, "
                   "created_at timestamptz default now())"))
app = FastAPI()
class Body(BaseModel):
    description: str
    area_id: str | None = None
@app.post("/api/v1/reports", status_code=201)
def create(body: Body):
    with engine.begin() as c:
        new_id = c.execute(text("INSERT INTO bare_report (description, area_id) "
                                "VALUES (:d, :a) RETURNING id"),
                           {"d": body.description, "a": body.area_id}).scalar()
    return {"id": new_id}
'''

TEXTS = [
    "Ổ gà lớn trên đường Lê Văn Sỹ gần chợ, xe máy sụp liên tục.",
    "Den duong hem 42 Ly Tu Trong tat ca tuan nay roi",
    "Garbage has been piling up at the corner of Co Giang street for days.",
    "Nước máy có mùi lạ và màu vàng từ sáng nay, khu phố 3.",
]


def prepare_database() -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    env = {**os.environ, "DATABASE_URL": BENCH_URL}
    for command in (["migrate"], ["load-data"]):
        subprocess.run([sys.executable, "-m", "core.cli", *command], cwd=ROOT, env=env,
                       check=True, capture_output=True)


def start_server(
    module: str, port: int, env: dict[str, str], workers: int = 1
) -> subprocess.Popen[bytes]:
    # a file, not a pipe nobody reads: a full pipe would stall the server mid-run
    log_path = ROOT / "var" / f"bench-{port}.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", module, "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log", "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{module} did not start: {log_path.read_text()[-2000:]}")


async def load(url: str, requests: int, concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            try:
                response = await client.post(url, json={"description": TEXTS[i % len(TEXTS)],
                                                        "area_id": "26743"})
            except httpx.HTTPError:  # counted, not fatal: the figures say how many
                failures += 1
                continue
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                failures += 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await client.post(url, json={"description": "warm up", "area_id": "26743"})
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, failures


def report(name: str, requests: int, elapsed: float, latencies: list[float],
           failures: int) -> float:
    ordered = sorted(latencies)
    rate = requests / elapsed
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{name:<28} {rate:8.1f} reports/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"
          f"   failures {failures}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1,
                        help="uvicorn processes of each server (the same for both)")
    args = parser.parse_args()
    prepare_database()
    base_env = {**os.environ, "DATABASE_URL": BENCH_URL, "EMBEDDED_WORKER": "false",
                "REPORT_RATE_LIMIT": "",
                "ENVIRONMENT": "development"}
    rates = {}
    for name, module, env in (
        ("bare FastAPI + 1 INSERT", "bench._bare_app:app", base_env),
        ("platform POST /api/v1/reports", "api.main:app", {**base_env, "REDIS_URL": REDIS_URL}),
    ):
        port = 18000 + len(rates)
        if module.startswith("bench."):
            (ROOT / "bench" / "_bare_app.py").write_text(BARE_APP)
        server = start_server(module, port, env, workers=args.workers)
        try:
            elapsed, latencies, failures = asyncio.run(
                load(f"http://127.0.0.1:{port}/api/v1/reports", args.requests, args.concurrency))
            rates[name] = report(name, args.requests, elapsed, latencies, failures)
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
    (ROOT / "bench" / "_bare_app.py").unlink(missing_ok=True)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    bare, platform = rates.values()
    print(f"platform / bare throughput: {platform / bare:.2f}  (goal: at least 0.50)")


if __name__ == "__main__":
    main()
