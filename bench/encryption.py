"""Encryption at rest: milliseconds of a login, a text search, a page of the incident list and an
incident page with the restricted fields encrypted (AES-256-GCM, `tracker/crypto.py`) and searched
through the blind index (`tracker/search_index.py`), beside the same without encryption, on SQLite
and PostgreSQL.

    .venv/bin/python bench/encryption.py [--rows 100000] [--repeat 7]

The demo incidents are loaded twice per database with the set-based importer: as the tracker
stores them, and, as the naive baseline, into a second database whose keyring is a pass-through
(values stored and read as they are given) and whose import writes no blind index; the baseline's
text search is the one from before encryption, `ILIKE '%q%'` over the plain columns (title,
description, source titles; the place where the reader sees the exact location; victim names and
organisations, perpetrator names and confidential source titles where they see identities). The
baseline is all in this script: tracker/ is not changed. Both databases are loaded afresh each run
(TRACKER_BENCH_KEEP is not used: the baseline's load is part of what is compared).

The requests go through the Flask test client as a logged-in reviewer (who sees every incident and
every restricted field). Both apps stay open and each measure is taken in turns, with encryption
then without, so a machine busy with other work slows both alike; each time is the median of
--repeat requests after one warm-up request. A login is a POST to /auth/login from a new client,
with the app's argon2 profile (the default, RFC_9106_LOW_MEMORY, as in every benchmark). The demo
data hold restricted words only in the place (the capital district): victims and perpetrators have
no names, sources no title. The search words: RESTRICTED_WORD occurs only in the place, TITLE_WORD
only in the title (the province), and the two find the same incidents; the counts are checked equal
with and without encryption.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

import sqlalchemy as sa
from _common import (
    PASSWORD,
    REVIEWER,
    analyze,
    bench_app,
    databases,
    demo_csv,
    fresh_database,
    loaded_app,
    print_table,
    reviewer_client,
)
from flask import Flask

from tracker import filters
from tracker.auth.service import create_user
from tracker.crypto import Keyring, keyring
from tracker.exchange import importer
from tracker.exchange.cli import ProgressLine
from tracker.exchange.importer import import_csv
from tracker.extensions import db
from tracker.filters import IncidentFilter, count_incidents
from tracker.models import Incident, Perpetrator, Source, User, Victim
from tracker.security import exact_location_clause, identities_clause

RESTRICTED_WORD = "Iquitos"  # the place (capital district) of Loreto's incidents; in no title
TITLE_WORD = "Maynas"  # their province, in every Loreto title; in no restricted field
PLACE_SAMPLE = "Iquitos"
URL_SAMPLE = "https://noticias.example.org/2023/ficticio-012345"
LOGIN = "login (argon2)"
PAGES = {
    f"search '{RESTRICTED_WORD}' (place only)": f"/incidents/?q={RESTRICTED_WORD}",
    f"search '{TITLE_WORD}' (title only)": f"/incidents/?q={TITLE_WORD}",
    "list /incidents/": "/incidents/",
    "incident page": "/incidents/{ref}",
}
DECRYPTS = {"decrypt one place (µs)": PLACE_SAMPLE, "decrypt one source URL (µs)": URL_SAMPLE}


class PassThroughKeyring(Keyring):
    """The naive baseline: restricted values stored and read as they are given."""

    def encrypt(self, text: str) -> str:
        return text

    def decrypt(self, stored: str) -> str:
        return stored


def plain_text_search_condition(q: str, user) -> sa.ColumnElement[bool]:
    """The text search as it was before encryption (tracker/filters.py before 4de5fb7):
    substrings of the plain columns, each where `user` may read it."""
    pattern = f"%{filters._escape_like(q)}%"

    def found_in(column) -> sa.ColumnElement[bool]:
        return column.ilike(pattern, escape="\\")

    def with_child(model, *conditions) -> sa.ColumnElement[bool]:
        return Incident.id.in_(sa.select(model.incident_id).where(*conditions))

    return sa.or_(
        found_in(Incident.title),
        found_in(Incident.description),
        with_child(Source, found_in(Source.title), Source.confidential.is_(False)),
        sa.and_(exact_location_clause(user), found_in(Incident.place)),
        sa.and_(
            identities_clause(user),
            sa.or_(
                with_child(Victim, sa.or_(found_in(Victim.name), found_in(Victim.organisation))),
                with_child(Perpetrator, found_in(Perpetrator.name)),
                with_child(Source, found_in(Source.title)),
            ),
        ),
    )


BLIND_INDEX_SEARCH = filters.text_search_condition


def either_text_search_condition(q: str, user) -> sa.ColumnElement[bool]:
    """What `filters.filter_conditions` calls while this script runs: the baseline's search in
    the baseline's app (the one with the pass-through keyring), the tracker's in the other."""
    if isinstance(keyring(), PassThroughKeyring):
        return plain_text_search_condition(q, user)
    return BLIND_INDEX_SEARCH(q, user)


@contextmanager
def encrypted_app(kind: str, workdir: Path, csv_path: Path):
    """The tracker as it is, loaded afresh; and the seconds from an empty database to the loaded one."""
    started = time.perf_counter()
    with loaded_app(kind, workdir, csv_path, reusable=False) as app:
        yield app, time.perf_counter() - started


@contextmanager
def plain_app(kind: str, workdir: Path, csv_path: Path):
    """The baseline: an app on a fresh database of `kind` with the pass-through keyring, the demo
    CSV loaded without a blind index (otherwise as `_common.loaded_app` loads it) and the
    reviewer; and the seconds from an empty database to the loaded one."""
    started = time.perf_counter()
    with fresh_database(kind, workdir) as url, bench_app(url, workdir) as app:
        app.extensions["tracker_keyring"] = PassThroughKeyring(list(keyring().keys.items()))
        with ProgressLine() as progress, mock.patch.object(importer, "index_incidents", lambda incidents: None):
            result = import_csv(csv_path, progress=progress)
        assert result.ok, result.errors[:5]
        create_user(REVIEWER, "reviewer", PASSWORD)
        analyze()
        yield app, time.perf_counter() - started


def in_turns(requests: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median milliseconds of each variant's request, after a warm-up, the variants taking turns."""
    samples: dict[str, list[float]] = {variant: [] for variant in requests}
    for request in requests.values():
        request()
    for _repeat in range(repeat):
        for variant, request in requests.items():
            started = time.perf_counter()
            request()
            samples[variant].append((time.perf_counter() - started) * 1000)
    return {variant: statistics.median(times) for variant, times in samples.items()}


def decrypt_us(value: str, calls: int = 20_000) -> float:
    """Microseconds per `keyring().decrypt` of `value` as stored, median of 5 batches."""
    ring = keyring()
    stored = ring.encrypt(value)
    assert ring.decrypt(stored) == value
    batches = []
    for _batch in range(5):
        started = time.perf_counter()
        for _call in range(calls):
            ring.decrypt(stored)
        batches.append((time.perf_counter() - started) * 1e6 / calls)
    return statistics.median(batches)


def busiest_ref() -> str:
    """The incident with the most sources (the lowest id among them): its page decrypts the most."""
    per_incident = (
        sa.select(Source.incident_id, sa.func.count().label("n"))
        .group_by(Source.incident_id)
        .order_by(sa.desc("n"), Source.incident_id)
        .limit(1)
        .subquery()
    )
    ref = db.session.scalar(sa.select(Incident.ref).join(per_incident, Incident.id == per_incident.c.incident_id))
    assert ref is not None
    return ref


def facts() -> dict:
    """The incident page's reference, incidents matching each search word, rows of the blind
    index, and bytes of the whole database and of the blind index's table with its indexes."""
    reviewer = db.session.scalar(sa.select(User).where(User.email == REVIEWER))
    found = {word: count_incidents(IncidentFilter(q=word), reviewer) for word in (RESTRICTED_WORD, TITLE_WORD)}
    terms = db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("search_terms")))
    if db.engine.dialect.name == "sqlite":
        total = db.session.scalar(sa.text("SELECT sum(pgsize) FROM dbstat"))
        index = db.session.scalar(
            sa.text(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN "
                "(SELECT name FROM sqlite_schema WHERE tbl_name = 'search_terms')"
            )
        )
    else:
        total = db.session.scalar(
            sa.text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace"
            )
        )
        index = db.session.scalar(sa.text("SELECT pg_total_relation_size('search_terms')"))
    ref = busiest_ref()
    db.session.commit()
    return {"ref": ref, "found": found, "terms": terms, "bytes": int(total or 0), "index_bytes": int(index or 0)}


def measure(apps: dict, repeat: int) -> tuple[dict[str, dict[str, float]], dict[str, dict]]:
    """Per measure, milliseconds (µs for decrypting) by variant; and per variant, its `facts`."""
    about = {}
    for variant, app in apps.items():
        with app.app_context():
            about[variant] = facts()
    assert len({about[variant]["ref"] for variant in apps}) == 1, about
    with Flask("bench-requests").app_context():  # see `measure_requests`
        times = measure_requests(apps, repeat, about)
    for label, value in DECRYPTS.items():
        times[label] = {}
        for variant, app in apps.items():
            with app.app_context():
                times[label][variant] = decrypt_us(value)
    return times, about


def measure_requests(apps: dict, repeat: int, about: dict) -> dict[str, dict[str, float]]:
    """Per measure, milliseconds by variant. Called in an app context of neither app, so that
    each request runs in one of its own, as when served: in the context of its app (which
    `_common.bench_app` leaves open), Flask would reuse that for every request, and with it the
    user loaded by the first (`flask.g`) and the ORM session."""
    clients = {variant: reviewer_client(app) for variant, app in apps.items()}

    def login(app) -> Callable[[], None]:
        def request() -> None:
            response = app.test_client().post("/auth/login", data={"email": REVIEWER, "password": PASSWORD})
            assert response.status_code == 302, "login failed"

        return request

    def get(variant: str, url: str) -> Callable[[], None]:
        def request() -> None:
            response = clients[variant].get(url)
            assert response.status_code == 200, (variant, url, response.status_code)

        return request

    times = {LOGIN: in_turns({variant: login(app) for variant, app in apps.items()}, repeat)}
    for label, url in PAGES.items():
        times[label] = in_turns({variant: get(variant, url.format(**about[variant])) for variant in apps}, repeat)
    return times


def report(kind: str, rows: int, repeat: int, times: dict, about: dict, loads: dict) -> None:
    mb = 1024 * 1024
    encrypted, plain = about["encrypted"], about["plain"]
    print(f"\n{kind}: {rows:,} incidents; median of {repeat} requests after a warm-up, milliseconds")
    pairs = [(label, by_variant["encrypted"], by_variant["plain"]) for label, by_variant in times.items()]
    pairs.append(("load (s)", loads["encrypted"], loads["plain"]))
    pairs.append(("database size (MB)", encrypted["bytes"] / mb, plain["bytes"] / mb))
    table = [[label, cell(label, a), cell(label, b), ratio(a, b)] for label, a, b in pairs]
    print_table(["measure", "with encryption", "without", "ratio"], table)
    print(
        f"search_terms: {encrypted['terms']:,} rows, {encrypted['index_bytes'] / mb:.1f} MB with its indexes "
        f"(without encryption: {plain['terms']:,} rows); database "
        f"{(encrypted['bytes'] - plain['bytes']) / mb:+.1f} MB with encryption"
    )
    print(
        f"incidents found: '{RESTRICTED_WORD}' {encrypted['found'][RESTRICTED_WORD]:,} of {rows:,}, "
        f"'{TITLE_WORD}' {encrypted['found'][TITLE_WORD]:,} (the same without encryption); "
        f"incident page: {encrypted['ref']}"
    )


def cell(label: str, value: float) -> float | str:
    """Microseconds with two decimals (the pass-through's are a fraction of one)."""
    return f"{value:.2f}" if "µs" in label else value


def ratio(encrypted: float, plain: float) -> str:
    return f"{encrypted / plain:.2f}" if plain else "—"


def run(kind: str, workdir: Path, csv_path: Path, repeat: int) -> tuple[dict, dict, dict]:
    with ExitStack() as stack:
        apps, loads = {}, {}
        for variant, opened in (("encrypted", encrypted_app), ("plain", plain_app)):
            print(f"{kind}: loading {'with' if variant == 'encrypted' else 'without'} encryption")
            apps[variant], loads[variant] = stack.enter_context(opened(kind, workdir, csv_path))
        print(f"{kind}: timing with and without encryption in turns")
        times, about = measure(apps, repeat)
    return times, about, loads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    results = {}
    with (
        demo_csv(args.rows) as (workdir, csv_path),
        mock.patch.object(filters, "text_search_condition", either_text_search_condition),
    ):
        for kind in databases():
            times, about, loads = run(kind, workdir, csv_path, args.repeat)
            encrypted, plain = about["encrypted"], about["plain"]
            assert encrypted["found"] == plain["found"], (kind, encrypted["found"], plain["found"])
            assert 0 < encrypted["found"][RESTRICTED_WORD] < args.rows, encrypted["found"]
            assert plain["terms"] == 0 < encrypted["terms"], (plain["terms"], encrypted["terms"])
            results[kind] = (times, about, loads)
    for kind, (times, about, loads) in results.items():
        report(kind, args.rows, args.repeat, times, about, loads)


if __name__ == "__main__":
    main()
