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
import time
from pathlib import Path

from _common import analyze, databases, demo_csv, loaded_app, print_table, reviewer_client

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


def page_times(app) -> dict[str, float]:
    """Median milliseconds per page for a logged-in reviewer."""
    client = reviewer_client(app)
    times = {}
    for label, url in PAGES.items():
        assert client.get(url).status_code == 200, url
        samples = []
        for _repeat in range(REPEAT):
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


def measure(kind: str, workdir: Path, csv_path: Path) -> tuple[dict, dict]:
    with loaded_app(kind, workdir, csv_path, reusable=False) as app:  # drops indexes
        indexed = page_times(app)
        drop_filter_indexes()
        return indexed, page_times(app)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    columns, results = [], []
    with demo_csv(args.rows) as (workdir, csv_path):
        for kind in databases():
            print(f"{kind}: loading and timing")
            results.extend(measure(kind, workdir, csv_path))
            columns += [f"{kind} ms", f"{kind} no filter indexes"]
    print(f"\n{args.rows:,} incidents; median of {REPEAT} requests, milliseconds")
    print_table(["page", *columns], [[label, *(r[label] for r in results)] for label in PAGES])


if __name__ == "__main__":
    main()
