"""Building a report: every figure is one GROUP BY query over the incidents the shared
filter builder selects, so the report and the incident list always agree (DESIGN.md §3).

No loop runs over incident rows; Python only adds up grouped rows (a few hundred at most).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from ..errors import ServiceError
from ..extensions import db
from ..filters import IncidentFilter, filter_conditions
from ..models import Incident, IncidentViolation, Perpetrator, Source, Victim
from ..security import incident_access, visible_incidents_clause
from ..taxonomy import DEFENDER_GROUPS, REPORTABLE_STATUSES
from ..timeutil import utcnow
from .model import Killing, Report, Row, SectionReport
from .sections import CORE_SECTIONS, OPTIONAL_SECTIONS, SPECS, SectionSpec

KILLINGS_SHOWN = 500  # the list of killings is for reading; the counts cover them all


def report_statuses(f: IncidentFilter) -> tuple[str, ...]:
    """The statuses a report counts: those asked for, else verified and published."""
    return tuple(f.status) or REPORTABLE_STATUSES


def previous_period(period_from: date, period_to: date) -> tuple[date, date]:
    """The period of equal length that ends the day before this one starts; whole months
    compare with as many whole months (2024 with 2023, not with 366 days from 31 Dec 2022)."""
    end = period_from - timedelta(days=1)
    if period_from.day == 1 and (period_to + timedelta(days=1)).day == 1:
        months = (period_to.year - period_from.year) * 12 + period_to.month - period_from.month + 1
        start = period_from.year * 12 + period_from.month - 1 - months
        return date(start // 12, start % 12 + 1, 1), end
    return end - (period_to - period_from), end


def build_report(period_from: date, period_to: date, filters: IncidentFilter, user,
                 statuses=REPORTABLE_STATUSES, compare_previous: bool = False,
                 optional_sections: bool = False) -> Report:
    """Count the incidents of the period that match `filters` and that `user` may see.
    `filters.section` chooses which sections to show (all by default)."""
    if period_from > period_to:
        raise ServiceError("The period ends before it starts.")
    base = replace(filters, date_from=period_from, date_to=period_to, status=list(statuses), section=[])
    conds = [visible_incidents_clause(user), *filter_conditions(base)]
    specs = [SPECS[k] for k in filters.section] or list(CORE_SECTIONS)
    if optional_sections:
        specs += [s for s in OPTIONAL_SECTIONS if s not in specs]
    report = Report(
        period_from=period_from, period_to=period_to, filters=base,
        sections=[_section(spec, conds, user) for spec in specs],
        incidents=db.session.scalar(sa.select(sa.func.count()).select_from(Incident).where(*conds)) or 0,
        sources=db.session.scalar(sa.select(sa.func.count()).select_from(Source)
                                  .join(Incident, Incident.id == Source.incident_id).where(*conds)) or 0,
        generated_on=utcnow())
    if compare_previous:
        report.previous = build_report(*previous_period(period_from, period_to), filters, user, statuses,
                                       optional_sections=optional_sections)
        _attach_previous(report)
    return report


def _section(spec: SectionSpec, base_conds, user) -> SectionReport:
    conds = [*base_conds, spec.condition()]
    totals, breakdowns = _incident_level(conds)
    # Aliases, so the filters' EXISTS subqueries on these tables stay tied to the incident.
    victim, violation, perpetrator = aliased(Victim), aliased(IncidentViolation), aliased(Perpetrator)
    victim_conds = spec.victim_condition(victim.group)
    groups = _grouped(victim.group, victim, conds + victim_conds, persons=True)
    genders = _grouped(victim.gender, victim, conds + victim_conds, persons=True)
    totals["victims"] = sum(r.persons for r in groups)
    breakdowns.update(
        violation=_grouped(violation.code, violation, conds + [violation.code.in_(spec.codes)]),
        victim_group=groups, gender=genders,
        perpetrator=_grouped(perpetrator.type, perpetrator, conds))
    section = SectionReport(spec=spec, totals=totals, breakdowns=breakdowns)
    if spec.defenders_only:
        _add_protection_figures(section, conds, user)
    return section


def _incident_level(conds) -> tuple[dict[str, int], dict[str, list[Row]]]:
    """Totals and the region and month breakdowns from one GROUP BY over incidents."""
    year, month = sa.extract("year", Incident.date), sa.extract("month", Incident.date)
    keys = (Incident.admin1, Incident.admin2, year, month)
    stmt = (sa.select(*keys, sa.func.count(), sa.func.sum(Incident.killed), sa.func.sum(Incident.injured),
                      sa.func.sum(Incident.detained)).where(*conds).group_by(*keys))
    totals = Counter(incidents=0, killed=0, injured=0, detained=0)
    admin1, admin2, months = Counter(), Counter(), Counter()
    for a1, a2, y, m, n, killed, injured, detained in db.session.execute(stmt):
        totals.update(incidents=n, killed=killed or 0, injured=injured or 0, detained=detained or 0)
        admin1[a1] += n
        admin2[a2] += n
        months[f"{int(y):04d}-{int(m):02d}"] += n
    return dict(totals), {"admin1": _rows(admin1), "admin2": _rows(admin2),
                          "month": [Row(k, months[k]) for k in sorted(months)]}


def _rows(counts: Counter) -> list[Row]:
    """Most incidents first; a blank key ("not recorded") last."""
    return sorted((Row(k, n) for k, n in counts.items()), key=lambda r: (r.key == "", -r.count, r.key))


def _grouped(column, child, conds, persons: bool = False) -> list[Row]:
    """Incidents per value of a child-table column (an incident counts once per value)."""
    aggregates = [sa.func.count(sa.distinct(child.incident_id))]
    if persons:
        aggregates.append(sa.func.sum(child.count))
    stmt = (sa.select(column, *aggregates).join(Incident, Incident.id == child.incident_id)
            .where(*conds).group_by(column))
    rows = [Row(key, n, int(values[0] or 0) if persons else None) for key, n, *values in db.session.execute(stmt)]
    return sorted(rows, key=lambda r: (-r.count, r.key))


def _add_protection_figures(section: SectionReport, conds, user) -> None:
    """Women and indigenous defenders, and the killings of defenders."""
    section.women_defenders = next((r for r in section.breakdowns["gender"] if r.key == "female"),
                                   Row("female", 0, 0))
    victim = aliased(Victim)
    indigenous = sa.and_(victim.group.in_(sorted(DEFENDER_GROUPS)),
                         sa.or_(victim.indigenous, victim.group == "indigenous_leader"))
    n, persons = db.session.execute(
        sa.select(sa.func.count(sa.distinct(victim.incident_id)), sa.func.sum(victim.count))
        .join(Incident, Incident.id == victim.incident_id).where(*conds, indigenous)).one()
    section.indigenous_defenders = Row("indigenous", n, int(persons or 0))
    killing = [*conds, sa.or_(Incident.killed > 0, sa.exists().where(
        IncidentViolation.incident_id == Incident.id, IncidentViolation.code == "killing"))]
    by_region = db.session.execute(sa.select(Incident.admin1, sa.func.count(), sa.func.sum(Incident.killed))
                                   .where(*killing).group_by(Incident.admin1)).all()
    section.killing_incidents = sum(n for _, n, _ in by_region)
    section.killed_by_admin1 = _rows(Counter({a1: int(k or 0) for a1, _, k in by_region if k}))
    incidents = db.session.scalars(sa.select(Incident).where(*killing).options(selectinload(Incident.victims))
                                   .order_by(Incident.date, Incident.ref).limit(KILLINGS_SHOWN))
    section.killings = [_killing(i, user) for i in incidents]


def _killing(incident: Incident, user) -> Killing:
    access = incident_access(user, incident)
    defenders = [v for v in incident.victims if v.group in DEFENDER_GROUPS]
    return Killing(ref=incident.ref, date=incident.date, date_precision=incident.date_precision,
                   place=incident.place if access.exact_location else "", admin1=incident.admin1,
                   admin2=incident.admin2, groups=list(dict.fromkeys(v.group for v in defenders)),
                   killed=incident.killed,
                   names=[v.name for v in defenders if v.name] if access.identities else None)


def _attach_previous(report: Report) -> None:
    """Put the previous period's figures next to this period's."""
    for section in report.sections:
        before = report.previous.section(section.key)
        section.previous_totals = before.totals
        for dimension, rows in section.breakdowns.items():
            if dimension == "month":
                continue  # months of different periods do not line up
            earlier = {r.key: r.count for r in before.breakdowns[dimension]}
            for row in rows:
                row.previous = earlier.get(row.key, 0)
