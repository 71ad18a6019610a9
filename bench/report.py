"""Report build time: the SQL GROUP BY report (tracker.counts.service.build_report) against
a pandas baseline that loads the rows and groups them in pandas, on SQLite and PostgreSQL.

    .venv/bin/python bench/report.py [--rows 100000] [--repeat 5]

The demo incidents (2022–2025) are loaded with the set-based importer. Both ways compute the
four sections' totals and breakdowns for the same periods; the baseline's figures are checked
against the report's. Each time is the median of --repeat runs after one warm-up run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from _common import REVIEWER, databases, demo_csv, loaded_app, print_table

from tracker.counts.service import build_report
from tracker.extensions import db
from tracker.filters import IncidentFilter
from tracker.models import User
from tracker.taxonomy import DEFENDER_GROUPS, REPORTABLE_STATUSES, SECTIONS

PERIODS = {"2023": (date(2023, 1, 1), date(2023, 12, 31)), "2022-2025": (date(2022, 1, 1), date(2025, 12, 31))}


def median_ms(run, repeat: int) -> tuple[float, object]:
    result = run()
    samples = []
    for _repeat in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def _counts(series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.items()}


def pandas_report(start: date, end: date) -> dict[str, dict]:
    """The baseline: read the rows, then filter and group in pandas; the same figures as the
    report's totals and breakdowns."""
    engine = db.engine
    incidents = pd.read_sql(
        "SELECT id, date, status, admin1, admin2, killed, injured, detained FROM incidents",
        engine,
        parse_dates=["date"],
    )
    violations = pd.read_sql("SELECT incident_id, code FROM incident_violations", engine)
    victims = pd.read_sql('SELECT incident_id, "group", gender, count FROM victims', engine)
    perpetrators = pd.read_sql("SELECT incident_id, type FROM perpetrators", engine)
    cited = incidents[
        incidents.status.isin(REPORTABLE_STATUSES) & incidents.date.between(pd.Timestamp(start), pd.Timestamp(end))
    ]
    result = {}
    for section in SECTIONS:
        codes = [t.code for t in section.codes]
        ids = set(violations.incident_id[violations.code.isin(codes)]) & set(cited.id)
        people = victims[victims.incident_id.isin(ids)]
        if section.key == "protection":
            people = people[people.group.isin(DEFENDER_GROUPS)]
            ids &= set(people.incident_id)
        chosen = cited[cited.id.isin(ids)]
        result[section.key] = {
            "total": {
                "incidents": len(chosen),
                **_counts(chosen[["killed", "injured", "detained"]].sum()),
                "victims": int(people["count"].sum()),
            },
            "violation": _counts(
                violations[violations.incident_id.isin(ids) & violations.code.isin(codes)].groupby("code").size()
            ),
            "victim_group": _counts(people.groupby("group").incident_id.nunique()),
            "gender": _counts(people.groupby("gender").incident_id.nunique()),
            "admin1": _counts(chosen.groupby("admin1").size()),
            "admin2": _counts(chosen.groupby("admin2").size()),
            "month": _counts(chosen.groupby(chosen.date.dt.to_period("M")).size()),
            "perpetrator": _counts(
                perpetrators[perpetrators.incident_id.isin(ids)].groupby("type").incident_id.nunique()
            ),
        }
    return result


def sql_figures(report) -> dict[str, dict]:
    return {
        s.key: {"total": s.totals, **{d: {r.key: r.count for r in rows} for d, rows in s.breakdowns.items()}}
        for s in report.sections
    }


def measure(kind: str, workdir: Path, csv_path: Path, repeat: int) -> list[list]:
    with loaded_app(kind, workdir, csv_path):
        reviewer = db.session.scalar(sa.select(User).where(User.email == REVIEWER))
        rows = []
        for label, (start, end) in PERIODS.items():
            sql_ms, report = median_ms(
                lambda start=start, end=end: build_report(start, end, IncidentFilter(), reviewer), repeat
            )
            pandas_ms, figures = median_ms(lambda start=start, end=end: pandas_report(start, end), repeat)
            assert figures == sql_figures(report), "the baseline and the report disagree"
            rows.append([kind, label, report.incidents, sql_ms, pandas_ms, pandas_ms / sql_ms])
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median shown)")
    args = parser.parse_args()
    table = []
    with demo_csv(args.rows) as (workdir, csv_path):
        for kind in databases():
            print(f"{kind}: loading and timing")
            table += measure(kind, workdir, csv_path, args.repeat)
    print(
        f"\n{args.rows:,} incidents in the database; median of {args.repeat} runs, milliseconds "
        "(goal: ≤ 300 ms at 100k, ≤ 3 s at 1M)"
    )
    print_table(["database", "period", "incidents counted", "SQL report ms", "pandas ms", "pandas / SQL"], table)


if __name__ == "__main__":
    main()
