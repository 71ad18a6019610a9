"""Data in and out at scale, on SQLite and PostgreSQL: the import of --import-rows
demo incidents, its rows/s and peak memory growth, beside a naive import that adds and commits
one ORM incident per row (on the first --naive-rows rows); the export of --rows demo incidents
to CSV and GeoJSON, its time and its peak memory growth; and API pages of 100 incidents, first
and deep (goal: ≤ 100 ms at 1,000,000 incidents).

    .venv/bin/python bench/exchange.py [--rows 100000] [--import-rows N] [--naive-rows 5000]

Each import and each export runs in a freshly spawned Python process, so memory that loading
or another measurement left behind cannot hide what it needs; an import starts on an empty
database. Peak RSS growth is the kernel's peak resident size (VmHWM, reset just before the work
starts) less the resident size at that moment (Linux only). Export goal: under 150 MB at
1,000,000 rows, whatever the row count.

The export and API measurements are functions taking the loaded database and returning their
table rows; MEASUREMENTS lists them, and each prints its own table.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import re
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from itertools import islice
from pathlib import Path
from urllib.parse import parse_qsl

import sqlalchemy as sa
from _common import REVIEWER, bench_app, databases, demo_csv, fresh_database, loaded_app, print_table
from flask import current_app
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from tracker.api.service import Cursor
from tracker.auth.service import find_user
from tracker.auth.tokens import issue_token
from tracker.exchange.cli import ProgressLine
from tracker.exchange.demo import write_demo_csv
from tracker.exchange.exporter import Export
from tracker.exchange.formats.csv_format import parse_row
from tracker.exchange.importer import import_csv
from tracker.extensions import db
from tracker.filters import IncidentFilter, filtered_incidents, parse_filters
from tracker.incidents.data import SCALAR_FIELDS
from tracker.incidents.refs import allocate_refs
from tracker.models import Event, Incident, IncidentViolation, Perpetrator, Source, Victim

IMPORT_HEADERS = ["database", "importer", "rows", "seconds", "rows/s", "× naive rows/s", "peak RSS growth MB"]


def set_based_import(path: Path, rows: int) -> int:
    """`tracker import`: every row checked, then stored with set-based INSERTs in one transaction."""
    with ProgressLine() as progress:
        result = import_csv(path, progress=progress)
    assert result.ok and result.stored == rows, result.errors[:5]
    return result.stored


def naive_import(path: Path, rows: int) -> int:
    """What an importer written like a web form does, on the first `rows` rows of the file (the
    same row parser): one ORM incident with its children added and committed per row."""
    prefix, today, events = current_app.config["REF_PREFIX"], date.today(), {}
    with ProgressLine() as progress, path.open(encoding="utf-8", newline="") as handle:
        progress("naive", 0, rows)
        for number, cells in enumerate(islice(csv.DictReader(handle), rows), 1):
            row, _ = parse_row(cells, number + 1, today)
            d = row.data
            incident = Incident(
                ref=allocate_refs(prefix, [d.date.year])[0],
                status=row.status,
                **{name: getattr(d, name) for name in SCALAR_FIELDS},
            )
            if d.event:
                incident.event = events.get(d.event) or events.setdefault(d.event, Event(name=d.event))
            incident.violations = [IncidentViolation(code=code) for code in d.violations]
            incident.victims = [Victim(position=i, **vars(v)) for i, v in enumerate(d.victims)]
            incident.perpetrators = [Perpetrator(position=i, **vars(p)) for i, p in enumerate(d.perpetrators)]
            incident.sources = [Source(position=i, **vars(s)) for i, s in enumerate(d.sources)]
            db.session.add(incident)
            db.session.commit()
            if number % 100 == 0 or number == rows:
                progress("naive", number, rows)
    return number


# label -> what stores the rows
IMPORTERS: dict[str, Callable[[Path, int], int]] = {
    "set-based (tracker import)": set_based_import,
    "naive (ORM object + commit per row)": naive_import,
}


def import_measurements(kind: str, workdir: Path, path: Path, rows: int, naive_rows: int) -> list[list]:
    """Each importer on an empty database of `kind`: the set-based one on the whole file of
    `rows` rows, the naive one on its first `naive_rows`."""
    measured = [
        (label, *_in_fresh_process(_import, kind, workdir, label, path, count))
        for label, count in zip(IMPORTERS, (rows, naive_rows), strict=True)
    ]
    naive_rate = measured[-1][1] / measured[-1][2]
    return [
        [kind, label, done, seconds, done / seconds, done / seconds / naive_rate, growth / 2**20]
        for label, done, seconds, growth in measured
    ]


def _import(kind: str, workdir: Path, label: str, path: Path, rows: int) -> tuple[int, float, int]:
    with fresh_database(kind, workdir) as url, bench_app(url, workdir):
        return _measured(lambda: IMPORTERS[label](path, rows))


EXPORT_FORMATS = ("csv", "geojson")
EXPORT_HEADERS = ["database", "format", "rows", "seconds", "rows/s", "file MB", "peak RSS growth MB"]


def export_measurements(kind: str, url: str, workdir: Path) -> list[list]:
    """Every incident exported to a file, as the command line does (full access)."""
    table = []
    for fmt in EXPORT_FORMATS:
        rows, seconds, growth = _in_fresh_process(_export, url, workdir, fmt)
        size = (workdir / f"export.{fmt}").stat().st_size
        table.append([kind, fmt, rows, seconds, rows / seconds, size / 2**20, growth / 2**20])
    return table


def _export(url: str, workdir: Path, fmt: str) -> tuple[int, float, int]:
    path = workdir / f"export.{fmt}"
    with bench_app(url, workdir), path.open("wb") as out:
        return _measured(lambda: Export(fmt, IncidentFilter(), target=path.name).write_to(out))


def _in_fresh_process(work: Callable, *args):
    """`work(*args)` in a newly spawned Python process: nothing this process holds counts."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
        return fresh.submit(work, *args).result()


def _measured(work: Callable[[], int]) -> tuple[int, float, int]:
    """(rows, seconds, peak RSS growth in bytes) of `work()`, which returns the rows it handled."""
    start = _reset_peak_rss()
    started = time.perf_counter()
    rows = work()
    seconds = time.perf_counter() - started
    return rows, seconds, _status_kb("VmHWM") * 1024 - start


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
        for caller, user, headers in (
            ("reviewer", reviewer, {"Authorization": f"Bearer {token}"}),
            ("anonymous", None, {}),
        ):
            for label, (query, fraction) in API_PAGES.items():
                filters, _errors = parse_filters(MultiDict(parse_qsl(query)))
                listed = filtered_incidents(filters, user)
                total = db.session.scalar(sa.select(sa.func.count()).select_from(listed.subquery()))
                depth = min(int(total * fraction), max(total - API_PAGE, 0))
                path = f"/api/v1/incidents?{query}&limit={API_PAGE}" + _cursor_at(listed, depth)
                offset_page = listed.options(selectinload(Incident.violations)).offset(depth).limit(API_PAGE)
                table.append(
                    [
                        kind,
                        caller,
                        label,
                        depth,
                        _median_ms(lambda path=path, headers=headers: _get_ok(client, path, headers)),
                        _median_ms(lambda offset_page=offset_page: db.session.scalars(offset_page).all()),
                    ]
                )
        return table


def _cursor_at(listed: sa.Select, depth: int) -> str:
    """`&cursor=…` that starts a page after the first `depth` incidents of `listed` (newest first)."""
    if depth == 0:
        return ""
    day, incident_id = db.session.execute(
        listed.with_only_columns(Incident.date, Incident.id).offset(depth - 1).limit(1)
    ).one()
    return f"&cursor={Cursor('date_desc', day, incident_id).encode()}"


def _get_ok(client, path: str, headers: dict) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 200 and len(response.json["items"]) <= API_PAGE, path


def _median_ms(work) -> float:
    work()  # warm-up
    samples = []
    for _repeat in range(API_REPEAT):
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
    parser.add_argument("--rows", type=int, default=100_000, help="incidents loaded for the export and API")
    parser.add_argument("--import-rows", type=int, help="rows of the imported file (default: --rows)")
    parser.add_argument("--naive-rows", type=int, default=5_000, help="rows the naive import stores")
    args = parser.parse_args()
    import_rows = args.import_rows or args.rows
    naive_rows = min(args.naive_rows, import_rows)
    imports: list[list] = []
    tables: list[list[list]] = [[] for _ in MEASUREMENTS]
    with demo_csv(args.rows) as (workdir, csv_path):
        import_path = csv_path if import_rows == args.rows else _demo_file(workdir / "import.csv", import_rows)
        for kind in databases():
            print(f"{kind}: set-based import of {import_rows:,} rows, naive import of {naive_rows:,}")
            imports += import_measurements(kind, workdir, import_path, import_rows, naive_rows)
            print(f"{kind}: loading {args.rows:,} demo incidents")
            with loaded_app(kind, workdir, csv_path) as app:
                url = app.config["SQLALCHEMY_DATABASE_URI"]
                for table, (title, _headers, measure) in zip(tables, MEASUREMENTS, strict=True):
                    print(f"{kind}: {title.lower()}")
                    table += measure(kind, url, workdir)
    print(
        f"\nImport into an empty database ({import_rows:,} demo rows; the naive importer: the first "
        f"{naive_rows:,}), each in a fresh process"
    )
    print_table(IMPORT_HEADERS, imports)
    for table, (title, headers, _measure) in zip(tables, MEASUREMENTS, strict=True):
        print(f"\n{title} ({args.rows:,} demo incidents)")
        print_table(headers, table)


def _demo_file(path: Path, rows: int) -> Path:
    """A canonical CSV of `rows` demo incidents at `path`."""
    print(f"Generating {rows:,} demo incidents to import…")
    with path.open("w", encoding="utf-8", newline="") as out:
        write_demo_csv(out, rows)
    return path


if __name__ == "__main__":
    main()
