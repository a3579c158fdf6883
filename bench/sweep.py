"""How long one deadline sweep takes on a million open tickets (PostgreSQL).

    .venv/bin/python bench/sweep.py [--tickets 1000000] [--due 0]
        [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

It creates (or reuses) the database `hotline_bench_sweep`, migrates it, fills it with open
tickets routed during the last four hours (so nothing is due), runs the sweep three times and
prints the timings. With --due N, N more tickets are made due for a reminder and N for an
escalation, and the sweep that handles them is timed too. Aim: well under a second when
nothing is due.
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import create_engine, text

DB_NAME = "hotline_bench_sweep"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=0)
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

    import os

    os.environ["DATABASE_URL"] = url
    from sqlmodel import Session

    from core import migrations
    from core.db import make_engine
    from routing import service as routing_service
    from tickets import sweeps

    migrations.upgrade(url=url)
    engine = make_engine(url)
    with Session(engine) as session:
        routing_service.load_default_data(session=session)
        session.commit()

    with engine.begin() as conn:
        count = conn.execute(text("SELECT count(*) FROM ticket")).scalar_one()
        if count < args.tickets:
            started = time.perf_counter()
            fill(conn, start=count, count=args.tickets - count)
            took = time.perf_counter() - started
            print(f"inserted {args.tickets - count:,} tickets in {took:.1f} s")
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE ticket"))
    with engine.connect() as conn:
        open_count = conn.execute(
            text(
                "SELECT count(*) FROM ticket WHERE state IN ('routed','acknowledged','in_progress')"
            )
        ).scalar_one()
    print(f"{open_count:,} open tickets")

    for attempt in range(3):
        with Session(engine) as session:
            started = time.perf_counter()
            report = sweeps.sweep_deadlines(session=session)
            elapsed = time.perf_counter() - started
        print(f"sweep {attempt + 1} (nothing due): {elapsed * 1000:.0f} ms {report.counts}")

    if args.due:
        with engine.begin() as conn:
            make_due(conn, args.due)
        with Session(engine) as session:
            started = time.perf_counter()
            report = sweeps.sweep_deadlines(session=session)
            elapsed = time.perf_counter() - started
        print(f"sweep with {args.due:,} due of each kind: {elapsed:.2f} s {report.counts}")
        with Session(engine) as session:
            started = time.perf_counter()
            report = sweeps.sweep_deadlines(session=session)
            elapsed = time.perf_counter() - started
        print(f"the next sweep: {elapsed * 1000:.0f} ms {report.counts}")
    engine.dispose()


def fill(conn, *, start: int, count: int) -> None:  # type: ignore[no-untyped-def]
    """Open tickets routed in the last 4 hours; 20% routed, 40% acknowledged, 40% in progress."""
    conn.execute(
        text(
            """
            WITH cats AS (
                SELECT id, default_agency_id, acknowledge_hours, resolve_working_days,
                       row_number() OVER (ORDER BY id) - 1 AS n, count(*) OVER () AS total
                FROM category WHERE id <> 'other'
            ), series AS (
                SELECT g, now() - (random() * interval '4 hours') AS routed
                FROM generate_series(:start + 1, :start + :count) AS g
            )
            INSERT INTO ticket (
                code, channel, language, state, description, anonymous, urgent, emergency,
                category_id, category_set_by, agency_id, created_at, updated_at, routed_at,
                ack_due_at, acknowledged_at, resolve_due_at, paused_seconds, ack_overdue,
                resolve_overdue, reopen_count, transfer_count)
            SELECT 'B' || lpad(g::text, 9, '0'), 'web', 'vi',
                   CASE WHEN g % 5 = 0 THEN 'routed' WHEN g % 5 IN (1, 2) THEN 'acknowledged'
                        ELSE 'in_progress' END,
                   'Benchmark ticket ' || g, false, false, false,
                   c.id, 'model', c.default_agency_id, s.routed, s.routed, s.routed,
                   s.routed + make_interval(hours => c.acknowledge_hours),
                   CASE WHEN g % 5 = 0 THEN NULL ELSE s.routed END,
                   s.routed + make_interval(days => (c.resolve_working_days * 7 + 4) / 5),
                   0, false, false, 0, 0
            FROM series s JOIN cats c ON c.n = g % c.total
            """
        ),
        {"start": start, "count": count},
    )


def make_due(conn, n: int) -> None:  # type: ignore[no-untyped-def]
    """n acknowledged tickets at 80% of their time, n routed tickets past their deadline."""
    conn.execute(
        text(
            """
            UPDATE ticket SET routed_at = now() - interval '8 days',
                   resolve_due_at = now() + interval '2 days'
            WHERE id IN (SELECT id FROM ticket WHERE state = 'acknowledged'
                         AND resolve_reminded_at IS NULL ORDER BY id LIMIT :n)
            """
        ),
        {"n": n},
    )
    conn.execute(
        text(
            """
            UPDATE ticket SET ack_due_at = now() - interval '1 minute'
            WHERE id IN (SELECT id FROM ticket WHERE state = 'routed'
                         AND ack_escalated_at IS NULL ORDER BY id DESC LIMIT :n)
            """
        ),
        {"n": n},
    )


if __name__ == "__main__":
    main()
