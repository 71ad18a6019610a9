"""The report as plain data: sections with totals and breakdowns, each figure able to say
which incident-list query reproduces it (`Report.list_args`)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from ..filters import IncidentFilter
from ..taxonomy import DEFENDER_GROUPS
from .sections import SPECS, SectionSpec

TOTAL_KEYS = ("incidents", "killed", "injured", "detained", "victims")
DIMENSIONS = ("violation", "victim_group", "admin1", "admin2", "perpetrator", "month", "gender")


@dataclass
class Row:
    key: str
    count: int  # incidents
    persons: int | None = None  # victims, for victim-level dimensions
    previous: int | None = None


@dataclass
class Killing:
    ref: str
    date: date
    date_precision: str
    place: str  # empty unless the user may see the exact location
    admin1: str
    admin2: str
    groups: list[str]
    killed: int | None
    names: list[str] | None  # None: the user may not see identities


@dataclass
class SectionReport:
    spec: SectionSpec
    totals: dict[str, int]
    breakdowns: dict[str, list[Row]]
    previous_totals: dict[str, int] | None = None
    # protection only
    women_defenders: Row | None = None
    indigenous_defenders: Row | None = None
    killings: list[Killing] = field(default_factory=list)
    killing_incidents: int = 0
    killed_by_admin1: list[Row] = field(default_factory=list)  # count = people killed
    persons: ProtectionFigures | None = None

    @property
    def key(self) -> str:
        return self.spec.key


@dataclass(frozen=True)
class RegionGroup:
    """A group of departments the protection figures add up (config REGION_GROUPS), with the
    words a sentence names it by in each language ("Amazonian regions")."""

    key: str
    en: str
    es: str
    admin1: tuple[str, ...]

    def words(self, locale: str) -> str:
        return self.es if locale.startswith("es") else self.en


REQUEST_KEYS = ("requested", "granted", "refused", "pending")


@dataclass
class ProtectionFigures:
    """Persons at risk and requests for protection, over the protection section's incidents
    (tracker/counts/persons.py). `at_risk`, `repeat` and the department and region group rows
    count persons; `requests` count incidents (`requested`: with any request; then one row per
    decision, an incident under each decision one of its requests has)."""

    at_risk: Row
    repeat: Row
    by_admin1: list[Row]  # blank key: incidents with no department recorded
    by_region_group: list[Row]  # key: the group's key, in the configured order
    requests: list[Row]  # keys: REQUEST_KEYS, in that order
    median_days: float | None  # from filing to decision, over decided requests; None: none decided
    groups: dict[str, RegionGroup] = field(default_factory=dict)
    # the departments, as stored, of the counted incidents in each group (its figure's link)
    group_departments: dict[str, list[str]] = field(default_factory=dict)
    previous_median_days: float | None = None


@dataclass
class Report:
    period_from: date
    period_to: date
    filters: IncidentFilter  # the period and statuses included, no section
    sections: list[SectionReport]
    incidents: int  # in any section or none, as filtered
    sources: int
    generated_on: datetime
    previous: Report | None = None

    @property
    def statuses(self) -> list[str]:
        return self.filters.status

    def section(self, key: str) -> SectionReport:
        return next(s for s in self.sections if s.key == key)

    def previous_period(self) -> tuple[date, date] | None:
        return (self.previous.period_from, self.previous.period_to) if self.previous else None

    def list_args(self, section: str, dimension: str | None = None, key: str = "") -> list[tuple[str, str]] | None:
        """Incident-list parameters selecting exactly the incidents a figure counts, or None
        when the list's filters cannot express it (e.g. a blank region). Dimension
        `region_group`: the protection section's incidents in the group's departments."""
        if dimension == "region_group":
            figures = self.section(section).persons
            names = figures.group_departments.get(key, []) if figures else []
            narrowed = _narrowed(self.filters, "admin1", *names) if names else None
            return link_args(narrowed, SPECS[section], None, "") if narrowed else None
        return link_args(self.filters, SPECS[section], dimension, key)


def month_bounds(key: str, within: tuple[date, date]) -> tuple[date, date]:
    """First and last day of month `YYYY-MM`, clipped to the period."""
    year, month = map(int, key.split("-"))
    first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return max(first, within[0]), min(last, within[1])


def link_args(f: IncidentFilter, spec: SectionSpec, dimension: str | None, key: str) -> list[tuple[str, str]] | None:
    """The rules behind `Report.list_args`. Within one list parameter values are
    alternatives, so a breakdown key can replace the user's own values for that parameter
    only when it is one of them."""
    narrowed: IncidentFilter | None = f
    if dimension == "month":
        # a report's filters always hold its period; without one, the whole month
        start, end = month_bounds(key, (f.date_from or date.min, f.date_to or date.max))
        narrowed = replace(f, date_from=start, date_to=end)
    elif dimension == "gender":
        if f.victim_group:  # the gender filter would then apply to the chosen groups only
            return None
        groups = sorted(DEFENDER_GROUPS) if spec.defenders_only else []
        narrowed = _narrowed(replace(f, victim_group=groups), "gender", key)
    elif dimension is not None:
        narrowed = _narrowed(f, dimension, key)
    if narrowed is None:
        return None
    f = narrowed
    if spec.listed:
        return replace(f, section=[spec.key]).to_args()
    if dimension == "violation":
        return f.to_args()
    if f.violation and not set(f.violation) <= set(spec.codes):
        return None
    return f.to_args() if f.violation else replace(f, violation=list(spec.codes)).to_args()


def _narrowed(f: IncidentFilter, param: str, *keys: str) -> IncidentFilter | None:
    """`f` with the list parameter `param` set to `keys`, or None when one is blank or outside
    the values the user chose."""
    chosen = getattr(f, param)
    if not all(keys) or (chosen and not set(keys) <= set(chosen)):
        return None
    values: dict[str, Any] = {param: list(keys)}  # `param` names one of the filter's lists
    return replace(f, **values)


def change(now: int, before: int | None) -> tuple[int, float | None] | None:
    """Absolute and percentage change against the previous period (no % from zero)."""
    if before is None:
        return None
    return now - before, (round(100 * (now - before) / before, 1) if before else None)
