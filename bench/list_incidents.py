"""Incident list pages with many incidents: milliseconds per page on SQLite and PostgreSQL,
with the schema's indexes and, as the naive baseline, without the filter indexes (only the
foreign-key indexes that the child-table look-ups need are kept).

    .venv/bin/python bench/list_incidents.py [--rows 1000000]

The demo incidents are loaded with the set-based importer; the pages are requested through
the Flask test client by a logged-in reviewer (who sees every incident). Each time is the
median of 7 requests after one warm-up request.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from _common import DATABASES, available, bench_app, fresh_database, print_table

from tracker.auth.service import create_user
from tracker.exchange.cli import ProgressLine
from tracker.exchange.demo import write_demo_csv
from tracker.exchange.importer import import_csv
from tracker.extensions import db
from tracker.models import Incident, IncidentViolation, Perpetrator, Source, Victim

PAGES = {
    "verified in Puno, 2023": "/incidents/?status=verified&admin1=Puno&from=2023-01-01&to=2023-12-31",
    "all, newest first": "/incidents/",
    "assembly (1.2), protest wave": "/incidents/?section=1.2&from=2022-12-01&to=2023-03-31",
    "protection, environmental defenders": "/incidents/?section=protection&victim_group=environmental_defender",
    "killings by illegal mining": "/incidents/?violation=killing&perpetrator=illegal_mining",
    "text 'periodista' in Lima": "/incidents/?q=periodista&admin1=Lima",
    "page 200, oldest first": "/incidents/?sort=date_asc&page=200",
}
REPEAT = 7
PASSWORD = "bench-password-42"


def page_times(app) -> dict[str, float]:
    """Median milliseconds per page for a logged-in reviewer."""
    client = app.test_client()
    login = client.post("/auth/login", data={"email": "bench-reviewer@example.org", "password": PASSWORD})
    assert login.status_code == 302, "login failed"
    times = {}
    for label, url in PAGES.items():
        assert client.get(url).status_code == 200, url
        samples = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
        times[label] = statistics.median(samples)
    return times


def drop_filter_indexes() -> None:
    """Drop every secondary index but those on a single foreign-key column."""
    db.session.commit()
    db.session.close()  # PostgreSQL: no open transaction may hold the tables
    for model in (Incident, IncidentViolation, Victim, Perpetrator, Source):
        for index in model.__table__.indexes:
            columns = list(index.columns)
            if not (len(columns) == 1 and columns[0].foreign_keys):
                index.drop(db.engine)
    analyze()


def analyze() -> None:
    """Fresh planner statistics after bulk changes (autovacuum may not have run yet)."""
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def measure(kind: str, workdir: Path, csv_path: Path) -> tuple[dict, dict]:
    with fresh_database(kind, workdir) as url, bench_app(url, workdir) as app:
        with ProgressLine() as progress:
            result = import_csv(csv_path, progress=progress)
        assert result.ok, result.errors[:5]
        create_user("bench-reviewer@example.org", "reviewer", PASSWORD)
        analyze()
        indexed = page_times(app)
        drop_filter_indexes()
        return indexed, page_times(app)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    columns, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "demo.csv"
        print(f"Generating {args.rows:,} demo incidents…")
        with csv_path.open("w", encoding="utf-8", newline="") as out:
            write_demo_csv(out, args.rows)
        for kind in filter(available, DATABASES):
            print(f"{kind}: loading and timing")
            results.extend(measure(kind, workdir, csv_path))
            columns += [f"{kind} ms", f"{kind} no filter indexes"]
    print(f"\n{args.rows:,} incidents; median of {REPEAT} requests, milliseconds")
    print_table(["page", *columns], [[label, *(r[label] for r in results)] for label in PAGES])


if __name__ == "__main__":
    main()
