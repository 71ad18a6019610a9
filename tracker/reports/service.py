"""Building a report: the shared filter builder selects the incidents (so the report and the
incident list always agree, DESIGN.md §3), and each figure is a GROUP BY over them.

No loop runs over incident rows; Python only adds up grouped rows (a few hundred at most).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import ServiceError
from ..extensions import db
from ..filters import IncidentFilter, filter_conditions
from ..models import Incident, IncidentViolation, Perpetrator, Source, Victim
from ..security import incident_access, visible_incidents_clause
from ..taxonomy import DEFENDER_GROUPS, REPORTABLE_STATUSES
from ..timeutil import utcnow
from .model import Killing, Report, Row, SectionReport
from .scope import Scope
from .sections import CORE_SECTIONS, OPTIONAL_SECTIONS, SPECS

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
        raise ServiceError(_("The period ends before it starts."))
    base = replace(filters, date_from=period_from, date_to=period_to, status=list(statuses), section=[])
    specs = [SPECS[k] for k in filters.section] or list(CORE_SECTIONS)
    if optional_sections:
        specs += [s for s in OPTIONAL_SECTIONS if s not in specs]
    with Scope(specs, [visible_incidents_clause(user), *filter_conditions(base)]) as scope:
        ids = scope.table.c.id
        report = Report(
            period_from=period_from, period_to=period_to, filters=base, sections=_sections(scope, user),
            incidents=db.session.scalar(sa.select(sa.func.count(ids))) or 0,
            sources=db.session.scalar(sa.select(sa.func.count()).select_from(Source).where(
                Source.incident_id.in_(sa.select(ids)))) or 0,
            generated_on=utcnow())
    if compare_previous:
        report.previous = build_report(*previous_period(period_from, period_to), filters, user, statuses,
                                       optional_sections=optional_sections)
        _attach_previous(report)
    return report


def _sections(scope: Scope, user) -> list[SectionReport]:
    t, count = scope.table.c, sa.func.count
    totals = scope.spread([], [count(), sa.func.sum(t.killed), sa.func.sum(t.injured), sa.func.sum(t.detained)])
    admin1, admin2, months = (scope.spread([column], [count()]) for column in (t.admin1, t.admin2, t.month))
    violations = scope.spread([IncidentViolation.code], [count()], IncidentViolation)
    persons = [_incidents(Victim), sa.func.sum(Victim.count)]
    groups = scope.spread([Victim.group], persons, Victim)
    genders = scope.spread([Victim.gender], persons, Victim)
    defender_genders = (scope.spread([Victim.gender], persons, Victim, [Victim.group.in_(sorted(DEFENDER_GROUPS))])
                        if any(spec.defenders_only for spec in scope.specs) else None)
    perpetrators = scope.spread([Perpetrator.type], [_incidents(Perpetrator)], Perpetrator)
    sections = []
    for i, spec in enumerate(scope.specs):
        victims = {k: v for k, v in groups[i].items() if not spec.defenders_only or k in DEFENDER_GROUPS}
        section = SectionReport(
            spec=spec,
            totals={**dict(zip(("incidents", "killed", "injured", "detained"), totals[i].get((), [0] * 4))),
                    "victims": sum(p for _, p in victims.values())},
            breakdowns={
                "violation": _rows({k: v for k, v in violations[i].items() if k in spec.codes}),
                "victim_group": _rows(victims),
                "admin1": _rows(admin1[i]), "admin2": _rows(admin2[i]),
                "perpetrator": _rows(perpetrators[i]),
                "month": [Row(f"{m // 100:04d}-{m % 100:02d}", v[0]) for m, v in sorted(months[i].items())],
                "gender": _rows((defender_genders if spec.defenders_only else genders)[i]),
            })
        if spec.defenders_only:
            _add_protection_figures(section, scope, user)
        sections.append(section)
    return sections


def _incidents(child) -> sa.ColumnElement[int]:
    """Incidents, not child rows: two victim rows of one group are one incident."""
    return sa.func.count(sa.distinct(child.incident_id))


def _rows(sums: dict) -> list[Row]:
    """Most incidents first; a blank key ("not recorded") last."""
    rows = [Row(key, values[0], *values[1:]) for key, values in sums.items()]
    return sorted(rows, key=lambda r: (r.key == "", -r.count, r.key))


def _add_protection_figures(section: SectionReport, scope: Scope, user) -> None:
    """Women and indigenous defenders, and the killings of defenders."""
    t, flag = scope.table.c, scope.section(section.spec)
    section.women_defenders = next((r for r in section.breakdowns["gender"] if r.key == "female"),
                                   Row("female", 0, 0))
    indigenous = sa.and_(Victim.group.in_(sorted(DEFENDER_GROUPS)),
                         sa.or_(Victim.indigenous, Victim.group == "indigenous_leader"))
    n, persons = db.session.execute(
        sa.select(sa.func.count(sa.distinct(Victim.incident_id)), sa.func.sum(Victim.count))
        .join(scope.table, t.id == Victim.incident_id).where(flag, indigenous)).one()
    section.indigenous_defenders = Row("indigenous", n, int(persons or 0))
    killing = sa.and_(flag, sa.or_(t.killed > 0, sa.exists().where(
        IncidentViolation.incident_id == t.id, IncidentViolation.code == "killing")))
    by_region = db.session.execute(sa.select(t.admin1, sa.func.count(), sa.func.sum(t.killed))
                                   .where(killing).group_by(t.admin1)).all()
    section.killing_incidents = sum(n for _, n, _ in by_region)
    section.killed_by_admin1 = _rows({a1: [int(k)] for a1, _, k in by_region if k})
    section.killings = _killings(sa.select(t.id).where(killing), user)


def _killings(ids: sa.Select, user) -> list[Killing]:
    """The first KILLINGS_SHOWN killings, read as plain rows (no ORM objects: this list can be
    long); place and names only as far as `user` may see them (security.incident_access)."""
    incidents = db.session.execute(
        sa.select(Incident.id, Incident.ref, Incident.date, Incident.date_precision, Incident.place, Incident.admin1,
                  Incident.admin2, Incident.killed, Incident.status, Incident.visibility, Incident.created_by_id)
        .where(Incident.id.in_(ids)).order_by(Incident.date, Incident.ref).limit(KILLINGS_SHOWN)).all()
    victims = defaultdict(list)
    for incident_id, group, name in db.session.execute(
            sa.select(Victim.incident_id, Victim.group, Victim.name)
            .where(Victim.incident_id.in_([i.id for i in incidents]), Victim.group.in_(sorted(DEFENDER_GROUPS)))
            .order_by(Victim.incident_id, Victim.position)):
        victims[incident_id].append((group, name))
    killings = []
    for i in incidents:
        access, defenders = incident_access(user, i), victims[i.id]
        killings.append(Killing(
            ref=i.ref, date=i.date, date_precision=i.date_precision, place=i.place if access.exact_location else "",
            admin1=i.admin1, admin2=i.admin2, groups=list(dict.fromkeys(g for g, _ in defenders)), killed=i.killed,
            names=[n for _, n in defenders if n] if access.identities else None))
    return killings


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
