"""Dashboard speed at city scale: load demo tickets in a scratch PostgreSQL database and time
every dashboard query at each size.

    .venv/bin/python bench/dashboard.py                 # 1 million tickets
    .venv/bin/python bench/dashboard.py --sizes 1000000 10000000

The database (default hotline_bench_dashboard) is dropped and created again: never point this
at a database you keep. Each figure is run 5 times after one warm-up; the median is printed.
Not part of `make test`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--database", default="hotline_bench_dashboard")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = f"{args.server}/{args.database}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("ENVIRONMENT", "development")

    from sqlalchemy import create_engine, text

    admin = create_engine(f"{args.server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{args.database}"'))
    admin.dispose()

    from core import migrations
    from core.db import session_scope
    from routing import service as routing_service

    migrations.upgrade(url=url)
    with session_scope() as session:
        routing_service.load_default_data(session=session)

    loaded = 0
    for size in sorted(args.sizes):
        started = time.monotonic()
        from dashboard import demo

        with session_scope() as session:
            timings = demo.load(
                session=session,
                count=size - loaded,
                seed=size,
                progress=lambda n, base=loaded: _progress(base + n),
            )
        with session_scope() as session:
            session.execute(text("ANALYZE"))
        loaded = size
        print(
            f"\n== {size:,} tickets: loaded {int(timings['tickets']):,} tickets and "
            f"{int(timings['events']):,} events in {timings['load_seconds']:.0f} s, roll-ups "
            f"rebuilt in {timings['rollup_seconds']:.0f} s (total "
            f"{time.monotonic() - started:.0f} s)",
            flush=True,
        )
        _report(size, args.runs)


def _progress(done: int) -> None:
    if done % 1_000_000 == 0:
        print(f"   {done:,} tickets written", flush=True)


def _time(function: Callable[[], object], runs: int) -> tuple[float, float]:
    function()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def _report(size: int, runs: int) -> None:
    from sqlalchemy import func, select, text

    from core.db import session_scope
    from dashboard import drilldown, rollup, scoreboard, service, tables
    from dashboard.models import dashboard_daily

    with session_scope() as session:
        rows = session.execute(
            select(dashboard_daily.c.level, func.count()).group_by(dashboard_daily.c.level)
        ).all()
        print("   roll-up rows: " + ", ".join(f"{level} {count:,}" for level, count in rows))
        year = service.parse_filters(session=session, start=str(service.today().replace(
            year=service.today().year - 1)))
        quarter = service.parse_filters(session=session)
        cases: list[tuple[str, Callable[[], object]]] = []
        for label, filters in (
            ("year", year),
            ("90 days", quarter),
            ("year, category=drainage", service.Filters(**{**year.__dict__,
                                                           "category_id": "drainage"})),
            ("year, ward=26743", service.Filters(**{**year.__dict__, "area_id": "26743"})),
            ("year, agency=transport", service.Filters(**{**year.__dict__,
                                                          "agency_id": "transport"})),
            ("year, channel=sms", service.Filters(**{**year.__dict__, "channel": "sms"})),
        ):
            cases.append((f"totals ({label})", lambda f=filters: service.totals(
                session=session, filters=f)))
            for name in tables.TABLES:
                by = "week" if name == "volumes" else "day"
                cases.append((f"{name} ({label})", lambda f=filters, n=name, b=by: tables.build(
                    n, session=session, filters=f, language="vi", by=b)))
        cases.append(("drill-down overdue, page 1 (year)", lambda: drilldown.tickets(
            session=session, filters=year, figure="overdue")))
        cases.append(("drill-down created, page 20 (year, drainage)", lambda: drilldown.tickets(
            session=session, filters=service.Filters(**{**year.__dict__,
                                                        "category_id": "drainage"}),
            figure="created", page=20)))
        cases.append(("scoreboard (month, 90 days, 6-month trend)", lambda: scoreboard.build(
            session=session, language="vi")))
        print(f"   {'query':<52} {'median ms':>10} {'max ms':>8}")
        worst = 0.0
        for name, function in cases:
            median, highest = _time(function, runs)
            if not name.startswith("drill"):
                worst = max(worst, median)
            print(f"   {name:<52} {median:>10.1f} {highest:>8.1f}", flush=True)
        print(f"   slowest figure (median): {worst:.1f} ms at {size:,} tickets")
        board_ms, board_max = _time(lambda: scoreboard.build(session=session, language="vi"), runs)
        print(f"   scoreboard: {board_ms:.1f} ms median, {board_max:.1f} ms max at {size:,} tickets"
              f" (the page's figures; budget 300 ms)")
        session.rollback()

    # the periodic refresh after a minute of activity: 500 tickets of recent days change
    with session_scope() as session:
        session.execute(text(
            "WITH picked AS (SELECT id FROM ticket WHERE state = 'in_progress' "
            "ORDER BY created_at DESC LIMIT 500) "
            "INSERT INTO ticket_event (ticket_id, created_at, kind, actor_type, public, data) "
            "SELECT id, now() - interval '5 minutes', 'note', 'staff', false, '{}' FROM picked"
        ))
    with session_scope() as session:
        started = time.perf_counter()
        days = rollup.refresh(session=session)
        print(f"   refresh_rollups after 500 changed tickets: {days} days recomputed in "
              f"{(time.perf_counter() - started) * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    main()
