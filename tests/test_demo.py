"""Demo data: realistic patterns, a CSV that imports cleanly, and `demo-setup` for `make run`."""

from __future__ import annotations

import csv
import io
from collections import Counter

import sqlalchemy as sa

from tracker.exchange import demo
from tracker.exchange.importer import import_csv
from tracker.extensions import db
from tracker.models import Incident, IncidentViolation, Person, ProtectionRequest, Region, User, Victim

AMAZONIAN = {"Loreto", "Ucayali", "Madre de Dios", "San Martín", "Amazonas", "Huánuco", "Junín"}
LAND_DEFENDERS = ("environmental_defender", "land_defender", "indigenous_leader")
PROTEST_REGIONS = {"Lima", "Puno", "Cusco", "Ayacucho", "Apurímac", "Arequipa"}


def incident_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Incident))


def admin1_of(*conditions) -> Counter:
    return Counter(db.session.scalars(sa.select(Incident.admin1).where(*conditions)))


def test_demo_loads_incidents_that_follow_the_seed_patterns(app, runner):
    result = runner.invoke(args=["demo", "--incidents", "200"])
    assert result.exit_code == 0, result.output
    assert "Loaded 200 demo incidents." in result.output
    assert incident_count() == 200

    # the Peru country report: over half of the attacks on defenders happen in Amazonian regions
    defenders = admin1_of(Incident.victims.any(Victim.group.in_(LAND_DEFENDERS)))
    assert sum(n for name, n in defenders.items() if name in AMAZONIAN) > 0.6 * defenders.total()

    protests = Incident.violations.any(IncidentViolation.code.like("protest%"))
    regions = admin1_of(protests)
    assert sum(n for name, n in regions.items() if name in PROTEST_REGIONS) > 0.5 * regions.total()
    wave = admin1_of(protests, Incident.date.between(*demo.PROTEST_WAVE)).total()
    assert wave > 0.3 * regions.total()  # four months of four years

    statuses = Counter(db.session.scalars(sa.select(Incident.status)))
    assert statuses["verified"] + statuses["published"] > 0.5 * 200 and len(statuses) == 5
    assert all(name in demo.DEPARTMENTS for name in admin1_of())
    titles = db.session.scalars(sa.select(Incident.title)).all()
    assert all("ficticia" in t.lower() for t in titles)


def test_demo_csv_has_the_requested_rows_and_imports_cleanly(app, runner, tmp_path):
    path = tmp_path / "demo.csv"
    result = runner.invoke(args=["demo", "--incidents", "300", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert len(rows) == 300 and {r["ref"] for r in rows} == {""}
    assert all(r["source_urls"].startswith("https://") and ".example.org/" in r["source_urls"] for r in rows)
    assert {r["date_precision"] for r in rows} == {"day", "week", "month"}

    checked = import_csv(path, dry_run=True)
    assert (checked.errors, checked.rows, incident_count()) == ([], 300, 0)

    again = io.StringIO(newline="")
    demo.write_demo_csv(again, 300)
    assert again.getvalue().encode() == path.read_bytes()  # the same seed, the same data


def test_demo_persons_recur_across_incidents_and_ask_for_protection(app):
    """So the persons' pages, the alerts and the protection figures have something to show."""
    demo.load_demo(300)
    persons = db.session.scalars(sa.select(Person)).all()
    assert persons and all("ficticia" in p.name.lower() or "ficticio" in p.name.lower() for p in persons)
    assert {p.kind for p in persons} == {"person", "organisation"}
    pairs = sa.select(Victim.person_id, Victim.incident_id).where(Victim.person_id.is_not(None)).distinct()
    per_person = Counter(person for person, _incident in db.session.execute(pairs))
    assert max(per_person.values()) >= 3  # the same defender in several incidents
    amazonian = [p for p in persons if p.kind == "person" and p.admin1 in AMAZONIAN]
    assert len(amazonian) > 0.5 * sum(p.kind == "person" for p in persons)

    requests = db.session.scalars(sa.select(ProtectionRequest)).all()
    assert {r.decision for r in requests} == {"pending", "granted", "refused"}
    granted = [r for r in requests if r.decision == "granted"]
    assert all(r.measures and r.measures_end > r.decided_on >= r.filed_on for r in granted)
    assert all(r.decided_on is None and not r.measures for r in requests if r.decision == "pending")
    assert all(r.reference.endswith("(ficticio)") for r in requests)


def test_demo_points_stay_near_their_capital():
    for row in demo.generate(2000, seed=3):
        d = row.data
        if d.latitude is None:
            continue
        capital = demo.DEPARTMENTS[d.admin1]
        assert abs(d.latitude - capital.lat) <= demo.MAX_JITTER + 1e-9
        assert abs(d.longitude - capital.lon) <= demo.MAX_JITTER + 1e-9
        assert capital.land * (d.longitude - capital.lon) >= 0  # not out at sea (or in the lake)


def test_demo_setup_creates_accounts_boundaries_and_incidents_once(app, runner, monkeypatch, shared_geo):
    # the department layer is enough to show boundaries are imported (and keeps the test fast)
    monkeypatch.setattr(demo, "BOUNDARY_LAYERS", demo.BOUNDARY_LAYERS[:1])
    first = runner.invoke(args=["demo-setup", "--incidents", "30"])
    assert first.exit_code == 0, first.output
    assert "http://127.0.0.1:5000" in first.output and "Imported 25 admin1 boundaries." in first.output
    for role in demo.DEMO_ROLES:
        assert f"{role}@demo.invalid" in first.output
    assert first.output.count("password: ") == 5
    assert db.session.scalar(sa.select(User.role).where(User.email == "admin@demo.invalid")) == "admin"
    assert incident_count() == 30
    # typed department names take the boundaries' spelling, so region filters find them
    stored_names = set(db.session.scalars(sa.select(Region.name)))
    assert set(admin1_of()) <= stored_names

    second = runner.invoke(args=["demo-setup"])
    assert second.exit_code == 0, second.output
    assert "password: " not in second.output and second.output.count("exists already") == 5
    assert "Incidents already stored: none added." in second.output
    assert incident_count() == 30
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == 25
