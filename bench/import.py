"""Import speed: the set-based importer against a naive loop that adds one ORM incident
(with its children) per row and commits it, on SQLite and on PostgreSQL.

    .venv/bin/python bench/import.py [--rows 100000] [--naive-rows 5000]

Both read the same demo CSV with the same row parser; only the storing differs. The naive
loop runs on the first --naive-rows rows (it is slow).
"""
from __future__ import annotations

import argparse
import csv
import tempfile
import time
from datetime import date
from pathlib import Path

from _common import DATABASES, available, bench_app, fresh_database, print_table
from flask import current_app

from tracker.exchange.cli import ProgressLine
from tracker.exchange.csv_format import parse_row
from tracker.exchange.demo import write_demo_csv
from tracker.exchange.importer import import_csv
from tracker.extensions import db
from tracker.incidents.data import SCALAR_FIELDS
from tracker.incidents.refs import allocate_refs
from tracker.models import Event, Incident, IncidentViolation, Perpetrator, Source, Victim


def set_based(path: Path) -> int:
    with ProgressLine() as progress:
        result = import_csv(path, progress=progress)
    assert result.ok, result.errors[:5]
    return result.stored


def naive(path: Path, total: int) -> int:
    """What an importer written like a web form does: one object graph and commit per row."""
    prefix, today, events = current_app.config["REF_PREFIX"], date.today(), {}
    with ProgressLine() as progress, path.open(encoding="utf-8", newline="") as handle:
        progress("naive", 0, total)
        for number, cells in enumerate(csv.DictReader(handle), 1):
            row, _ = parse_row(cells, number + 1, today)
            d = row.data
            incident = Incident(ref=allocate_refs(prefix, [d.date.year])[0], status=row.status,
                                **{name: getattr(d, name) for name in SCALAR_FIELDS})
            if d.event:
                incident.event = events.get(d.event) or events.setdefault(d.event, Event(name=d.event))
            incident.violations = [IncidentViolation(code=code) for code in d.violations]
            incident.victims = [Victim(position=i, **vars(v)) for i, v in enumerate(d.victims)]
            incident.perpetrators = [Perpetrator(position=i, **vars(p)) for i, p in enumerate(d.perpetrators)]
            incident.sources = [Source(position=i, **vars(s)) for i, s in enumerate(d.sources)]
            db.session.add(incident)
            db.session.commit()
            if number % 100 == 0 or number == total:
                progress("naive", number, total)
    return number


def rate(kind: str, workdir: Path, load) -> float:
    """Rows per second of `load()` on a fresh database of `kind`."""
    with fresh_database(kind, workdir) as url, bench_app(url, workdir):
        started = time.perf_counter()
        rows = load()
        return rows / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--naive-rows", type=int, default=5_000)
    args = parser.parse_args()
    naive_rows = min(args.naive_rows, args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        full, subset = workdir / "demo.csv", workdir / "subset.csv"
        for path, rows in ((full, args.rows), (subset, naive_rows)):
            with path.open("w", encoding="utf-8", newline="") as out:
                write_demo_csv(out, rows)
        table = []
        for kind in filter(available, DATABASES):
            print(f"{kind}: set-based import of {args.rows:,} rows, naive import of {naive_rows:,}")
            fast = rate(kind, workdir, lambda: set_based(full))
            slow = rate(kind, workdir, lambda: naive(subset, naive_rows))
            table.append([kind, args.rows, fast, naive_rows, slow, fast / slow])
    print()
    print_table(["database", "rows", "set-based rows/s", "naive rows", "naive rows/s", "speed-up"], table)


if __name__ == "__main__":
    main()
