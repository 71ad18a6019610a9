"""Data in and out at scale (issue 6), on SQLite and PostgreSQL: the export of --rows demo
incidents to CSV and GeoJSON, its time and its peak memory growth; and API pages of 100
incidents, first and deep (goal: ≤ 100 ms at 1,000,000 incidents).

    .venv/bin/python bench/exchange.py [--rows 100000]

Each export runs in a freshly spawned Python process on the loaded database, so memory the
load left behind cannot hide what the export needs. Peak RSS growth is the kernel's peak
resident size (VmHWM, reset just before the export starts) less the resident size at that
moment (Linux only). Goal: under 150 MB at 1,000,000 rows, whatever the row count.

Every measurement is a function taking the loaded database and returning its table rows;
MEASUREMENTS lists them, and each prints its own table.
"""
from __future__ import annotations

import argparse
import multiprocessing
import re
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import parse_qsl

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from _common import REVIEWER, bench_app, databases, demo_csv, loaded_app, print_table

from tracker.api.service import Cursor
from tracker.api.tokens import issue_token
from tracker.auth.service import find_user
from tracker.exchange.exporter import Export
from tracker.extensions import db
from tracker.filters import IncidentFilter, filtered_incidents, parse_filters
from tracker.models import Incident

EXPORT_FORMATS = ("csv", "geojson")
EXPORT_HEADERS = ["database", "format", "rows", "seconds", "rows/s", "file MB", "peak RSS growth MB"]


def export_measurements(kind: str, url: str, workdir: Path) -> list[list]:
    """Every incident exported to a file, as the command line does (full access)."""
    table = []
    for fmt in EXPORT_FORMATS:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
            rows, seconds, size, growth = fresh.submit(_export, url, workdir, fmt).result()
        table.append([kind, fmt, rows, seconds, rows / seconds, size / 2**20, growth / 2**20])
    return table


def _export(url: str, workdir: Path, fmt: str) -> tuple[int, float, int, int]:
    """(rows, seconds, file bytes, peak RSS growth in bytes) of one export, in this process."""
    path = workdir / f"export.{fmt}"
    with bench_app(url, workdir), path.open("wb") as out:
        start = _reset_peak_rss()
        started = time.perf_counter()
        rows = Export(fmt, IncidentFilter(), target=path.name).write_to(out)
        seconds = time.perf_counter() - started
        growth = _status_kb("VmHWM") * 1024 - start
    return rows, seconds, path.stat().st_size, growth


def _reset_peak_rss() -> int:
    """Reset the kernel's peak resident size to the current one, and return that (bytes)."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS") * 1024


def _status_kb(field: str) -> int:
    return int(re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M).group(1))


API_PAGE = 100
API_REPEAT = 7
# label -> (query, how far into the caller's incidents the page starts, as a fraction)
API_PAGES = {
    "first page": ("", 0.0),
    "middle (cursor)": ("", 0.5),
    "last (cursor)": ("", 1.0),
    "protection section, middle": ("section=protection", 0.5),
}
API_HEADERS = ["database", "caller", "page", "depth", "API ms", "list's OFFSET page ms"]


def api_measurements(kind: str, url: str, workdir: Path) -> list[list]:
    """Median ms of /api/v1/incidents pages of 100 through the Flask test client, for a
    reviewer's token and for anonymous callers, at the first page and at cursors deep in the
    list. Beside it, the baseline: the same page fetched as the incident list's view does, by
    OFFSET (its query and ORM objects only, no HTTP or HTML), whose cost grows with the depth."""
    with bench_app(url, workdir) as app:
        reviewer = find_user(REVIEWER)
        token = issue_token(reviewer, "bench").plaintext
        client = app.test_client()
        table = []
        for caller, user, headers in (("reviewer", reviewer, {"Authorization": f"Bearer {token}"}),
                                      ("anonymous", None, {})):
            for label, (query, fraction) in API_PAGES.items():
                filters, _errors = parse_filters(MultiDict(parse_qsl(query)))
                listed = filtered_incidents(filters, user)
                total = db.session.scalar(sa.select(sa.func.count()).select_from(listed.subquery()))
                depth = min(int(total * fraction), max(total - API_PAGE, 0))
                path = f"/api/v1/incidents?{query}&limit={API_PAGE}" + _cursor_at(listed, depth)
                offset_page = listed.options(selectinload(Incident.violations)).offset(depth).limit(API_PAGE)
                table.append([kind, caller, label, depth,
                              _median_ms(lambda: _get_ok(client, path, headers)),
                              _median_ms(lambda: db.session.scalars(offset_page).all())])
        return table


def _cursor_at(listed: sa.Select, depth: int) -> str:
    """`&cursor=…` that starts a page after the first `depth` incidents of `listed` (newest first)."""
    if depth == 0:
        return ""
    day, incident_id = db.session.execute(listed.with_only_columns(Incident.date, Incident.id)
                                          .offset(depth - 1).limit(1)).one()
    return f"&cursor={Cursor('date_desc', day, incident_id).encode()}"


def _get_ok(client, path: str, headers: dict) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 200 and len(response.json["items"]) <= API_PAGE, path


def _median_ms(work) -> float:
    work()  # warm-up
    samples = []
    for _ in range(API_REPEAT):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
        db.session.expire_all()
    return statistics.median(samples)


# title, table headers, measurement
MEASUREMENTS = [
    ("Export of every incident", EXPORT_HEADERS, export_measurements),
    ("API pages of 100 incidents", API_HEADERS, api_measurements),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    tables: list[list[list]] = [[] for _ in MEASUREMENTS]
    with demo_csv(args.rows) as (workdir, csv_path):
        for kind in databases():
            print(f"{kind}: loading {args.rows:,} demo incidents")
            with loaded_app(kind, workdir, csv_path) as app:
                url = app.config["SQLALCHEMY_DATABASE_URI"]
                for table, (title, _headers, measure) in zip(tables, MEASUREMENTS):
                    print(f"{kind}: {title.lower()}")
                    table += measure(kind, url, workdir)
    for table, (title, headers, _measure) in zip(tables, MEASUREMENTS):
        print(f"\n{title} ({args.rows:,} demo incidents)")
        print_table(headers, table)


if __name__ == "__main__":
    main()
