"""Monitors saving at once: --clients HTTP clients each record --creates incidents through the
incident form (login, CSRF token and all) against gunicorn as gunicorn.conf.py deploys it
(--workers processes of threads), on SQLite and PostgreSQL. Prints creates per second, p50
and max latency, the errors, and what the database holds afterwards (every save stored once,
references all distinct). Baseline: one client alone, the same way, so the table shows what
concurrency costs or gains. The max includes each worker's first request, which imports the
app's heavier modules.
Goal: 0 errors, >= 50 creates/s on PostgreSQL at 8 x 250.

    .venv/bin/python bench/concurrent_creates.py [--clients 8] [--creates 250] [--workers 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa
from _common import PASSWORD, bench_app, databases, fresh_database, print_table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' served app and client

from tests.served import gunicorn, record_incidents  # noqa: E402
from tracker.auth.service import create_user  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Incident  # noqa: E402


def _run(kind: str, clients: int, creates: int, workers: int) -> list:
    with tempfile.TemporaryDirectory() as tmp, fresh_database(kind, Path(tmp)) as url:
        workdir = Path(tmp)
        emails = [f"bench-monitor-{i}@example.org" for i in range(clients)]
        with bench_app(url, workdir):
            for email in emails:
                create_user(email, "monitor", PASSWORD)
            db.session.commit()
        with gunicorn(url, workdir / "instance", workers) as base, ThreadPoolExecutor(clients) as pool:
            started = time.perf_counter()
            runs = list(pool.map(lambda email: record_incidents(base, email, PASSWORD, creates), emails))
            elapsed = time.perf_counter() - started
        with bench_app(url, workdir):
            stored, distinct = db.session.execute(
                sa.select(sa.func.count(Incident.id), sa.func.count(sa.distinct(Incident.ref)))
            ).one()
    latencies = [seconds for run in runs for seconds, _problem in run]
    errors = sum(1 for run in runs for _seconds, problem in run if problem)
    return [
        kind,
        f"{clients} x {creates}",
        len(latencies) / elapsed,
        statistics.median(latencies) * 1000,
        max(latencies) * 1000,
        errors,
        stored,
        distinct,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--creates", type=int, default=250)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    rows = []
    for kind in databases():
        for clients in (1, args.clients):
            print(f"{kind}: {clients} client(s) x {args.creates} creates …", file=sys.stderr)
            rows.append(_run(kind, clients, args.creates, args.workers))
    print_table(
        ["database", "clients x creates", "creates/s", "p50 ms", "max ms", "errors", "stored", "distinct refs"], rows
    )


if __name__ == "__main__":
    main()
