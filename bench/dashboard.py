"""Dashboard speed at city scale: load demo tickets in a scratch PostgreSQL database and time
every dashboard query at each size.

    .venv/bin/python bench/dashboard.py                          # 1 million tickets
    .venv/bin/python bench/dashboard.py --sizes 1000000 10000000  # and the roll-ups of 10 M

The database (default hotline_bench_dashboard) is dropped and created again: never point this
at a database you keep. Each figure is run 5 times after one warm-up; the median is printed.
Not part of `make test`.

Sizes above `--max-tickets` (default 1 M) are not loaded as tickets. Every figure but the
drill-down reads the daily roll-ups, whose size grows with the number of tickets until every
(day, category, ward, agency, channel) holds some; so the roll-ups are seeded at the size that
many tickets give: the demo draws a ticket's ward and channel independently of its day,
category and agency, so each "full" row of the larger size is drawn as
Poisson(size / loaded x the loaded city row's tickets x the ward's share), its other counts in
the proportions of that city row, and the "city" and "area" levels are summed from those rows
by the roll-up's own code (transfers are scaled in place). The drill-down reads tickets and is
skipped there. For the refresh, the tickets of the days it recomputes are copied up to the
larger size's density first (a refresh reads only the tickets of the days it recomputes).
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
    parser.add_argument("--max-tickets", type=int, default=1_000_000,
                        help="larger sizes get roll-ups seeded at their size, not tickets")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the tickets an earlier run loaded (the roll-ups are rebuilt "
                             "from them; tickets an earlier refresh copied stay)")
    args = parser.parse_args()
    url = f"{args.server}/{args.database}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("ENVIRONMENT", "development")

    from sqlalchemy import create_engine, text

    admin = create_engine(f"{args.server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                              {"name": args.database}).first() is not None
        if not (args.reuse and exists):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{args.database}"'))
    admin.dispose()

    from core import migrations
    from core.db import session_scope
    from routing import service as routing_service

    migrations.upgrade(url=url)
    loaded = 0
    if args.reuse and exists:
        loaded = _reused(min(args.sizes))
    else:
        with session_scope() as session:
            routing_service.load_default_data(session=session)
    for size in sorted(args.sizes):
        started = time.monotonic()
        if loaded >= size:
            _report(size, args.runs)
            continue
        if size > args.max_tickets and loaded:
            rows = _scale_rollups(loaded=loaded, size=size)
            print(
                f"\n== {size:,} tickets (roll-ups seeded at that size from the {loaded:,} "
                f"loaded tickets' roll-ups: {rows:,} full rows in "
                f"{time.monotonic() - started:.0f} s; the tickets table holds {loaded:,})",
                flush=True,
            )
            _report(size, args.runs, scaled_from=loaded)
            continue
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
        _vacuum()
        loaded = size
        print(
            f"\n== {size:,} tickets: loaded {int(timings['tickets']):,} tickets and "
            f"{int(timings['events']):,} events in {timings['load_seconds']:.0f} s, roll-ups "
            f"rebuilt in {timings['rollup_seconds']:.0f} s (total "
            f"{time.monotonic() - started:.0f} s)",
            flush=True,
        )
        _report(size, args.runs)


def _reused(size: int) -> int:
    """The tickets an earlier run loaded (at most ``size`` are counted), with the roll-ups
    rebuilt from them."""
    from sqlalchemy import text

    from core.db import session_scope
    from dashboard import rollup

    with session_scope() as session:
        session.execute(text("DROP TABLE IF EXISTS bench_city"))
        started = time.monotonic()
        rollup.rebuild_all(session=session)
        count = session.execute(text("SELECT count(*) FROM ticket")).scalar_one()
    _vacuum()
    print(f"\n== reusing {count:,} loaded tickets: roll-ups rebuilt in "
          f"{time.monotonic() - started:.0f} s", flush=True)
    return min(int(count), size)


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


def _scale_rollups(*, loaded: int, size: int) -> int:
    """Replace the roll-ups with those `size` demo tickets would give (module docstring)."""
    import numpy as np
    from sqlalchemy import text

    from core.db import session_scope
    from dashboard import rollup
    from dashboard.models import ACK_BUCKETS, COUNTS, RESOLVE_BUCKETS

    factor = size / loaded
    rng = np.random.default_rng(size)
    with session_scope() as session:
        session.execute(text(
            "CREATE TABLE IF NOT EXISTS bench_city AS SELECT * FROM dashboard_daily "
            "WHERE level = 'city'"))  # the loaded tickets' city rows, kept for a second size
        city = session.execute(text(
            "SELECT id, created FROM bench_city WHERE created > 0 ORDER BY id")).all()
        wards = session.execute(text(
            "SELECT area_id, sum(created) FROM dashboard_daily WHERE level = 'area' "
            "GROUP BY area_id ORDER BY area_id")).all()
        city_ids = np.array([r[0] for r in city], dtype=np.int64)
        expected = np.array([r[1] for r in city], dtype=np.float64) * factor
        share = np.array([float(r[1]) for r in wards])
        share /= share.sum()
        session.execute(text("DROP TABLE IF EXISTS bench_full"))
        session.execute(text("CREATE UNLOGGED TABLE bench_full (city_id bigint, ward int, "
                             "n int)"))
        raw = session.connection().connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(
            "COPY bench_full (city_id, ward, n) FROM STDIN"
        ) as copy:
            for start in range(0, len(city_ids), 2000):
                counts = rng.poisson(np.outer(expected[start:start + 2000], share))
                row, ward = np.nonzero(counts)
                for c, w, n in zip(city_ids[start + row], ward, counts[row, ward],
                                   strict=True):
                    copy.write_row((int(c), int(w), int(n)))
        session.execute(text("CREATE TEMP TABLE bench_ward (n int, area_id text)"))
        session.execute(text("INSERT INTO bench_ward VALUES (:n, :a)"),
                        [{"n": n, "a": r[0]} for n, r in enumerate(wards)])
        summed = (*COUNTS, *ACK_BUCKETS, *RESOLVE_BUCKETS)
        proportions = ", ".join(
            "f.n" if name == "created" else f"round(f.n * c.{name}::numeric / c.created)::int"
            for name in summed
        )
        session.execute(text("DELETE FROM dashboard_daily"))
        session.execute(text(
            "INSERT INTO dashboard_daily (level, day, category_id, area_id, agency_id, channel, "
            f"{', '.join(summed)}) SELECT 'full', c.day, c.category_id, w.area_id, c.agency_id, "
            f"c.channel, {proportions} FROM bench_full f JOIN bench_city c ON c.id = f.city_id "
            "JOIN bench_ward w ON w.n = f.ward"))
        first, last = session.execute(text(
            "SELECT min(day), max(day) FROM dashboard_daily")).one()
        rollup._sum_levels(session=session, first=first, last=last)
        rollup.rebuild_months(session=session)
        session.execute(text(
            "UPDATE dashboard_transfer_daily SET transfers = round(transfers * :f)"),
            {"f": factor})
        full = session.execute(text(
            "SELECT count(*) FROM dashboard_daily WHERE level = 'full'")).scalar_one()
        session.execute(text("DROP TABLE bench_full"))
    with session_scope() as session:
        session.execute(text("ANALYZE"))
    _vacuum()
    return int(full)


def _vacuum() -> None:
    """VACUUM the roll-ups, as autovacuum would after a bulk write: the ward tables and the
    backlog are index-only scans, which need the visibility map."""
    from sqlalchemy import text

    from core.db import get_engine

    with get_engine().execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE dashboard_daily"))
        conn.execute(text("VACUUM ANALYZE dashboard_monthly"))


def _densify_recent(*, factor: float, days: int = 7) -> int:
    """Copy the tickets filed in the last `days` days until those days hold `factor` times as
    many (the density of the larger size); returns how many were added."""
    from sqlalchemy import text

    from core.db import session_scope

    copies = max(0, round(factor) - 1)
    with session_scope() as session:
        start = session.execute(text("SELECT max(id) FROM ticket")).scalar_one()
        result = session.execute(text(
            "INSERT INTO ticket SELECT (t).* FROM ("
            "  SELECT jsonb_populate_record(NULL::ticket, to_jsonb(x) || jsonb_build_object("
            "    'id', :start + row_number() OVER (),"
            "    'code', 'Z' || lpad((:start + row_number() OVER ())::text, 12, '0'))) AS t"
            "  FROM ticket x CROSS JOIN generate_series(1, :copies)"
            "  WHERE x.created_at >= now() - make_interval(days => :days)) s"),
            {"start": start, "copies": copies, "days": days})
        added = getattr(result, "rowcount", 0)
        session.execute(text("ANALYZE ticket"))
    return int(added)


def _report(size: int, runs: int, scaled_from: int | None = None) -> None:
    from sqlalchemy import func, select, text

    from core.db import session_scope
    from dashboard import drilldown, rollup, scoreboard, service, tables
    from dashboard.models import dashboard_daily, dashboard_monthly

    with session_scope() as session:
        rows = session.execute(
            select(dashboard_daily.c.level, func.count()).group_by(dashboard_daily.c.level)
        ).all()
        print("   daily roll-up rows: " + ", ".join(f"{level} {n:,}" for level, n in rows))
        rows = session.execute(
            select(dashboard_monthly.c.level, func.count()).group_by(dashboard_monthly.c.level)
        ).all()
        print("   monthly roll-up rows: " + ", ".join(f"{level} {n:,}" for level, n in rows))
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
        if scaled_from is None:  # the drill-down reads tickets, not the roll-ups
            cases.append(("drill-down overdue, page 1 (year)", lambda: drilldown.tickets(
                session=session, filters=year, figure="overdue")))
            cases.append(("drill-down created, page 20 (year, drainage)",
                          lambda: drilldown.tickets(
                              session=session, filters=service.Filters(
                                  **{**year.__dict__, "category_id": "drainage"}),
                              figure="created", page=20)))
        cases.append(("scoreboard (month, 90 days, 6-month trend)", lambda: scoreboard.build(
            session=session, language="vi")))
        print(f"   {'query':<52} {'median ms':>10} {'max ms':>8}")
        worst = 0.0
        medians: dict[str, float] = {}
        for name, function in cases:
            median, highest = _time(function, runs)
            medians[name] = median
            if not name.startswith("drill"):
                worst = max(worst, median)
            print(f"   {name:<52} {median:>10.1f} {highest:>8.1f}", flush=True)
        print(f"   slowest figure (median): {worst:.1f} ms at {size:,} tickets")
        by_category = medians["wards (year, category=drainage)"]
        by_agency = medians["wards (year, agency=transport)"]
        print(f"   ward table filtered by category: {by_category:.1f} ms, by agency: "
              f"{by_agency:.1f} ms median at {size:,} tickets (budget 300 ms)")
        board_ms, board_max = _time(lambda: scoreboard.build(session=session, language="vi"), runs)
        print(f"   scoreboard: {board_ms:.1f} ms median, {board_max:.1f} ms max at {size:,} tickets"
              f" (the page's figures; budget 300 ms)")
        session.rollback()

    # the periodic refresh after a minute of activity: 500 tickets of recent days change
    if scaled_from is not None:
        added = _densify_recent(factor=size / scaled_from)
        print(f"   (the last 7 days' tickets copied to {size:,}-ticket density: "
              f"{added:,} added)", flush=True)
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
        took = time.perf_counter() - started
        print(f"   refresh_rollups after 500 changed tickets: {days} days recomputed in "
              f"{took * 1000:.0f} ms at {size:,} tickets (budget 5 s)", flush=True)


if __name__ == "__main__":
    main()
