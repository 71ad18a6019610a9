"""The cost of one create as a year fills up: --creates drafts saved one after another through
the incident service (reference, version, audit, commit) in a year already holding 0, 10,000
and 1,000,000 incidents (--sizes), on SQLite and PostgreSQL. The year is filled by one
INSERT … SELECT of bare incidents and its reference counter set as migration 0007 would.
Baseline: what allocating a reference cost before the counters, reading every reference of
the year to find the highest, timed alone at the same sizes. Goal: the create's p50 and max
do not grow with the year.

    .venv/bin/python bench/create_latency.py [--sizes 0,10000,1000000] [--creates 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from _common import bench_app, databases, fresh_database, print_table

from tracker.auth.service import create_user
from tracker.console import ProgressLine
from tracker.extensions import db
from tracker.incidents.data import IncidentData, VictimData
from tracker.incidents.service import create_incident
from tracker.models import Incident, RefCounter

YEAR = 2024
FILL_BATCH = 100_000

# One bare incident per number n of a series, on a day of YEAR: only what has no default. (Constant text, no input:
# the S608 warnings below do not apply.)
_INSERT = (
    "INSERT INTO incidents (ref, title, description, date, date_precision, place, geo_precision, country, admin1, "
    "admin2, admin3, status, confidence, visibility, public_location, consent, created_at, updated_at, version) "
)
_FILL = {
    "postgresql": _INSERT  # noqa: S608
    + "SELECT 'PE-{year}-' || lpad(n::text, greatest(5, length(n::text)), '0'), 'Bench incident', '', "
    "DATE '{year}-01-01' + (n % 365), 'day', '', 'region', 'PE', 'Lima', '', '', 'draft', 'unknown', 'internal', "
    "'admin1', false, now(), now(), 1 FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS n",
    "sqlite": "WITH RECURSIVE s(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM s WHERE n < :last) "  # noqa: S608
    + _INSERT
    + "SELECT 'PE-{year}-' || printf('%05d', n), 'Bench incident', '', date('{year}-01-01', '+' || (n % 365) || "
    "' days'), 'day', '', 'region', 'PE', 'Lima', '', '', 'draft', 'unknown', 'internal', 'admin1', 0, "
    "datetime('now'), datetime('now'), 1 FROM s",
}


def _fill_to(size: int) -> None:
    """Add bench incidents to YEAR until it holds `size` of them, with the counter past them."""
    have = db.session.scalar(sa.select(RefCounter.last).where(RefCounter.year == YEAR)) or 0
    statement = sa.text(_FILL[db.engine.dialect.name].format(year=YEAR))
    with ProgressLine() as progress:
        progress("filling", 0, size)
        for first in range(have + 1, size + 1, FILL_BATCH):
            db.session.execute(statement, {"first": first, "last": min(first + FILL_BATCH - 1, size)})
            db.session.commit()
            progress("filling", min(first + FILL_BATCH - 1, size), size)
    if size > have:
        db.session.merge(RefCounter(prefix="PE", year=YEAR, last=size))
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def _naive_allocation() -> int:
    """The highest sequence of the year, found as the allocator did before the counters."""
    refs = db.session.scalars(sa.select(Incident.ref).where(Incident.ref.like(f"PE-{YEAR}-%")))
    return max((int(ref.rpartition("-")[2]) for ref in refs), default=0) + 1


def _timed(action, times: int) -> list[float]:
    seconds = []
    for _n in range(times):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def _run(kind: str, sizes: list[int], creates: int) -> list[list]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, fresh_database(kind, Path(tmp)) as url, bench_app(url, Path(tmp)):
        monitor = create_user("bench-monitor@example.org", "monitor", "bench-password-42")
        db.session.commit()
        data = IncidentData(
            title="Amenaza a defensora", date=date(YEAR, 6, 1), violations=["threat"], victims=[VictimData("hrd")]
        )
        for size in sizes:
            _fill_to(size)
            print(f"{kind}: {creates} creates in a year of {size:,} incidents …", file=sys.stderr)
            create = _timed(lambda: create_incident(data, monitor), creates)
            naive = _timed(_naive_allocation, min(creates, 20))
            rows.append(
                [
                    kind,
                    size,
                    statistics.median(create) * 1000,
                    max(create) * 1000,
                    statistics.median(naive) * 1000,
                    max(naive) * 1000,
                ]
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="0,10000,1000000", help="incidents already in the year, comma-separated")
    parser.add_argument("--creates", type=int, default=200)
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    rows = [row for kind in databases() for row in _run(kind, sizes, args.creates)]
    print_table(
        ["database", "incidents in the year", "create p50 ms", "create max ms", "naive ref read p50 ms"]
        + ["naive max ms"],
        rows,
    )


if __name__ == "__main__":
    main()
