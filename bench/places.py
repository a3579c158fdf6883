"""Benchmark of the place reader: what reading the place adds to filing one report.

The door reads the place once per report that comes without a ward, in the web process, so the
figure that matters is the time of one ``read`` on a realistic text: p50, p90, p99 over the
labelled texts (short SMS to long letters), over long descriptions (5,000 characters, the most a
report may hold), and the one-time cost of building the gazetteer in a process.

    .venv/bin/python bench/places.py [--runs N] [--json] [--filing N]

``--filing N`` also files N reports through the intake door on a scratch SQLite database (migrated
and loaded here), each text once with its ward already chosen and once without, and prints the
p50 difference: what reading the place (and keeping the reading) adds to filing a report.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# this file is named like the room it measures: import the room, not this script
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _times(reader: object, texts: list[str], runs: int) -> list[float]:
    read = reader.read  # type: ignore[attr-defined]
    times = []
    for _ in range(runs):
        for text in texts:
            started = time.perf_counter()
            read(text)
            times.append(time.perf_counter() - started)
    return times


def _figures(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(1000 * statistics.median(times), 3),
        "p90_ms": round(1000 * _quantile(times, 0.90), 3),
        "p99_ms": round(1000 * _quantile(times, 0.99), 3),
        "max_ms": round(1000 * max(times), 3),
    }


def _filing(count: int, texts: list[str]) -> dict[str, float]:
    import os
    import tempfile

    folder = tempfile.mkdtemp(prefix="bench-places-")
    url = f"sqlite:///{folder}/bench.db"
    os.environ["DATABASE_URL"] = url
    from sqlmodel import Session

    from core import migrations
    from core.db import make_engine
    from intake import filing
    from routing import service as routing_service
    from tickets.service import NewReport

    migrations.upgrade(url=url)
    engine = make_engine(url)
    with Session(engine) as session:
        routing_service.load_default_data(session=session)
        session.commit()
    with_ward, without = [], []
    with Session(engine) as session:
        for number in range(count):
            text = texts[number % len(texts)]
            for bucket, area in ((with_ward, "26743"), (without, None)):
                report = NewReport(description=text, channel="web", area_id=area)
                started = time.perf_counter()
                filing.file_report(session=session, report=report)
                bucket.append(time.perf_counter() - started)
            if number % 50 == 49:
                session.commit()
        session.commit()
    engine.dispose()
    return {
        "reports": count,
        "file_with_ward_p50_ms": round(1000 * statistics.median(with_ward), 3),
        "file_without_ward_p50_ms": round(1000 * statistics.median(without), 3),
        "added_p50_ms": round(1000 * (statistics.median(without) - statistics.median(with_ward)),
                              3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="passes over the texts")
    parser.add_argument("--province", type=int, default=79)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--filing", type=int, default=0,
                        help="also time N reports filed through the door (scratch SQLite)")
    args = parser.parse_args(argv)

    from places import evaluate, gazetteer
    from places.reader import PlaceReader

    started = time.perf_counter()
    reader = PlaceReader(gazetteer.load(args.province))
    load_seconds = time.perf_counter() - started

    texts = [row["text"] for row in evaluate.load()]
    long_texts = [(text + " ") * (5000 // (len(text) + 1)) for text in texts[::20]]
    _times(reader, texts[:20], 1)  # warm-up
    figures = {
        "gazetteer_load_seconds": round(load_seconds, 3),
        "texts": len(texts),
        "runs": args.runs,
        "labelled_texts": _figures(_times(reader, texts, args.runs)),
        "long_texts_5000_chars": _figures(_times(reader, long_texts, max(1, args.runs // 4))),
        "target_p50_ms": 5.0,
    }
    if args.filing:
        figures["filing"] = _filing(args.filing, texts)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"gazetteer load (once per process)  {figures['gazetteer_load_seconds']:.3f} s")
    for name in ("labelled_texts", "long_texts_5000_chars"):
        f = figures[name]
        assert isinstance(f, dict)
        print(f"read, {name:<22} p50 {f['p50_ms']:.3f} ms  p90 {f['p90_ms']:.3f} ms  "
              f"p99 {f['p99_ms']:.3f} ms  max {f['max_ms']:.3f} ms")
    if args.filing:
        f = figures["filing"]
        assert isinstance(f, dict)
        print(f"filing {f['reports']} reports (SQLite): with a ward p50 "
              f"{f['file_with_ward_p50_ms']:.3f} ms, without (read) p50 "
              f"{f['file_without_ward_p50_ms']:.3f} ms: added {f['added_p50_ms']:.3f} ms")
    print(f"target: p50 under {figures['target_p50_ms']} ms added to filing a report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
