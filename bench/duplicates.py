"""How long finding the likely duplicates of a new report takes at 1 M tickets (PostgreSQL).

    .venv/bin/python bench/duplicates.py            # or: .venv/bin/python -m bench.duplicates
        [--tickets 1000000] [--per-day 2740] [--probes 200] [--fresh] [--explain]
        [--server postgresql+psycopg://postgres@127.0.0.1:5432]

Run from the repository root; no PYTHONPATH needed. It creates (or reuses, unless `--fresh`) its
own database `hotline_bench_duplicates` (never the `test` database), migrates it and fills it
with SQL alone (`generate_series`, one INSERT ... SELECT; about a minute per million):

- `--tickets` reports at `--per-day` a day up to now (2,740 a day: 1 M reports in a year),
  written in the order they were filed (as the table grows in production);
- wards weighted (urban wards about 4 times a commune, each ward's weight log-normal), the
  categories weighted likewise, 40% with coordinates near the ward's centre;
- the state by age (a week old: 60% open, 20% resolved; a month: 30% and 20%; older: 5% and
  5%; the rest closed); 1 in 40 merged into the report before it;
- descriptions from templates naming real street names, each with its own house number (so
  no two are equal and no cache of place keys helps);
- an embedding per ticket as the code stores it (`ticket_embedding`: float32 bytes, unit length,
  the model name `classify.embedding.model_name()`, the description's place keys); random unit
  vectors, 4,096 distinct, so the seeding stays in SQL. They time the lookup and the dot
  product, not the model. `--no-places` clears the stored place keys first (rows embedded
  before they were stored: the score then tokenises every candidate).

Each probe is a *new* report (filed now, a weighted ward and category, 40% with coordinates,
embedded) added in a transaction that is rolled back at the end. It times the candidate filter
(`tickets.duplicates.candidates`) and the whole suggestion the staff page asks for
(`likely_duplicates`: filter + vectorised score) and prints p50 and p95. Aim: filter p50 under
20 ms. `--explain` prints EXPLAIN (ANALYZE, BUFFERS) of one probe's filter.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `python bench/duplicates.py` puts bench/ first, whose places.py would hide the places package
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

DB_NAME = "hotline_bench_duplicates"
POOL = 4096  # distinct stored vectors
STREETS = (
    "Nguyễn Oanh", "Lê Lợi", "Điện Biên Phủ", "Cách Mạng Tháng Tám", "Nguyễn Trãi",
    "Lý Thường Kiệt", "Phan Văn Trị", "Quang Trung", "Hai Bà Trưng", "Võ Văn Tần",
    "Trường Chinh", "Cộng Hòa", "Nguyễn Văn Linh", "Phạm Văn Đồng", "Lê Văn Sỹ",
    "Xô Viết Nghệ Tĩnh", "Nguyễn Thị Minh Khai", "Trần Hưng Đạo", "Bạch Đằng", "Lê Quang Định",
)
TEMPLATES = (
    "Ổ gà lớn trên đường {s} gần số {n}, xe máy rất dễ ngã",
    "Đèn đường trên đường {s} đoạn gần số {n} bị hỏng mấy hôm nay",
    "Rác thải đổ bừa bãi ở hẻm {n} đường {s}, bốc mùi hôi",
    "Nước ngập sâu trên đường {s} sau cơn mưa, cống số {n} bị tắc",
    "Cây xanh trên đường {s} gần số {n} nghiêng, có nguy cơ đổ",
    "Karaoke ồn ào đến khuya ở số {n} đường {s}",
    "Mất nước từ sáng ở khu vực đường {s} số {n}",
    "Pothole on {s} street near number {n}, dangerous for motorbikes",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--per-day", type=int, default=2_740)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--fresh", action="store_true", help="drop and refill the database")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE one probe")
    parser.add_argument("--no-places", action="store_true",
                        help="clear the stored place keys (as rows embedded before them)")
    args = parser.parse_args()

    admin = create_engine(f"{args.server}/postgres", isolation_level="AUTOCOMMIT")
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
    url = f"{args.server}/{DB_NAME}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("ENVIRONMENT", "development")

    from sqlmodel import Session

    from core import migrations
    from core.db import make_engine
    from routing import service as routing_service

    migrations.upgrade(url=url)
    engine = make_engine(url)
    with Session(engine) as session:
        routing_service.load_default_data(session=session)
        session.commit()

    with engine.begin() as conn:
        count = conn.execute(text("SELECT count(*) FROM ticket")).scalar_one()
        if count < args.tickets:
            started = time.perf_counter()
            fill(conn, count=args.tickets - count, per_day=args.per_day)
            print(f"inserted {args.tickets - count:,} tickets and their embeddings in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
    if args.no_places:
        with engine.begin() as conn:
            conn.execute(text("UPDATE ticket_embedding SET places = NULL"))
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE ticket"))
        conn.execute(text("VACUUM ANALYZE ticket_embedding"))
        total = conn.execute(text("SELECT count(*) FROM ticket")).scalar_one()
        days = conn.execute(
            text("SELECT extract(epoch FROM max(created_at) - min(created_at)) / 86400 "
                 "FROM ticket")
        ).scalar_one()
    print(f"{total:,} tickets over {float(days or 0):.0f} days; {args.probes} probes "
          "(new reports, filed now)", flush=True)
    probe(engine, probes=args.probes, explain=args.explain)
    engine.dispose()


def probe(engine, *, probes: int, explain: bool) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import Session

    from classify import embedding
    from core.clock import utcnow
    from tickets import duplicates
    from tickets.models import Ticket

    rng = random.Random(17)
    vectors = np.random.default_rng(17).standard_normal((probes, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with Session(engine) as session:
        wards = session.execute(text(
            "SELECT area_id, lat, lon FROM bench_ward ORDER BY n")).all()
        categories = session.execute(text(
            "SELECT category_id FROM bench_category ORDER BY n")).scalars().all()
        now = utcnow()
        tickets = []
        for index in range(probes):
            area_id, lat, lon = rng.choice(wards)
            coordinates = lat is not None and rng.random() < 0.4
            ticket = Ticket(
                code=f"P{index:09d}", channel="web", language="vi", state="routed",
                description=rng.choice(TEMPLATES).format(s=rng.choice(STREETS),
                                                         n=rng.randint(1, 300)),
                area_id=area_id, category_id=rng.choice(categories), category_set_by="model",
                latitude=lat + rng.uniform(-0.005, 0.005) if coordinates else None,
                longitude=lon + rng.uniform(-0.005, 0.005) if coordinates else None,
                created_at=now - timedelta(seconds=index), updated_at=now,
            )
            session.add(ticket)
            tickets.append(ticket)
        session.flush()
        for ticket, vector in zip(tickets, vectors, strict=True):
            assert ticket.id is not None
            duplicates.store_vector(session=session, ticket_id=ticket.id, vector=vector,
                                    model=embedding.model_name(),
                                    places=duplicates.place_keys(ticket.description))
        if explain:
            query = duplicates.candidate_query(tickets[0])
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            plan = session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars()
            print("\n".join(plan))
        filter_ms, suggest_ms, sizes, found = [], [], [], []
        for ticket in tickets:
            started = time.perf_counter()
            pool = duplicates.candidates(session=session, ticket=ticket)
            filter_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            matches = duplicates.likely_duplicates(session=session, ticket=ticket)
            suggest_ms.append((time.perf_counter() - started) * 1000)
            sizes.append(len(pool))
            found.append(len(matches))
        session.rollback()
    print(f"candidates per report: median {statistics.median(sizes):.0f}, "
          f"max {max(sizes)}; suggestions per report: median {statistics.median(found):.0f}")
    for name, values in (("candidate filter", filter_ms), ("filter + score", suggest_ms)):
        values.sort()
        print(f"{name}: p50 {values[len(values) // 2]:.1f} ms, "
              f"p95 {values[int(len(values) * 0.95)]:.1f} ms", flush=True)


def fill(conn, *, count: int, per_day: int) -> None:  # type: ignore[no-untyped-def]
    """`count` more tickets over count/per_day days up to now, and their embeddings."""
    from classify import embedding
    from tickets import duplicates

    rng = np.random.default_rng(16)
    wards = conn.execute(text("SELECT id, kind, lat, lon FROM area ORDER BY id")).all()
    categories = conn.execute(
        text("SELECT id, default_agency_id FROM category WHERE id <> 'other' ORDER BY id")
    ).all()
    # weighted picks in SQL: each ward (category) owns a number of slots by its weight
    conn.execute(text("DROP TABLE IF EXISTS bench_ward, bench_category, bench_vector"))
    conn.execute(text("CREATE TABLE bench_ward (n int PRIMARY KEY, area_id text, lat float8, "
                      "lon float8)"))
    conn.execute(text("CREATE TABLE bench_category (n int PRIMARY KEY, category_id text, "
                      "agency_id text)"))
    conn.execute(text("CREATE TABLE bench_vector (n int PRIMARY KEY, vector bytea)"))
    slots = []
    for ward_id, kind, lat, lon in wards:
        weight = (4.0 if kind == "ward" else 1.0) * rng.lognormal(0.0, 0.5)
        slots += [(ward_id, lat, lon)] * max(1, round(weight * 10))
    conn.execute(
        text("INSERT INTO bench_ward VALUES (:n, :a, :lat, :lon)"),
        [{"n": n, "a": a, "lat": lat, "lon": lon} for n, (a, lat, lon) in enumerate(slots)],
    )
    slots = []
    for category_id, agency_id in categories:
        slots += [(category_id, agency_id)] * max(1, round(rng.lognormal(0.0, 0.7) * 10))
    conn.execute(
        text("INSERT INTO bench_category VALUES (:n, :c, :a)"),
        [{"n": n, "c": c, "a": a} for n, (c, a) in enumerate(slots)],
    )
    vectors = rng.standard_normal((POOL, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    conn.execute(text("INSERT INTO bench_vector VALUES (:n, :v)"),
                 [{"n": n, "v": v.tobytes()} for n, v in enumerate(vectors)])
    start = conn.execute(text("SELECT coalesce(max(id), 0) FROM ticket")).scalar_one()
    conn.execute(
        text(
            """
            WITH series AS (
                SELECT g,
                       least(now(), now() - make_interval(
                           secs => :secs * (1 - (g - :start)::float8 / :count))
                           + (random() - 0.5) * interval '20 minutes') AS at,
                       floor(random() * (SELECT count(*) FROM bench_ward))::int AS w,
                       floor(random() * (SELECT count(*) FROM bench_category))::int AS c,
                       random() AS s, random() AS xy
                FROM generate_series(:start + 1, :start + :count) AS g
            ), aged AS (
                SELECT series.*, now() - at AS age FROM series
            )
            INSERT INTO ticket (
                id, code, channel, language, state, description, area_id, latitude, longitude,
                anonymous, urgent, emergency, category_id, category_set_by, agency_id,
                created_at, updated_at, routed_at, resolved_at, closed_at, paused_seconds,
                ack_overdue, resolve_overdue, reopen_count, transfer_count, not_fixed_count)
            SELECT g, 'D' || lpad(g::text, 9, '0'),
                   CASE WHEN g % 5 = 0 THEN 'sms' ELSE 'web' END, 'vi', st.state,
                   replace(replace((CAST(:templates AS text[]))[1 + g % :ntemplates], '{s}',
                                   (CAST(:streets AS text[]))[1 + (g / 7) % :nstreets]),
                           '{n}', g::text),
                   w.area_id,
                   CASE WHEN xy < 0.4 AND w.lat IS NOT NULL
                        THEN w.lat + (random() - 0.5) * 0.02 END,
                   CASE WHEN xy < 0.4 AND w.lat IS NOT NULL
                        THEN w.lon + (random() - 0.5) * 0.02 END,
                   false, false, false, c.category_id, 'model', c.agency_id,
                   at, at, at,
                   CASE WHEN st.state IN ('resolved', 'closed')
                        THEN least(now(), at + random() * interval '10 days') END,
                   CASE WHEN st.state = 'closed'
                        THEN least(now(), at + interval '10 days') END,
                   0, false, false, 0, 0, 0
            FROM aged
            JOIN bench_ward w ON w.n = aged.w
            JOIN bench_category c ON c.n = aged.c
            CROSS JOIN LATERAL (SELECT CASE
                WHEN age < interval '7 days' THEN
                    CASE WHEN s < 0.6 THEN 'routed' WHEN s < 0.8 THEN 'resolved'
                         ELSE 'closed' END
                WHEN age < interval '30 days' THEN
                    CASE WHEN s < 0.3 THEN 'in_progress' WHEN s < 0.5 THEN 'resolved'
                         ELSE 'closed' END
                ELSE CASE WHEN s < 0.05 THEN 'in_progress' WHEN s < 0.1 THEN 'resolved'
                          ELSE 'closed' END
                END AS state) st
            """
        ),
        {"start": start, "count": count, "secs": max(1.0, count / per_day) * 86400.0,
         "templates": list(TEMPLATES), "ntemplates": len(TEMPLATES),
         "streets": list(STREETS), "nstreets": len(STREETS)},
    )
    conn.execute(text("SELECT setval(pg_get_serial_sequence('ticket', 'id'), "
                      "(SELECT max(id) FROM ticket))"))
    # 1 in 40 merged into the report before it (closed as its duplicate)
    conn.execute(
        text("UPDATE ticket SET duplicate_of_id = id - 1, state = 'closed', "
             "closed_at = coalesce(closed_at, created_at) "
             "WHERE id > :start + 1 AND id % 40 = 0"),
        {"start": start},
    )
    # the place keys as the worker stores them: a description's keys come from its template
    # and street (the house number names no place)
    conn.execute(text("DROP TABLE IF EXISTS bench_places"))
    conn.execute(text("CREATE TABLE bench_places (t int, s int, places text, "
                      "PRIMARY KEY (t, s))"))
    conn.execute(
        text("INSERT INTO bench_places VALUES (:t, :s, :p)"),
        [{"t": t, "s": s, "p": duplicates.keys_to(duplicates.place_keys(
            template.format(s=street, n=1)))}
         for t, template in enumerate(TEMPLATES) for s, street in enumerate(STREETS)],
    )
    conn.execute(
        text("INSERT INTO ticket_embedding (ticket_id, model, vector, places, created_at) "
             "SELECT t.id, :model, v.vector, p.places, t.created_at FROM ticket t "
             "JOIN bench_vector v ON v.n = t.id % :pool "
             "JOIN bench_places p ON p.t = t.id % :ntemplates "
             "AND p.s = (t.id / 7) % :nstreets WHERE t.id > :start"),
        {"model": embedding.model_name(), "pool": POOL, "start": start,
         "ntemplates": len(TEMPLATES), "nstreets": len(STREETS)},
    )


if __name__ == "__main__":
    main()
