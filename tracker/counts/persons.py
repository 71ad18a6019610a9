"""The protection section's figures on persons (docs/architecture.md, "Persons and protection"):
persons at risk, in total, by department and by region group, persons attacked more than once,
and the requests for protection with the State's answer.

Who counts as a person at risk, among the defender victim rows of the section's incidents:
- a row naming a record of the register of kind `person` is that person, once, however many
  incidents and rows name them;
- any other row (no record, or a record of kind `organisation`: an organisation or community
  is not a person) adds its victim count, as the section's victims total does.
A department counts the persons of its incidents (someone attacked in two departments counts
in each, once in the total); a region group, those with an incident in any of its departments.

Victim rows and requests are read only for the incidents whose stored facts (tracker/facts.py)
say they have a row naming a record, or a request; the other rows' victims are the defender
victims per department the report has summed already, less the rows naming a person.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator

import sqlalchemy as sa

from ..extensions import db
from ..models import Person, ProtectionRequest, Victim
from ..regions.names import name_key
from ..taxonomy import DEFENDER_GROUPS, VICTIM_GROUPS
from .model import REQUEST_KEYS, ProtectionFigures, RegionGroup, Row
from .sections import SectionSpec
from .tally import Tally

DECIDED = ("granted", "refused")
OTHER_GROUPS = sorted(set(VICTIM_GROUPS) - DEFENDER_GROUPS)  # victims who are not defenders


def region_groups(config: list[dict]) -> list[RegionGroup]:
    """The configured groups (config REGION_GROUPS) as the figures use them."""
    return [RegionGroup(g["key"], g["en"], g["es"], tuple(g["admin1"])) for g in config]


def protection_figures(
    tally: Tally, spec: SectionSpec, defenders_by_admin1: dict[str, int], requested: int, groups: list[RegionGroup]
) -> ProtectionFigures:
    """The figures over the incidents of `spec` in `tally`; `defenders_by_admin1`: the sum of
    their defender victims per department, `requested`: how many have a request."""
    linked: defaultdict[str, int] = defaultdict(int)  # victims of the rows naming a person, per department
    places: defaultdict[int, set[str]] = defaultdict(set)  # person -> departments
    incidents: defaultdict[int, set[int]] = defaultdict(set)  # person -> incidents
    for person, incident, admin1, victims in _person_rows(tally, spec):
        linked[admin1] += victims
        places[person].add(admin1)
        incidents[person].add(incident)  # one person on two rows of an incident: one incident
    unkeyed = {a1: n - linked[a1] for a1, n in defenders_by_admin1.items()}
    per_admin1 = defaultdict(int, unkeyed)
    for departments in places.values():
        for admin1 in departments:
            per_admin1[admin1] += 1
    group_rows, group_departments = [], {}
    for group in groups:
        wanted = {name_key(name) for name in group.admin1}
        stored = sorted(a1 for a1 in defenders_by_admin1 if a1 and name_key(a1) in wanted)
        persons = sum(1 for departments in places.values() if not departments.isdisjoint(stored))
        group_rows.append(Row(group.key, persons + sum(unkeyed[a1] for a1 in stored)))
        group_departments[group.key] = stored
    by_decision, days = _requests(tally, spec)
    return ProtectionFigures(
        at_risk=Row("at_risk", len(places) + sum(unkeyed.values())),
        repeat=Row("repeat", sum(1 for ids in incidents.values() if len(ids) >= 2)),
        by_admin1=sorted(
            (Row(a1, n) for a1, n in per_admin1.items() if n), key=lambda r: (r.key == "", -r.count, r.key)
        ),
        by_region_group=group_rows,
        requests=[Row(key, requested if key == "requested" else by_decision.get(key, 0)) for key in REQUEST_KEYS],
        median_days=_median(days),
        groups={g.key: g for g in groups},
        group_departments=group_departments,
    )


def _counted(tally: Tally, spec: SectionSpec, fact: sa.ColumnElement[int]) -> sa.Select:
    """The ids of the section's incidents whose stored `fact` (a count of rows) is not 0.
    Rows are then found as `incident_id IN (…)`: both databases look each incident's rows up
    by index, where a join to the copy (which has no index) reads every row of the child table."""
    return sa.select(tally.table.c.id).where(tally.section(spec), fact > 0)


def _person_rows(tally: Tally, spec: SectionSpec) -> Iterator[tuple[int, int, str, int]]:
    """(person, incident, its department, the row's victims) for each defender row naming a
    person, read for the section's incidents that have such a row only."""
    linked = _counted(tally, spec, tally.table.c.linked_defender_rows)
    connection = db.session.connection()  # Core rows: the ORM's result handling costs more per row
    departments: dict[int, str] = dict(connection.execute(linked.add_columns(tally.table.c.admin1)).all())
    # the register is small: its organisations are left out here rather than by a join per row
    organisations = set(connection.scalars(sa.select(Person.id).where(Person.kind != "person")))
    rows = connection.execute(
        sa.select(Victim.person_id, Victim.incident_id, Victim.count).where(
            Victim.incident_id.in_(linked),
            Victim.person_id.is_not(None),
            # said as NOT IN, which no index serves: SQLite would otherwise probe the (group,
            # incident) index once per defender group and incident
            Victim.group.not_in(OTHER_GROUPS),
        )
    )
    for person, incident, victims in rows:
        if person is not None and person not in organisations:
            yield person, incident, departments[incident], victims


def _requests(tally: Tally, spec: SectionSpec) -> tuple[dict[str, int], list[int]]:
    """Incidents per decision one of their requests has, and the days from filing to decision
    of every decided request, read for the section's incidents that have a request only."""
    incidents: defaultdict[str, set[int]] = defaultdict(set)
    days: list[int] = []
    for incident, decision, filed, decided in db.session.connection().execute(
        sa.select(
            ProtectionRequest.incident_id,
            ProtectionRequest.decision,
            ProtectionRequest.filed_on,
            ProtectionRequest.decided_on,
        ).where(ProtectionRequest.incident_id.in_(_counted(tally, spec, tally.table.c.request_count)))
    ):
        incidents[decision].add(incident)
        if decision in DECIDED and decided is not None:
            days.append((decided - filed).days)
    return {decision: len(ids) for decision, ids in incidents.items()}, days


def _median(days: list[int]) -> float | None:
    """The middle value (of an even count, the mean of the two middle ones); a whole number of
    days as an int."""
    if not days:
        return None
    middle = statistics.median(days)
    return int(middle) if middle == int(middle) else middle
