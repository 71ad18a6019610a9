"""What the API reads: pages of incidents, one incident, report figures. Plain functions,
no Flask request needed; the caller is a `User` or None (anonymous, public data only).

Incidents are selected by the shared filter builder and `security.visible_incidents_clause`,
so a page holds what the incident list shows the same user for the same filters.

Pages are cut by keyset (the last date and id seen), not by offset: an incident recorded
while a client pages through is either before its position (not seen) or after it (seen
once), so nothing is skipped or repeated, and a deep page costs what the first one does.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _

from ..audit import restricted_shown as _shown
from ..counts.model import Report
from ..counts.service import build_report, report_statuses
from ..errors import ServiceError
from ..extensions import db
from ..filters import SORTS, IncidentFilter, filter_conditions
from ..location_privacy import region_shown_clause
from ..models import Event, Incident, IncidentViolation, Perpetrator, Person, ProtectionRequest, Source, Victim
from ..security import incident_access, role_of, user_may_open

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
_MAX_ID = 2**31 - 1  # incident ids are 32-bit integers on PostgreSQL


class ParameterError(ServiceError):
    """A request parameter the API cannot use; its message says which and why."""


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the incident with this date and id, in this order."""

    sort: str
    date: date
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.sort, self.date.isoformat(), self.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor a previous page returned; anything else is refused."""
        try:
            sort, day, incident_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            cursor = cls(sort, date.fromisoformat(day), incident_id)
            valid = cursor.sort in SORTS and type(incident_id) is int and 0 < incident_id <= _MAX_ID
        except (TypeError, ValueError):  # bad base64, text, JSON, shape or date
            valid = False
        if not valid:
            raise ParameterError(_("The cursor is not one this API returned; start again without it."))
        return cursor


@dataclass
class IncidentPage:
    records: list[IncidentRecord]
    next_cursor: Cursor | None


def parse_sort(raw: str | None) -> str:
    if not raw:
        return SORTS[0]
    if raw not in SORTS:
        raise ParameterError(_("sort must be one of: %(sorts)s.", sorts=", ".join(SORTS)))
    return raw


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ParameterError(_("limit must be a whole number from 1 to %(max)d.", max=MAX_LIMIT))
    return limit


def reader_conditions(filters: IncidentFilter, user) -> list[sa.ColumnElement[bool]]:
    """The incidents matching `filters` that `user` may list. For anonymous callers a region
    filter only finds incidents the public map shows in a region of that level, and text
    search is refused: it also reads place names, so its hits would tell where an incident
    the public sees only as a department is."""
    if role_of(user) is None and filters.q:
        raise ParameterError(
            _("Text search (q) needs an API token: it also searches place names that the public may not see.")
        )
    conditions = filter_conditions(filters, user)
    conditions += [region_shown_clause(user, level) for level in ("admin1", "admin2") if getattr(filters, level)]
    return conditions


def _after(cursor: Cursor) -> sa.ColumnElement[bool]:
    """Incidents after the cursor's. The separate bound on the date alone lets both databases
    read the date index as a range starting at the cursor."""
    if cursor.sort == "date_asc":
        return sa.and_(Incident.date >= cursor.date, sa.or_(Incident.date > cursor.date, Incident.id > cursor.id))
    return sa.and_(Incident.date <= cursor.date, sa.or_(Incident.date < cursor.date, Incident.id < cursor.id))


# What an incident's JSON shows, and what security.incident_access reads, as plain rows: a
# page is five queries and no ORM objects (loading those took twice as long per page).
INCIDENT_COLUMNS = (
    Incident.id,
    Incident.ref,
    Incident.title,
    Incident.description,
    Incident.date,
    Incident.date_precision,
    Incident.end_date,
    Incident.status,
    Incident.confidence,
    Incident.visibility,
    Incident.public_location,
    Incident.country,
    Incident.admin1,
    Incident.admin2,
    Incident.admin3,
    Incident.place,
    Incident.latitude,
    Incident.longitude,
    Incident.geo_precision,
    Incident.killed,
    Incident.injured,
    Incident.detained,
    Incident.created_by_id,
    Incident.created_at,
    Incident.updated_at,
    Event.name.label("event"),
)
CHILDREN = {
    "violations": sa.select(IncidentViolation.incident_id, IncidentViolation.code).order_by(IncidentViolation.code),
    "victims": sa.select(
        Victim.incident_id,
        Victim.group,
        Victim.count,
        Victim.gender,
        Victim.name,
        Victim.organisation,
        Victim.indigenous,
        Victim.lgbtiq,
        Victim.woman_defender,
        Person.key.label("person"),  # the register's record the row names (tracker/persons/), or None
    )
    .outerjoin(Person, Person.id == Victim.person_id)
    .order_by(Victim.position),
    "perpetrators": sa.select(
        Perpetrator.incident_id, Perpetrator.type, Perpetrator.involvement, Perpetrator.name
    ).order_by(Perpetrator.position),
    "sources": sa.select(
        Source.incident_id,
        Source.kind,
        Source.title,
        Source.url,
        Source.publisher,
        Source.published_on,
        Source.reliability,
        Source.confidential,
    ).order_by(Source.position),
    "requests": sa.select(
        ProtectionRequest.incident_id,
        ProtectionRequest.filed_on,
        ProtectionRequest.authority,
        ProtectionRequest.reference,
        ProtectionRequest.decision,
        ProtectionRequest.decided_on,
        ProtectionRequest.measures,
        ProtectionRequest.measures_end,
        ProtectionRequest.notes,
    ).order_by(ProtectionRequest.position),
}


@dataclass
class IncidentRecord:
    incident: sa.Row  # INCIDENT_COLUMNS
    violations: list[sa.Row]
    victims: list[sa.Row]
    perpetrators: list[sa.Row]
    sources: list[sa.Row]
    requests: list[sa.Row]  # requests for protection


def incident_rows(*conditions, order=(), limit: int | None = None) -> list[IncidentRecord]:
    """The incidents meeting `conditions` with their child rows, one query per table."""
    stmt = (
        sa.select(*INCIDENT_COLUMNS)
        .outerjoin(Event, Incident.event_id == Event.id)
        .where(*conditions)
        .order_by(*order)
        .limit(limit)
    )
    incidents = db.session.execute(stmt).all()
    ids = [row.id for row in incidents]
    children: dict[str, defaultdict[int, list]] = {name: defaultdict(list) for name in CHILDREN}
    for name, query in CHILDREN.items():
        for row in db.session.execute(query.where(query.selected_columns[0].in_(ids))):
            children[name][row.incident_id].append(row)
    return [IncidentRecord(row, **{name: rows[row.id] for name, rows in children.items()}) for row in incidents]


def restricted_shown(record: IncidentRecord, user) -> list[str]:
    """The kinds of restricted field `user` is shown of this incident (audit.restricted_shown)."""
    access = incident_access(user, record.incident)
    read = _Read(record.incident.public_location, record.requests)
    return _shown(access, read, record.victims, record.perpetrators, record.sources)


class _Read(NamedTuple):
    """What audit.restricted_shown reads of the incident itself."""

    public_location: str
    requests: list[sa.Row]


def incident_page(
    filters: IncidentFilter, user, limit: int = DEFAULT_LIMIT, sort: str = "date_desc", cursor: Cursor | None = None
) -> IncidentPage:
    """Up to `limit` incidents in `sort` order, starting after `cursor`."""
    if cursor is not None and cursor.sort != sort:
        raise ParameterError(_("The cursor belongs to another sort order; start again without it."))
    conditions = reader_conditions(filters, user) + ([_after(cursor)] if cursor else [])
    order = (
        (Incident.date.asc(), Incident.id.asc()) if sort == "date_asc" else (Incident.date.desc(), Incident.id.desc())
    )
    records = incident_rows(*conditions, order=order, limit=limit + 1)
    if len(records) <= limit:
        return IncidentPage(records, None)
    last = records[limit - 1].incident
    return IncidentPage(records[:limit], Cursor(sort, last.date, last.id))


def find_incident(ref: str, user) -> IncidentRecord | None:
    """The incident with this reference if `user` may open it (else None, as for an unknown one)."""
    found = incident_rows(Incident.ref == ref)
    return found[0] if found and user_may_open(user, found[0].incident) else None


def period_report(filters: IncidentFilter, user) -> Report:
    """The report figures for the filters' period, as the report page counts them."""
    if filters.date_from is None or filters.date_to is None:
        raise ParameterError(_("Give the period with both from and to (YYYY-MM-DD)."))
    return build_report(filters.date_from, filters.date_to, filters, user, report_statuses(filters))
