"""Report build time: the SQL GROUP BY report (tracker.counts.service.build_report) against
a pandas baseline that loads the rows and groups them in pandas, on SQLite and PostgreSQL;
and what the protection section's persons at risk and requests (tracker/counts/persons.py)
add to it: the same report built without them, as it was before they existed.

    .venv/bin/python bench/report.py [--rows 100000] [--repeat 5]

The demo incidents (2022–2025) are loaded with the set-based importer; their defenders recur
under the keys of a register of persons, and some asked for protection (tracker/exchange/demo.py).
Both ways compute the four sections' totals and breakdowns for the same periods; the baseline's
figures, and the persons figures computed in pandas too, are checked against the report's.
Each time is the median of --repeat runs after one warm-up run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from pathlib import Path
from unittest import mock

import pandas as pd
import sqlalchemy as sa
from _common import REVIEWER, databases, demo_csv, loaded_app, median_ms, print_table

from tracker.config import PERU_REGION_GROUPS
from tracker.counts.service import build_report
from tracker.extensions import db
from tracker.filters import IncidentFilter
from tracker.models import Person, ProtectionRequest, User, Victim
from tracker.taxonomy import DEFENDER_GROUPS, REPORTABLE_STATUSES, SECTIONS

PERIODS = {"2023": (date(2023, 1, 1), date(2023, 12, 31)), "2022-2025": (date(2022, 1, 1), date(2025, 12, 31))}


def paired_ms(run, baseline, repeat: int) -> tuple[float, float, object]:
    """Median ms of `run` and of `baseline`, timed in turns after a warm-up of each, so a busy
    spell of the machine weighs on both alike; and `run`'s result."""
    result = run()
    baseline()
    samples: tuple[list[float], list[float]] = ([], [])
    for _repeat in range(repeat):
        for timed, way in zip(samples, (run, baseline), strict=True):
            started = time.perf_counter()
            way()
            timed.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[0]), statistics.median(samples[1]), result


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


def pandas_persons(start: date, end: date) -> dict:
    """The persons figures (tracker/counts/persons.py) computed in pandas from every row, to
    check the report's: persons at risk, repeat victims, Amazonía, requests, median days."""
    engine = db.engine
    incidents = pd.read_sql("SELECT id, date, status, admin1 FROM incidents", engine, parse_dates=["date"])
    violations = pd.read_sql("SELECT incident_id, code FROM incident_violations", engine)
    victims = pd.read_sql('SELECT incident_id, "group", count, person_id FROM victims', engine)
    kinds = pd.read_sql("SELECT id AS person_id, kind FROM persons", engine)
    requests = pd.read_sql(
        "SELECT incident_id, decision, filed_on, decided_on FROM protection_requests",
        engine,
        parse_dates=["filed_on", "decided_on"],
    )
    codes = [t.code for t in next(s for s in SECTIONS if s.key == "protection").codes]
    cited = incidents[
        incidents.status.isin(REPORTABLE_STATUSES) & incidents.date.between(pd.Timestamp(start), pd.Timestamp(end))
    ]
    defenders = victims[victims.group.isin(DEFENDER_GROUPS)]
    ids = set(cited.id) & set(violations.incident_id[violations.code.isin(codes)]) & set(defenders.incident_id)
    rows = defenders[defenders.incident_id.isin(ids)].merge(kinds, how="left", on="person_id")
    rows = rows.merge(incidents[["id", "admin1"]], left_on="incident_id", right_on="id")
    person = rows.kind == "person"
    amazonia = rows.admin1.isin(PERU_REGION_GROUPS[0]["admin1"])
    asked = requests[requests.incident_id.isin(ids)]
    decided = asked[asked.decision.isin(("granted", "refused")) & asked.decided_on.notna()]
    days = (decided.decided_on - decided.filed_on).dt.days
    return {
        "at_risk": rows.person_id[person].nunique() + int(rows["count"][~person].sum()),
        "repeat": int((rows[person].groupby("person_id").incident_id.nunique() >= 2).sum()),
        "amazonia": rows.person_id[person & amazonia].nunique() + int(rows["count"][~person & amazonia].sum()),
        "requests": {
            "requested": asked.incident_id.nunique(),
            **{d: asked.incident_id[asked.decision == d].nunique() for d in ("granted", "refused", "pending")},
        },
        "median_days": float(days.median()) if len(days) else None,
    }


def report_persons(report) -> dict:
    p = report.section("protection").persons
    return {
        "at_risk": p.at_risk.count,
        "repeat": p.repeat.count,
        "amazonia": {r.key: r.count for r in p.by_region_group}["amazonia"],
        "requests": {r.key: r.count for r in p.requests},
        "median_days": None if p.median_days is None else float(p.median_days),
    }


def sql_figures(report) -> dict[str, dict]:
    return {
        s.key: {"total": s.totals, **{d: {r.key: r.count for r in rows} for d, rows in s.breakdowns.items()}}
        for s in report.sections
    }


def without_persons():
    """The report as it was before the persons figures: the same build, their part left out."""
    return mock.patch("tracker.counts.service.protection_figures", lambda *args: None)


def register_size() -> str:
    """What the loaded data hold of the register: persons, rows naming one, requests."""
    count = sa.select(sa.func.count())
    persons = db.session.scalar(count.select_from(Person))
    linked = db.session.scalar(count.select_from(Victim).where(Victim.person_id.is_not(None)))
    requests = db.session.scalar(count.select_from(ProtectionRequest))
    return f"{persons:,} persons and organisations, {linked:,} victim rows naming one, {requests:,} requests"


def measure(kind: str, workdir: Path, csv_path: Path, repeat: int) -> list[list]:
    with loaded_app(kind, workdir, csv_path):
        reviewer = db.session.scalar(sa.select(User).where(User.email == REVIEWER))
        print(f"{kind}: {register_size()}")
        rows = []
        for label, (start, end) in PERIODS.items():

            def report(start=start, end=end):
                return build_report(start, end, IncidentFilter(), reviewer)

            def report_before(report=report):
                with without_persons():
                    return report()

            sql_ms, before_ms, built = paired_ms(report, report_before, repeat)
            pandas_ms, figures = median_ms(lambda start=start, end=end: pandas_report(start, end), repeat)
            assert figures == sql_figures(built), "the baseline and the report disagree"
            assert pandas_persons(start, end) == report_persons(built), "pandas and the persons figures disagree"
            at_risk = built.section("protection").persons.at_risk.count
            rows.append(
                [
                    kind,
                    label,
                    built.incidents,
                    at_risk,
                    sql_ms,
                    before_ms,
                    f"{100 * (sql_ms - before_ms) / before_ms:+.0f}%",
                    pandas_ms,
                    pandas_ms / sql_ms,
                ]
            )
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
        "(goal: ≤ 300 ms at 100k, ≤ 3 s at 1M; the persons figures add ≤ 20%)"
    )
    print_table(
        [
            "database",
            "period",
            "incidents counted",
            "persons at risk",
            "SQL report ms",
            "without persons ms",
            "persons add",
            "pandas ms",
            "pandas / SQL",
        ],
        table,
    )


if __name__ == "__main__":
    main()
