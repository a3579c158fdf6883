"""How long finding the duplicate candidates of a new report takes (PostgreSQL).

    .venv/bin/python -m bench.duplicates [--tickets 50000] [--per-day 2740] [--probes 200]
        [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--fresh]

It creates (or reuses) the database `hotline_bench_duplicates`, migrates it and fills it with
tickets spread over the province's wards at `--per-day` reports a day (2,740 a day is 1 M a
year: the density a city of 1 M reports a year has, so a ward and a window hold as many rows as
they would at 1 M), each with a random unit embedding. Then, for `--probes` random tickets, it
times the indexed candidate filter (`tickets.duplicates.candidates`) and the whole suggestion
(filter + vectorised score), and prints p50 and p95. Aim: the filter under 20 ms p50.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from sqlalchemy import create_engine, text

DB_NAME = "hotline_bench_duplicates"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--per-day", type=int, default=2_740)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument(
        "--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--fresh", action="store_true", help="drop and refill the database")
    args = parser.parse_args()

    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB_NAME}
        ).first()
        if exists and args.fresh:
            conn.execute(text(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    url = args.admin_url.rsplit("/", 1)[0] + "/" + DB_NAME
    os.environ["DATABASE_URL"] = url

    from sqlmodel import Session

    from core import migrations
    from core.db import make_engine
    from routing import service as routing_service
    from tickets import duplicates
    from tickets.models import Ticket

    migrations.upgrade(url=url)
    engine = make_engine(url)
    with Session(engine) as session:
        routing_service.load_default_data(session=session)
        session.commit()

    with engine.begin() as conn:
        count = conn.execute(text("SELECT count(*) FROM ticket")).scalar_one()
        if count < args.tickets:
            started = time.perf_counter()
            fill(conn, start=count, count=args.tickets - count, per_day=args.per_day)
            took = time.perf_counter() - started
            print(f"inserted {args.tickets - count:,} tickets in {took:.1f} s")
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE ticket"))
        conn.execute(text("VACUUM ANALYZE ticket_embedding"))
        total = conn.execute(text("SELECT count(*) FROM ticket")).scalar_one()
        ids = [r[0] for r in conn.execute(text("SELECT id FROM ticket ORDER BY random() LIMIT :n"),
                                          {"n": args.probes})]
    print(f"{total:,} tickets, {args.per_day:,} a day; {len(ids)} probes")

    filter_ms, suggest_ms, sizes = [], [], []
    with Session(engine) as session:
        for ticket_id in ids:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            started = time.perf_counter()
            pool = duplicates.candidates(session=session, ticket=ticket)
            filter_ms.append((time.perf_counter() - started) * 1000)
            duplicates.rank(session=session, ticket=ticket, pool=pool)
            suggest_ms.append((time.perf_counter() - started) * 1000)
            sizes.append(len(pool))
            session.expunge_all()
    print(f"candidates per report: median {statistics.median(sizes):.0f}, max {max(sizes)}")
    for name, values in (("candidate filter", filter_ms), ("filter + score", suggest_ms)):
        values.sort()
        print(f"{name}: p50 {values[len(values) // 2]:.1f} ms, "
              f"p95 {values[int(len(values) * 0.95)]:.1f} ms")
    engine.dispose()


def fill(conn, *, start: int, count: int, per_day: int) -> None:  # type: ignore[no-untyped-def]
    """Tickets in random wards and categories over count/per_day days up to now: 30% open,
    10% resolved, 60% closed; a random unit embedding each."""
    conn.execute(
        text(
            """
            WITH cats AS (
                SELECT id, default_agency_id, row_number() OVER (ORDER BY id) - 1 AS n,
                       count(*) OVER () AS total FROM category WHERE id <> 'other'
            ), wards AS (
                SELECT id, row_number() OVER (ORDER BY id) - 1 AS n, count(*) OVER () AS total
                FROM area
            ), series AS (
                SELECT g, now() - (random() * make_interval(secs => :secs)) AS at,
                       floor(random() * 100000)::int AS r
                FROM generate_series(:start + 1, :start + :count) AS g
            )
            INSERT INTO ticket (
                code, channel, language, state, description, area_id, anonymous, urgent,
                emergency, category_id, category_set_by, agency_id, created_at, updated_at,
                resolved_at, paused_seconds, ack_overdue, resolve_overdue, reopen_count,
                transfer_count, not_fixed_count)
            SELECT 'D' || lpad(g::text, 9, '0'), 'web', 'vi',
                   CASE WHEN g % 10 < 3 THEN 'routed' WHEN g % 10 = 3 THEN 'resolved'
                        ELSE 'closed' END,
                   'Benchmark report ' || g, w.id, false, false, false,
                   c.id, 'model', c.default_agency_id, s.at, s.at,
                   CASE WHEN g % 10 >= 3 THEN s.at + interval '1 day' END,
                   0, false, false, 0, 0, 0
            FROM series s
            JOIN cats c ON c.n = g % c.total
            JOIN wards w ON w.n = s.r % w.total
            """
        ),
        {"start": start, "count": count, "secs": max(1.0, count / per_day) * 86400.0},
    )
    rows = conn.execute(
        text("SELECT t.id FROM ticket t LEFT JOIN ticket_embedding e ON e.ticket_id = t.id "
             "WHERE e.ticket_id IS NULL")
    ).scalars().all()
    rng = np.random.default_rng(16)
    for begin in range(0, len(rows), 5000):
        chunk = rows[begin : begin + 5000]
        vectors = rng.standard_normal((len(chunk), 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        conn.execute(
            text("INSERT INTO ticket_embedding (ticket_id, model, vector, created_at) "
                 "VALUES (:id, 'bench', :v, now())"),
            [{"id": i, "v": v.tobytes()} for i, v in zip(chunk, vectors, strict=True)],
        )


if __name__ == "__main__":
    main()
