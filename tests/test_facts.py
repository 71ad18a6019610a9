"""The per-incident summary reports count from (tracker/facts.py) follows every edit and
import, and `tracker recount` rebuilds it: a stale summary would be a wrong published count."""

from __future__ import annotations

import sqlalchemy as sa
from factories import incident_data, submit_incident

from tracker.exchange.demo import write_demo_csv
from tracker.exchange.importer import import_csv
from tracker.extensions import db
from tracker.facts import FACT_COLUMNS
from tracker.filters import IncidentFilter, count_incidents
from tracker.incidents.data import VictimData
from tracker.incidents.service import update_incident
from tracker.models import Incident


def in_section(key: str, user) -> int:
    return count_incidents(IncidentFilter(section=[key]), user)


def stored_facts() -> list[tuple]:
    return db.session.execute(
        sa.select(Incident.id, *(getattr(Incident, c) for c in FACT_COLUMNS)).order_by(Incident.id)
    ).all()


def test_an_edit_moves_the_incident_between_sections(app, users):
    reviewer = users["reviewer"]
    incident = submit_incident(incident_data(violations=["threat", "protest_dispersal"]), users["monitor"])
    assert (in_section("protection", reviewer), in_section("1.2", reviewer), in_section("1.1", reviewer)) == (1, 1, 0)
    # The defender is replaced by a protester: no longer an attack on a defender.
    update_incident(
        incident,
        incident_data(violations=["threat", "protest_dispersal"], victims=[VictimData(group="protester", count=3)]),
        reviewer,
        incident.version,
    )
    assert (in_section("protection", reviewer), in_section("1.2", reviewer)) == (0, 1)
    assert (incident.victim_count, incident.defender_count) == (3, 0)


def test_imported_facts_equal_a_recount(app, runner, tmp_path):
    path = tmp_path / "demo.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        write_demo_csv(out, 300)
    assert import_csv(path).stored == 300
    imported = stored_facts()
    assert any(row.violation_bits for row in imported) and any(row.defender_count for row in imported)
    db.session.execute(sa.update(Incident).values({c: 0 for c in FACT_COLUMNS}))
    db.session.commit()
    result = runner.invoke(args=["recount"])
    assert result.exit_code == 0, result.output
    assert "Recounted 300 incidents" in result.output
    db.session.expire_all()
    assert stored_facts() == imported
