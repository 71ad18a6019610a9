"""What the benchmarks share: throw-away databases (a SQLite file, a PostgreSQL schema),
an app bound to one, and a plain-text table."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import g

from tracker import create_app
from tracker.auth.service import create_user
from tracker.config import PROJECT_ROOT
from tracker.exchange.cli import ProgressLine
from tracker.exchange.demo import ensure_demo_boundaries, write_demo_csv
from tracker.exchange.importer import import_csv
from tracker.extensions import db

PG_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DATABASES = ("sqlite", "postgresql")
BOUNDARIES = PROJECT_ROOT.parent / "shared" / "geo" / "peru"
REVIEWER = "bench-reviewer@example.org"
PASSWORD = "bench-password-42"


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    """The URL of an empty database of `kind`, removed afterwards."""
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            path.unlink(missing_ok=True)
        return
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(schema)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@contextmanager
def bench_app(url: str, workdir: Path):
    """An app on `url` with the schema created, inside its app context."""
    os.environ["TRACKER_INSTANCE_PATH"] = str(workdir / "instance")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "TILE_URL": "",
            "REQUIRE_2FA_ROLES": (),  # the bench reviewer logs in with a password alone
        }
    )
    app.before_request_funcs.setdefault(None, []).insert(0, _as_a_new_request)
    with app.app_context():
        db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _as_a_new_request() -> None:
    """Every test-client request runs in the bench's one app context: forget what Flask-Login
    and Flask-WTF cached in `g` by the last one, so each request signs in and costs as a served one."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


@contextmanager
def demo_csv(rows: int) -> Iterator[tuple[Path, Path]]:
    """A temporary work folder holding a canonical CSV of `rows` demo incidents."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "demo.csv"
        print(f"Generating {rows:,} demo incidents…")
        with csv_path.open("w", encoding="utf-8", newline="") as out:
            write_demo_csv(out, rows)
        yield workdir, csv_path


@contextmanager
def loaded_app(kind: str, workdir: Path, csv_path: Path, boundaries: bool = False, reusable: bool = True):
    """An app on a database of `kind` holding the demo CSV (loaded with the set-based
    importer), a reviewer account REVIEWER, and fresh planner statistics.

    The database is fresh and removed afterwards, unless TRACKER_BENCH_KEEP names a folder
    and the caller leaves the data as loaded (`reusable`): then it is kept, keyed by the
    CSV, and the next run with the same --rows reuses it instead of loading a million rows
    again."""
    keep = os.environ.get("TRACKER_BENCH_KEEP")
    if keep and reusable:
        key = str(csv_path.stat().st_size)
        url, ready = kept_database(kind, Path(keep), key)
        with bench_app(url, Path(keep)) as app:  # its instance folder, with the data key, is kept too
            if not ready.exists():  # with the boundaries if here, for whichever bench comes next
                _load(csv_path, boundaries or BOUNDARIES.is_dir())
                ready.touch()
            yield app
        return
    with fresh_database(kind, workdir) as url, bench_app(url, workdir) as app:
        _load(csv_path, boundaries)
        yield app


def kept_database(kind: str, folder: Path, key: str) -> tuple[str, Path]:
    """The URL of a database kept between runs in `folder` (SQLite) or a schema named after
    `key` (PostgreSQL), and the file that marks its load finished; emptied first unless that
    file exists."""
    folder.mkdir(parents=True, exist_ok=True)
    ready = folder / f"{kind}-{key}.ready"
    if kind == "sqlite":
        path = folder / f"demo-{key}.db"
        if not ready.exists():
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}", ready
    schema = f"bench_keep_{key}"
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not ready.exists():
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()
    return schema_url(schema), ready


def schema_url(schema: str) -> str:
    """PG_URL with `schema` first on the search path."""
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"


def _load(csv_path: Path, boundaries: bool) -> None:
    if boundaries:
        ensure_demo_boundaries(BOUNDARIES)
    with ProgressLine() as progress:
        result = import_csv(csv_path, progress=progress)
    assert result.ok, result.errors[:5]
    create_user(REVIEWER, "reviewer", PASSWORD)
    analyze()


def reviewer_client(app):
    client = app.test_client()
    login = client.post("/auth/login", data={"email": REVIEWER, "password": PASSWORD})
    assert login.status_code == 302 and login.location == "/", f"login failed ({login.status_code} to {login.location})"
    return client


def log_in_page(page, email: str) -> None:
    """Log a Playwright page in through the login form (the browser benchmarks)."""
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def median_ms(run, repeat: int) -> tuple[float, object]:
    """The median of `repeat` timed runs after a warm-up run, whose result is returned."""
    result = run()
    samples = []
    for _repeat in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def analyze() -> None:
    """Fresh planner statistics after the bulk load, and on PostgreSQL the visibility map
    that index-only scans need: what autovacuum does soon after a load in production."""
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def databases() -> list[str]:
    """The benchmarked databases that answer here."""
    return [kind for kind in DATABASES if available(kind)]


def available(kind: str) -> bool:
    if kind == "sqlite":
        return True
    try:
        with sa.create_engine(PG_URL).connect():
            return True
    except sa.exc.OperationalError:
        print(f"PostgreSQL at {PG_URL} is not available: skipped.", file=sys.stderr)
        return False


def _cell(value) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    return str(value)


def print_table(headers: list[str], rows: list[list]) -> None:
    cells = [headers] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=False))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
