"""Building a report: the shared filter builder selects the incidents (so the report and the
incident list always agree, docs/architecture.md, "Counting rules"), and each figure is a GROUP BY over them.

No loop runs over incident rows; Python only adds up grouped rows (a few hundred at most).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from operator import itemgetter

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..errors import ServiceError
from ..extensions import db
from ..facts import GENDER_BITS, PERPETRATOR_BITS, VICTIM_GROUP_BITS, VIOLATION_BITS, decode
from ..filters import IncidentFilter, filter_conditions
from ..models import Incident, Victim
from ..security import incident_access
from ..taxonomy import DEFENDER_GROUPS, REPORTABLE_STATUSES
from ..timeutil import utcnow
from .model import Killing, RegionGroup, Report, Row, SectionReport
from .persons import protection_figures, region_groups
from .sections import CORE_SECTIONS, OPTIONAL_SECTIONS, SPECS
from .tally import Tally

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


def build_report(
    period_from: date,
    period_to: date,
    filters: IncidentFilter,
    user,
    statuses=REPORTABLE_STATUSES,
    compare_previous: bool = False,
    optional_sections: bool = False,
) -> Report:
    """Count the incidents of the period that match `filters` and that `user` may see.
    `filters.section` chooses which sections to show (all by default)."""
    if period_from > period_to:
        raise ServiceError(_("The period ends before it starts."))
    base = replace(filters, date_from=period_from, date_to=period_to, status=list(statuses), section=[])
    specs = [SPECS[k] for k in filters.section] or list(CORE_SECTIONS)
    if optional_sections:
        specs += [s for s in OPTIONAL_SECTIONS if s not in specs]
    conds = filter_conditions(base, user)
    with Tally(specs, conds) as tally:
        sections, (incidents, sources) = _sections(tally, user, region_groups(current_app.config["REGION_GROUPS"]))
    report = Report(
        period_from=period_from,
        period_to=period_to,
        filters=base,
        sections=sections,
        incidents=incidents,
        sources=sources,
        generated_on=utcnow(),
    )
    if compare_previous:
        report.previous = build_report(
            *previous_period(period_from, period_to), filters, user, statuses, optional_sections=optional_sections
        )
        _attach_previous(report, report.previous)
    return report


TOTALS = (
    "killed",
    "injured",
    "detained",
    "victim_count",
    "defender_count",
    "women_defender_count",
    "indigenous_defender_count",
)
# breakdown → the stored bit set it is read from
BREAKDOWN_BITS = {
    "violation": ("violation_bits", VIOLATION_BITS),
    "victim_group": ("victim_group_bits", VICTIM_GROUP_BITS),
    "gender": ("gender_bits", GENDER_BITS),
    "defender_gender": ("defender_gender_bits", GENDER_BITS),
    "perpetrator": ("perpetrator_bits", PERPETRATOR_BITS),
}

# Bit sets grouped by together: each GROUP BY has a few thousand combinations in a year of a
# million incidents (all five at once give tens of thousands, slow to add up in Python).
ACTS = ("violation", "perpetrator")
PEOPLE = ("victim_group", "gender", "defender_gender")


def _sections(tally: Tally, user, groups: list[RegionGroup]) -> tuple[list[SectionReport], tuple[int, int]]:
    """The sections' figures, and the incidents and sources counted (in any section or none).
    A few GROUP BYs over the copy give them all: by region (with the totals' sums), by month,
    by the stored bit sets (decoded here), and the victims' persons."""
    t = tally.table.c
    regions, overall = tally.spread(
        [t.admin1, t.admin2],
        [
            sa.case((t.indigenous_defender_count > 0, 1), else_=0),
            *(t[name] for name in TOTALS),
            sa.case((t.request_count > 0, 1), else_=0),
            t.source_count,
        ],
        any_section=False,
    )
    months = tally.spread([t.month])[0]
    acts = tally.spread([t[BREAKDOWN_BITS[d][0]] for d in ACTS])[0]
    one_pair = sa.case(
        (
            sa.and_(
                t.victim_group_bits.bitwise_and(t.victim_group_bits - 1) == 0,
                t.gender_bits.bitwise_and(t.gender_bits - 1) == 0,
            ),
            1,
        ),
        else_=0,
    )
    people = tally.spread([*(t[BREAKDOWN_BITS[d][0]] for d in PEOPLE), one_pair], [t.victim_count])[0]
    persons = tally.spread([Victim.group, Victim.gender], [Victim.count], join=Victim, where=one_pair == 0)[0]
    sections = []
    for i, spec in enumerate(tally.specs):
        n, indigenous, *sums, requested, _sources = _sum_by(regions[i], lambda key: ()).get((), [0] * (4 + len(TOTALS)))
        f = dict(zip(TOTALS, sums, strict=True))
        by = {
            dimension: decode(BREAKDOWN_BITS[dimension][1], _sum_by(counts[i], itemgetter(j)))
            for dimensions, counts in ((ACTS, acts), (PEOPLE, people))
            for j, dimension in enumerate(dimensions)
        }
        defenders = spec.defenders_only
        section = SectionReport(
            spec=spec,
            totals={
                "incidents": n,
                "killed": f["killed"],
                "injured": f["injured"],
                "detained": f["detained"],
                "victims": f["defender_count" if defenders else "victim_count"],
            },
            breakdowns={
                "violation": _rows({k: v for k, v in by["violation"].items() if k in spec.codes}),
                "victim_group": _rows(
                    {k: v for k, v in by["victim_group"].items() if not defenders or k in DEFENDER_GROUPS}
                ),
                "admin1": _rows({k: v[0] for k, v in _sum_by(regions[i], itemgetter(0)).items()}),
                "admin2": _rows({k: v[0] for k, v in _sum_by(regions[i], itemgetter(1)).items()}),
                "perpetrator": _rows(by["perpetrator"]),
                "month": [Row(f"{m // 100:04d}-{m % 100:02d}", v[0]) for m, v in sorted(months[i].items())],
                "gender": _rows(by["defender_gender" if defenders else "gender"]),
            },
        )
        if defenders:
            section.women_defenders = Row("female", by["defender_gender"].get("female", 0), f["women_defender_count"])
            section.indigenous_defenders = Row("indigenous", indigenous, f["indigenous_defender_count"])
            _add_killings(section, tally, user)
            column = 2 + TOTALS.index("defender_count")  # after the rows and the indigenous count
            section.persons = protection_figures(
                tally,
                spec,
                {a1: v[column] for a1, v in _sum_by(regions[i], itemgetter(0)).items()},
                requested,
                groups,
            )
        _add_persons(section, _persons(people[i], persons[i]))
        sections.append(section)
    return sections, (overall[0], overall[-1])  # the rows, and the sources (the last value)


def _sum_by(groups: dict[tuple, list[int]], key) -> dict:
    """Regroup grouped sums by `key` of their group (a coarser grouping)."""
    result: dict = {}
    for group, values in groups.items():
        k = key(group)
        result[k] = [a + b for a, b in zip(result[k], values, strict=True)] if k in result else list(values)
    return result


def _add_killings(section: SectionReport, tally: Tally, user) -> None:
    """The killings of defenders: incidents with deaths or the `killing` code."""
    t = tally.table.c
    killing = sa.and_(
        tally.section(section.spec), sa.or_(t.killed > 0, VIOLATION_BITS.has_any(t.violation_bits, ["killing"]))
    )
    by_region = db.session.execute(
        sa.select(t.admin1, sa.func.count(), sa.func.sum(t.killed)).where(killing).group_by(t.admin1)
    ).all()
    section.killing_incidents = sum(n for _, n, _ in by_region)
    section.killed_by_admin1 = _rows({a1: int(k) for a1, _, k in by_region if k})
    section.killings = _killings(sa.select(t.id).where(killing), user)


def _persons(people: dict[tuple, list[int]], joined: dict[tuple[str, str], list[int]]) -> dict[tuple[str, str], int]:
    """Persons per (victim group, gender). Incidents whose victims share one group and one
    gender (about half) need no victim row: all their victims are that pair. The victims rows
    (`joined`) are read for the rest only."""
    result = defaultdict(int, {pair: n for pair, (_, n) in joined.items()})
    for (groups, genders, _defender_genders, one_pair), (_incidents, n) in people.items():
        if one_pair and groups and genders:
            result[VICTIM_GROUP_BITS.only(groups), GENDER_BITS.only(genders)] += n
    return result


def _add_persons(section: SectionReport, persons: dict[tuple[str, str], int]) -> None:
    """Victims (persons, not incidents) on the victim group and gender rows; in the protection
    section defender victims only, as its counts (docs/architecture.md, "Counting rules")."""
    by: dict[str, defaultdict[str, int]] = {"victim_group": defaultdict(int), "gender": defaultdict(int)}
    for (group, gender), n in persons.items():
        if section.spec.defenders_only and group not in DEFENDER_GROUPS:
            continue
        by["victim_group"][group] += n
        by["gender"][gender] += n
    for dimension, sums in by.items():
        for row in section.breakdowns[dimension]:
            row.persons = sums[row.key]


def _rows(counts: dict[str, int]) -> list[Row]:
    """Most incidents first; a blank key ("not recorded") last."""
    return sorted((Row(key, n) for key, n in counts.items()), key=lambda r: (r.key == "", -r.count, r.key))


def _killings(ids: sa.Select, user) -> list[Killing]:
    """The first KILLINGS_SHOWN killings, read as plain rows (no ORM objects: this list can be
    long); place and names only as far as `user` may see them (security.incident_access)."""
    incidents = db.session.execute(
        sa.select(
            Incident.id,
            Incident.ref,
            Incident.date,
            Incident.date_precision,
            Incident.place,
            Incident.admin1,
            Incident.admin2,
            Incident.killed,
            Incident.status,
            Incident.visibility,
            Incident.created_by_id,
        )
        .where(Incident.id.in_(ids))
        .order_by(Incident.date, Incident.ref)
        .limit(KILLINGS_SHOWN)
    ).all()
    victims = defaultdict(list)
    for incident_id, group, name in db.session.execute(
        sa.select(Victim.incident_id, Victim.group, Victim.name)
        .where(Victim.incident_id.in_([i.id for i in incidents]), Victim.group.in_(sorted(DEFENDER_GROUPS)))
        .order_by(Victim.incident_id, Victim.position)
    ):
        victims[incident_id].append((group, name))
    killings = []
    for i in incidents:
        access, defenders = incident_access(user, i), victims[i.id]
        killings.append(
            Killing(
                ref=i.ref,
                date=i.date,
                date_precision=i.date_precision,
                place=i.place if access.exact_location else "",
                admin1=i.admin1,
                admin2=i.admin2,
                groups=list(dict.fromkeys(g for g, _ in defenders)),
                killed=i.killed,
                names=[n for _, n in defenders if n] if access.identities else None,
            )
        )
    return killings


def _attach_previous(report: Report, previous: Report) -> None:
    """Put the previous period's figures (`previous`, the report of the period before) next to
    this period's."""
    for section in report.sections:
        before = previous.section(section.key)
        section.previous_totals = before.totals
        for dimension, rows in section.breakdowns.items():
            if dimension == "month":
                continue  # months of different periods do not line up
            _compare(rows, before.breakdowns[dimension])
        if section.persons and before.persons:
            now, then = section.persons, before.persons
            _compare([now.at_risk, now.repeat], [then.at_risk, then.repeat])
            for rows, earlier in (
                (now.by_admin1, then.by_admin1),
                (now.by_region_group, then.by_region_group),
                (now.requests, then.requests),
            ):
                _compare(rows, earlier)
            now.previous_median_days = then.median_days


def _compare(rows: list[Row], before: list[Row]) -> None:
    """Each row's figure of the previous period (0 when it had none)."""
    earlier = {r.key: r.count for r in before}
    for row in rows:
        row.previous = earlier.get(row.key, 0)
