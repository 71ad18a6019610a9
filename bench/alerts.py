"""Early-warning alerts: computing every alert (tracker.protection.alerts.compute: one copy of
the victim rows that name a person, then SQL window functions and a self-join) and the alerts
page, against a naive baseline that loads every such victim row as an ORM object with its
incident and compares each person's incidents pair by pair in Python, on SQLite and PostgreSQL.

    .venv/bin/python bench/alerts.py [--rows 100000] [--share 0.05] [--repeat 5] [--demo-links] [--add-indexes]

The demo incidents (2022–2025) are loaded with the set-based importer. Then the persons they
name (if any) and the requests are replaced by the bench's: one defender victim row in 1/--share
linked to a pool of persons (a third as many as the linked rows, so each has about three
incidents), and every fourth incident naming a person gets a request for protection (pending,
granted or refused in turn; granted measures end between 30 days ago and two months ahead).
That changes the data, so the database is loaded afresh each run. With --demo-links the demo's
own persons and requests are kept instead, and a database kept with TRACKER_BENCH_KEEP is
reused. With --add-indexes, the alerts are timed again after creating the covering index
proposed for them (PROPOSED_INDEXES) if the schema lacks it; it is dropped afterwards. The
baseline's alerts are checked equal to the SQL ones. Each time is the median of --repeat runs
after one warm-up run.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so
from _common import analyze, databases, demo_csv, loaded_app, median_ms, print_table, reviewer_client

from tracker.extensions import db
from tracker.models import Incident, Person, ProtectionRequest, Victim
from tracker.protection import alerts
from tracker.taxonomy import DEFENDER_GROUPS

KEY_PREFIX = "BENCH-"


def link_persons(share: float, today: date) -> None:
    """Replace the persons the data name (the demo's own, if any) and the requests with the
    bench's: one defender row in 1/`share` linked to a pool of persons, and a request for every
    fourth incident naming one; set based. The incidents' stored facts are left as loaded: no
    alert reads them."""
    db.session.execute(sa.update(Victim).where(Victim.person_id.is_not(None)).values(person_id=None))
    db.session.execute(sa.delete(ProtectionRequest))
    every = max(1, round(1 / share))
    keyed = Victim.group.in_(sorted(DEFENDER_GROUPS)) & (Victim.id % every == 0)
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(Victim).where(keyed)) or 0
    pool = max(1, rows // 3)
    base = (db.session.scalar(sa.select(sa.func.max(Person.id))) or 0) + 1
    print(f"  {pool:,} persons for {rows:,} defender rows")
    db.session.execute(
        sa.insert(Person),
        [
            {
                "id": base + n,
                "key": f"{KEY_PREFIX}{n:06d}",
                "name": f"Persona ficticia {n}",
                "groups": "environmental_defender",
            }
            for n in range(pool)
        ],
    )
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('persons', 'id'), max(id)) FROM persons"))
    db.session.execute(sa.update(Victim).where(keyed).values(person_id=base + (Victim.id // every) % pool, count=1))
    linked = sa.select(Victim.incident_id).where(Victim.person_id.is_not(None)).distinct()
    incidents = db.session.execute(
        sa.select(Incident.id, Incident.date).where(Incident.id.in_(linked), Incident.id % 4 == 0)
    ).all()
    requests = []
    for incident_id, on in incidents:
        decision = ("pending", "granted", "refused")[incident_id % 3]
        filed = min(on + timedelta(days=3), today)
        requests.append(
            {
                "incident_id": incident_id,
                "position": 0,
                "filed_on": filed,
                "authority": "mechanism",
                "decision": decision,
                "decided_on": None if decision == "pending" else filed,
                "measures": "police_patrols" if decision == "granted" else "",
                "measures_end": today + timedelta(days=incident_id % 90 - 30) if decision == "granted" else None,
            }
        )
    if requests:
        db.session.execute(sa.insert(ProtectionRequest), requests)
    print(f"  {len(requests):,} requests")
    analyze()


def naive_alerts(today: date, repeat_days: int, pending_days: int, ending_days: int) -> set[str]:
    """The baseline: every victim row naming a person as an ORM object with its incident (its
    violations and victims), each person's incidents compared pair by pair in Python, and every
    request loaded and tested in Python."""
    victims = db.session.scalars(
        sa.select(Victim)
        .where(Victim.person_id.is_not(None))
        .options(so.joinedload(Victim.incident).selectinload(Incident.violations))
        .options(so.joinedload(Victim.incident).selectinload(Incident.victims))
    ).all()
    by_person: dict[int, dict[int, Incident]] = defaultdict(dict)
    for victim in victims:
        if victim.incident.status != "rejected":
            by_person[victim.person_id][victim.incident_id] = victim.incident
    keys = set()
    for person_id, incidents in by_person.items():
        ids = list(incidents)
        parent = {i: i for i in ids}  # runs: the pairs within repeat_days, joined (union-find)
        attacked = {}
        for a in ids:
            for b in ids:
                if a < b and abs((incidents[a].date - incidents[b].date).days) <= repeat_days:
                    parent[_root(parent, a)] = _root(parent, b)
                ia, ib = incidents[a], incidents[b]
                if (
                    a != b
                    and set(ia.violation_codes) & set(alerts.THREATS)
                    and set(ib.violation_codes) & set(alerts.ATTACKS)
                    and ia.date <= ib.date
                ):
                    attacked[b] = ib.date
        runs = defaultdict(list)
        for i in ids:
            runs[_root(parent, i)].append(i)
        for run in runs.values():
            if len(run) >= 2:
                keys.add(f"repeat:p{person_id}:i{max(run, key=lambda i: (incidents[i].date, i))}")
        if attacked:
            keys.add(f"escalation:p{person_id}:i{max(attacked, key=lambda i: (attacked[i], i))}")
        for i, incident in incidents.items():
            if set(incident.violation_codes) & set(alerts.THREATS) and any(
                v.group == "family_member" for v in incident.victims
            ):
                keys.add(f"family_threat:i{i}")
    for request in db.session.scalars(sa.select(ProtectionRequest).options(so.joinedload(ProtectionRequest.incident))):
        if request.incident.status == "rejected":
            continue
        where = f"i{request.incident_id}:r{request.position}"
        if request.decision == "pending" and (today - request.filed_on).days > pending_days:
            keys.add(f"pending_request:{where}:f{request.filed_on:%Y%m%d}")
        end = request.measures_end
        if request.decision == "granted" and end and today <= end <= today + timedelta(days=ending_days):
            keys.add(f"measures_ending:{where}:e{end:%Y%m%d}")
    db.session.expunge_all()
    return keys


def _root(parent: dict[int, int], i: int) -> int:
    while parent[i] != i:
        i = parent[i]
    return i


# The covering index proposed for the alerts: what they read of each incident naming a person,
# so that PostgreSQL neither scans the whole incidents table nor reads it row by row. (The victim
# rows naming a person have theirs: ix_victims_incident_person_group_count.)
PROPOSED_INDEXES = {
    "ix_incidents_alert_facts": "incidents (id, status, date, violation_bits, victim_group_bits)",
}


def measure(kind: str, workdir: Path, csv_path: Path, args) -> list[list]:
    today = date.today()
    # the bench's own links change the data: then never on a database kept for other benches
    with loaded_app(kind, workdir, csv_path, reusable=args.demo_links) as app:
        if not args.demo_links:
            print(f"{kind}: linking persons")
            link_persons(args.share, today)
        print(f"{kind}: the naive baseline")
        config = app.config
        settings = (config["ALERT_REPEAT_DAYS"], config["ALERT_PENDING_DAYS"], config["ALERT_MEASURES_ENDING_DAYS"])
        naive_ms, naive = median_ms(lambda: naive_alerts(today, *settings), max(1, min(args.repeat, 3)))
        rows = [timed(kind, "as loaded", app, today, args.repeat, naive_ms, naive)]
        if args.add_indexes:
            added = add_indexes()
            rows.append(timed(kind, "+ proposed index", app, today, args.repeat, naive_ms, naive))
            drop(added)  # a kept database goes back as it was
        return rows


def add_indexes() -> list[str]:
    """The proposed indexes the schema lacks, created; their names."""
    inspector = sa.inspect(db.engine)
    present = {i["name"] for i in inspector.get_indexes("incidents")}
    added = [name for name in PROPOSED_INDEXES if name not in present]
    for name in added:
        print(f"  creating {name}")
        db.session.execute(sa.text(f"CREATE INDEX {name} ON {PROPOSED_INDEXES[name]}"))
    db.session.commit()
    analyze()
    return added


def drop(indexes: list[str]) -> None:
    for name in indexes:
        db.session.execute(sa.text(f"DROP INDEX {name}"))
    db.session.commit()


def timed(kind: str, schema: str, app, today: date, repeat: int, naive_ms: float, naive: set[str]) -> list:
    """One row of the table: the alerts and the page on the loaded database, beside the baseline."""
    print(f"{kind}: timing ({schema})")
    sql_ms, found = median_ms(lambda: alerts.compute(today), repeat)
    assert {a.key for a in found} == naive, "the baseline and the alerts disagree"
    client = reviewer_client(app)
    page_ms, status = median_ms(lambda: client.get("/protection/alerts").status_code, repeat)
    assert status == 200
    linked_rows = db.session.scalar(sa.select(sa.func.count()).select_from(Victim).where(Victim.person_id.is_not(None)))
    per_kind = ", ".join(f"{k} {sum(1 for a in found if a.kind == k):,}" for k in alerts.KINDS)
    print(f"  {linked_rows:,} victim rows name a person; alerts: {per_kind}")
    return [kind, schema, linked_rows, len(found), sql_ms, page_ms, naive_ms, naive_ms / sql_ms]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=0.05, help="share of defender rows naming a person")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median shown)")
    parser.add_argument(
        "--demo-links",
        action="store_true",
        help="keep the persons and requests of the demo data instead (a kept database may then be reused)",
    )
    parser.add_argument(
        "--add-indexes",
        action="store_true",
        help="then time again with the covering index proposed for the alerts (PROPOSED_INDEXES)",
    )
    args = parser.parse_args()
    table = []
    with demo_csv(args.rows) as (workdir, csv_path):
        for kind in databases():
            print(f"{kind}: loading")
            table += measure(kind, workdir, csv_path, args)
    links = "the demo's own persons" if args.demo_links else f"{args.share:.0%} of defender rows naming a person"
    print(f"\n{args.rows:,} incidents, {links}; median of {args.repeat} runs, milliseconds (goal: ≤ 1 s at 1M)")
    print_table(
        ["database", "schema", "linked rows", "alerts", "alerts ms", "page ms", "naive ms", "naive / alerts"],
        table,
    )


if __name__ == "__main__":
    main()
