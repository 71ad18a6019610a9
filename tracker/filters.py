"""The one filter builder behind every listing of incidents: the list, and later the map,
reports, exports and the API. Parameter names: docs/api.md, "Filters".

`parse_filters` turns URL parameters into an `IncidentFilter` and reports values it cannot
use (so a mistyped link says what is wrong instead of silently showing everything);
`filter_conditions` turns the filter into SQL for one reader, whose access decides which
fields the text search reads (`text_search_condition`).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field, fields
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from .facts import in_section
from .models import Incident, IncidentViolation, Perpetrator, Victim
from .regions.spelling import listed_name
from .search_index import matching_all
from .security import exact_location_clause, identities_clause, visible_incidents_clause
from .taxonomy import (
    CONFIDENCES,
    GENDERS,
    PERPETRATOR_TYPES,
    SECTION_BY_KEY,
    STATUSES,
    VICTIM_GROUPS,
    VIOLATIONS,
    section_codes,
)

SORTS = ("date_desc", "date_asc")


@dataclass
class IncidentFilter:
    date_from: date | None = None
    date_to: date | None = None
    section: list[str] = field(default_factory=list)
    violation: list[str] = field(default_factory=list)
    victim_group: list[str] = field(default_factory=list)
    gender: list[str] = field(default_factory=list)
    perpetrator: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    admin1: list[str] = field(default_factory=list)
    admin2: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    confidence: list[str] = field(default_factory=list)
    q: str = ""

    def is_empty(self) -> bool:
        return self == IncidentFilter()

    def to_args(self) -> list[tuple[str, str]]:
        """URL parameters that reproduce this filter (for links, pagination, exports)."""
        args: list[tuple[str, str]] = []
        if self.date_from:
            args.append(("from", self.date_from.isoformat()))
        if self.date_to:
            args.append(("to", self.date_to.isoformat()))
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                args.extend((f.name, v) for v in value)
        if self.q:
            args.append(("q", self.q))
        return args


# parameter name -> the codes it accepts (None: any non-empty text, e.g. region names)
_LIST_PARAMS: dict[str, Container[str] | None] = {
    "section": SECTION_BY_KEY,
    "violation": VIOLATIONS,
    "victim_group": VICTIM_GROUPS,
    "gender": GENDERS,
    "perpetrator": PERPETRATOR_TYPES,
    "status": STATUSES,
    "confidence": CONFIDENCES,
    "country": None,
    "admin1": None,
    "admin2": None,
}


REGION_LEVELS = ("admin1", "admin2")


def parse_filters(args: MultiDict) -> tuple[IncidentFilter, list[str]]:
    """Read filter parameters; unusable values are left out and described in `errors`."""
    errors: list[str] = []
    args = _without_nul(args, errors)
    result = IncidentFilter(q=(args.get("q") or "").strip()[:200])
    for name, attr in (("from", "date_from"), ("to", "date_to")):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                setattr(result, attr, date.fromisoformat(raw))
            except ValueError:
                errors.append(_("'%(value)s' is not a date in the form YYYY-MM-DD (%(name)s).", value=raw, name=name))
    if result.date_from and result.date_to and result.date_from > result.date_to:
        errors.append(_("The period ends before it starts."))
    for name, allowed in _LIST_PARAMS.items():
        values = []
        for raw in args.getlist(name):
            value = raw.strip()
            if not value:
                continue
            if name == "country":
                value = value.upper()
                if not (len(value) == 2 and value.isalpha()):
                    errors.append(
                        _("'%(value)s' is not a two-letter country code (ISO 3166-1, e.g. PE).", value=raw.strip())
                    )
                    continue
            if allowed is not None and value not in allowed:
                errors.append(_("Unknown value '%(value)s' for %(name)s.", value=value, name=name))
                continue
            if name in REGION_LEVELS:  # "Junin" or "JUNÍN" from an old link or a script: Junín
                value = listed_name(name, value) or value
            if value not in values:
                values.append(value)
        setattr(result, name, values)
    return result, errors


def _without_nul(args: MultiDict, errors: list[str]) -> MultiDict:
    """The parameters whose values hold no NUL character: PostgreSQL refuses NUL in text, so
    one would turn every listing into a server error."""
    items = list(args.items(multi=True))
    kept = [(name, value) for name, value in items if "\x00" not in value]
    if len(kept) == len(items):
        return args
    errors.append(_("Parameters may not contain NUL characters."))
    return MultiDict(kept)


def _with_child(model, *conditions) -> sa.ColumnElement[bool]:
    """Incidents with a child row (violation, victim, perpetrator) meeting `conditions`.

    Written as `id IN (SELECT incident_id …)` rather than a correlated EXISTS: SQLite then
    reads the child index once instead of probing it per incident (much faster: bench/README.md);
    PostgreSQL plans both as the same semi-join."""
    return Incident.id.in_(sa.select(model.incident_id).where(*conditions))


def filter_conditions(f: IncidentFilter, user) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions for the incidents `user` may see that match a filter, as they may apply
    it. Within a parameter values are alternatives (OR); different parameters must all hold (AND)."""
    conds: list[sa.ColumnElement[bool]] = [visible_incidents_clause(user)]
    if f.date_from:
        conds.append(Incident.date >= f.date_from)
    if f.date_to:
        conds.append(Incident.date <= f.date_to)
    if f.status:
        conds.append(Incident.status.in_(f.status))
    if f.confidence:
        conds.append(Incident.confidence.in_(f.confidence))
    if f.country:
        conds.append(Incident.country.in_(f.country))
    if f.admin1:
        conds.append(Incident.admin1.in_(f.admin1))
    if f.admin2:
        conds.append(Incident.admin2.in_(f.admin2))
    if f.violation:
        conds.append(_with_child(IncidentViolation, IncidentViolation.code.in_(f.violation)))
    if f.section:
        conds.append(sa.or_(*(section_condition(key) for key in f.section)))
    if f.victim_group:
        conds.append(_with_child(Victim, Victim.group.in_(f.victim_group)))
    if f.gender:
        # With victim groups chosen, the same victim must be of the group and the gender
        # ("women defenders"), as the report's gender figures count them.
        groups = [Victim.group.in_(f.victim_group)] if f.victim_group else []
        conds.append(_with_child(Victim, Victim.gender.in_(f.gender), *groups))
    if f.perpetrator:
        conds.append(_with_child(Perpetrator, Perpetrator.type.in_(f.perpetrator)))
    if f.q:
        conds.append(text_search_condition(f.q, user))
    return conds


def text_search_condition(q: str, user) -> sa.ColumnElement[bool]:
    """Incidents where `q` occurs in a field `user` may read (docs/architecture.md, "Privacy"):
    the title, description (as a substring) and non-confidential source titles always; the place
    where they may see the exact location; victim names and organisations, perpetrator names and
    confidential source titles where they may see identities. Those fields are encrypted, so they
    match by whole words, every word of `q` in one scope of the blind index (tracker/search_index.py).
    Every listing searches through here, so none can find an incident by a value its reader is not shown."""
    pattern = f"%{_escape_like(q)}%"
    return sa.or_(
        Incident.title.ilike(pattern, escape="\\"),
        Incident.description.ilike(pattern, escape="\\"),
        matching_all(q, "source"),
        sa.and_(exact_location_clause(user), matching_all(q, "place")),
        sa.and_(identities_clause(user), matching_all(q, "identity")),
    )


def section_condition(key: str) -> sa.ColumnElement[bool]:
    """Incidents counted in a report section (docs/architecture.md, "Counting rules"), from the stored facts."""
    return in_section(Incident, section_codes(key), defenders_only=key == "protection")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered_incidents(f: IncidentFilter, user=None, sort: str = "date_desc") -> sa.Select:
    """SELECT of the incidents matching `f` that `user` may see, in the requested order."""
    stmt = sa.select(Incident).where(*filter_conditions(f, user))
    if sort == "date_asc":
        return stmt.order_by(Incident.date.asc(), Incident.id.asc())
    return stmt.order_by(Incident.date.desc(), Incident.id.desc())


def count_incidents(f: IncidentFilter, user=None) -> int:
    from .extensions import db

    stmt = sa.select(sa.func.count()).select_from(Incident).where(*filter_conditions(f, user))
    return db.session.scalar(stmt) or 0
