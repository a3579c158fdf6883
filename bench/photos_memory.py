"""Memory of a real web process while photos that decode to huge images arrive at once.

Starts `hotline serve` (one uvicorn process, PostgreSQL), then sends bursts of eight
concurrent reports, each with a small PNG that decodes to a huge picture, through the web
form (multipart) and the JSON API, and samples the server's resident memory (VmRSS, from
/proc) every 20 ms. The issue's reproduction: a 105 KB PNG of 6000x6000 and a 311 KB 16-bit
RGBA PNG of 6320x6320, eight at once, took a process from 1.07 to 3.1 GB.

    .venv/bin/python bench/photos_memory.py            # prints one JSON line per burst
    .venv/bin/python bench/photos_memory.py --rounds 3

Bursts: the two refused kinds (over the pixel limit: refused from the header), and PNGs just
under the limit (4096x3072, 16-bit RGBA: ~190 KB that decode to 50 MB each), which are
decoded. The bar: under 300 MB of growth over the process's memory before the first burst.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.intake.images import huge_png  # noqa: E402

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "hotline_bench_photos"
BENCH_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DB}"
DESCRIPTION = "Ổ gà lớn trước số 12 đường Lê Văn Sỹ, xe máy té liên tục."
AREA = "26743"
LIMIT_MB = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def prepare_database(env: dict[str, str]) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    for command in (["migrate"], ["load-data"]):
        subprocess.run([sys.executable, "-m", "core.cli", *command], cwd=ROOT, env=env,
                       check=True, capture_output=True)


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log_path = ROOT / "var" / f"bench-photos-{port}.log"
    log_path.parent.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_path.open("wb"),
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the server did not start: {log_path.read_text()[-2000:]}")


async def burst(base: str, photo: bytes, *, via: str, count: int = 8) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=180) as client:

        async def one() -> int:
            if via == "form":
                response = await client.post(
                    "/report?lang=en",
                    data={"description": DESCRIPTION, "area_id": AREA},
                    files={"photo": ("photo.png", photo, "image/png")},
                )
            else:
                response = await client.post("/api/v1/reports", json={
                    "description": DESCRIPTION, "area_id": AREA,
                    "photo_base64": base64.b64encode(photo).decode()})
            return response.status_code

        return list(await asyncio.gather(*(one() for _ in range(count))))


def measure(pid: int, base: str, name: str, photo: bytes, via: str, start_mb: float) -> dict:
    peak = rss_mb(pid)
    done = False

    async def sample() -> None:
        nonlocal peak
        while not done:
            peak = max(peak, rss_mb(pid))
            await asyncio.sleep(0.02)

    async def run() -> tuple[list[int], float]:
        nonlocal done
        sampler = asyncio.create_task(sample())
        started = time.monotonic()
        statuses = await burst(base, photo, via=via)
        took = time.monotonic() - started
        done = True
        await sampler
        return statuses, took

    statuses, took = asyncio.run(run())
    time.sleep(1)
    return {
        "burst": name, "via": via, "photo_kb": round(len(photo) / 1024),
        "statuses": sorted(set(statuses)), "seconds": round(took, 1),
        "rss_before_mb": round(start_mb), "rss_peak_mb": round(peak),
        "growth_mb": round(peak - start_mb), "rss_after_mb": round(rss_mb(pid)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": BENCH_URL, "PYTHONPATH": str(ROOT),
           "REPORT_RATE_LIMIT": "", "EMBEDDED_WORKER": "false", "ENVIRONMENT": "development"}
    env.pop("REDIS_URL", None)
    prepare_database(env)
    port = free_port()
    server = start_server(port, env)
    base = f"http://127.0.0.1:{port}"
    photos = {
        "6000x6000 1-bit PNG (refused)": huge_png(6000, 6000, bit_depth=1, color_type=0),
        "6320x6320 16-bit RGBA PNG (refused)": huge_png(6320, 6320),
        "4096x3072 16-bit RGBA PNG (decoded)": huge_png(4096, 3072),
    }
    try:
        httpx.get(f"{base}/report", timeout=10)  # warm the page and the templates
        start_mb = rss_mb(server.pid)
        results = []
        for _ in range(args.rounds):
            for name, photo in photos.items():
                for via in ("form", "api"):
                    result = measure(server.pid, base, name, photo, via, start_mb)
                    results.append(result)
                    print(json.dumps(result), flush=True)
        worst = max(result["growth_mb"] for result in results)
        verdict = "PASS" if worst < LIMIT_MB else "FAIL"
        print(json.dumps({"worst_growth_mb": worst, "limit_mb": LIMIT_MB, "verdict": verdict}))
    finally:
        server.terminate()
        server.wait(20)


if __name__ == "__main__":
    main()
