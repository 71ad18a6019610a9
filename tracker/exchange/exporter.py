"""Exporting incidents: which rows and which of their fields a reader gets, in any format.

Rows stream from a server-side cursor in batches; each batch fetches its children with
one query per child table, so memory stays flat and no ORM objects are built. The order
(date, then reference) and the formatting depend only on the stored data, so exporting
what was imported from an export gives the same bytes.

What a reader may see is asked of security.py in SQL, per row: restricted fields (persons'
keys and requests for protection among them) are emptied for readers without access to them,
and locations they may not see exactly are replaced by the region centroid the map draws them
at (tracker/location_privacy.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import fields, replace
from typing import BinaryIO, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .. import audit
from ..extensions import db
from ..filters import IncidentFilter, filter_conditions
from ..incidents.data import SCALAR_FIELDS, IncidentData, PerpetratorData, RequestData, SourceData, VictimData
from ..location_privacy import RegionPlacer, region_placer, shown_region
from ..models import Event, Incident, IncidentViolation, Perpetrator, Person, ProtectionRequest, Source, Victim
from ..security import exact_location_clause, identities_clause
from ..sqlite_settings import unmapped
from .formats import FORMATS
from .formats.csv_format import CsvIncident

BATCH_SIZE = 2000


class _System:
    """The command line's reader: it runs as the system and sees everything, which
    security.py grants it as to staff."""

    is_authenticated = True
    role = "admin"


SYSTEM = _System()


class Export:
    """One export of the incidents matching `filters`, for `reader` (SYSTEM, a user, or None
    for the public), as the bytes of a file in `fmt`. `rows` counts what has been written."""

    def __init__(self, fmt: str, filters: IncidentFilter, reader=SYSTEM, target: str = ""):
        self.format = FORMATS[fmt]
        self.fmt, self.filters, self.reader, self.target = fmt, filters, reader, target
        self.rows = 0
        self.restricted: set[str] = set()  # the kinds of restricted field written (audit.restricted_shown)

    def chunks(self) -> Iterator[bytes]:
        """The file in pieces. When it ends, or is abandoned (a download cut short), the audit
        log records who exported what and how many rows went out."""
        complete = False
        try:
            yield from self.format.encode(self._counted(export_rows(self.filters, self.reader, self.restricted)))
            complete = True
        finally:
            if not complete:
                db.session.rollback()  # ends the cursor, and a transaction an error may have broken
            details = {"rows": self.rows, "format": self.fmt, "filters": self.filters.to_args()}
            if self.reader is None:
                details["public"] = True
            if self.restricted:
                details["fields"] = sorted(self.restricted)
            if not complete:
                details["interrupted"] = True
            audit.record("export", self.target[:120], **details)
            db.session.commit()

    def write_to(self, out: BinaryIO) -> int:
        for chunk in self.chunks():
            out.write(chunk)
        return self.rows

    def _counted(self, rows: Iterator[CsvIncident]) -> Iterator[CsvIncident]:
        for row in rows:
            self.rows += 1
            yield row


def export_rows(f: IncidentFilter, reader=SYSTEM, restricted: set[str] | None = None) -> Iterator[CsvIncident]:
    """The incidents matching `f` that `reader` may list, by date then reference, with
    what the reader may not see of each left out; `restricted` collects the kinds of
    restricted field that went out, for the audit log."""
    stmt = (
        sa.select(
            Incident.id,
            Incident.ref,
            Incident.status,
            *(getattr(Incident, name) for name in SCALAR_FIELDS),
            Event.name.label("event"),
            identities_clause(reader).label("identities"),
            exact_location_clause(reader).label("exact"),
        )
        .outerjoin(Event, Incident.event_id == Event.id)
        .where(*filter_conditions(f, reader))
        .order_by(Incident.date, Incident.ref)
        .execution_options(yield_per=BATCH_SIZE)
    )
    place_of = None if reader is SYSTEM else region_placer(reader)
    with unmapped(db.session):
        for batch in db.session.connection().execute(stmt).partitions():  # Core rows: no ORM work per row
            children = _Children([r.id for r in batch])
            for r in batch:
                data = IncidentData(
                    **{name: getattr(r, name) for name in SCALAR_FIELDS},
                    event=r.event or "",
                    violations=children.violations[r.id],
                    victims=children.victims[r.id],
                    perpetrators=children.perpetrators[r.id],
                    sources=children.sources[r.id],
                    requests=children.requests[r.id],
                )
                if restricted is not None:
                    access = _RowAccess(r.identities, r.exact)
                    restricted.update(
                        audit.restricted_shown(access, data, data.victims, data.perpetrators, data.sources)
                    )
                if not r.identities:
                    data = _without_identities(data)
                if not r.exact and place_of is not None:  # None for SYSTEM, which sees every point
                    data = _generalised(data, place_of, public=reader is None)
                yield CsvIncident(data=data, ref=r.ref, status=r.status)


class _RowAccess(NamedTuple):
    """The part of security.IncidentAccess an export decides in SQL, per row."""

    identities: bool
    exact_location: bool


def _without_identities(d: IncidentData) -> IncidentData:
    """No victim or perpetrator names, no organisations, no persons' keys, no confidential
    source and no request for protection at all."""
    return replace(
        d,
        victims=[replace(v, name="", organisation="", person="") for v in d.victims],
        perpetrators=[replace(p, name="") for p in d.perpetrators],
        sources=[s for s in d.sources if not s.confidential],
        requests=[],
    )


def _generalised(d: IncidentData, place_of: RegionPlacer, public: bool) -> IncidentData:
    """The location as the map shows it to this reader (`location_privacy.shown_region`): no
    place name, the centroid of a region for coordinates, and for the public no finer region
    name than that one."""
    shown = shown_region(place_of, d.public_location, (d.admin1, d.admin2, d.admin3), public)
    admin1, admin2, admin3 = shown.names
    return replace(
        d,
        place="",
        latitude=shown.latitude,
        longitude=shown.longitude,
        geo_precision="region",
        admin1=admin1,
        admin2=admin2,
        admin3=admin3,
    )


class _Children:
    """The violations, victims, perpetrators, sources and requests for protection of a batch of
    incidents, by id, with every field of their data classes (so a field added to one is
    exported too)."""

    def __init__(self, ids: list[int]):
        self.violations = _fetch(ids, IncidentViolation, lambda r: r.code, IncidentViolation.code)
        # a victim row stores its person's id; the data hold the key
        self.victims = _fetch_rows(
            ids,
            Victim,
            VictimData,
            stored_as={"person": sa.func.coalesce(Person.key, "")},
            join=(Person, Person.id == Victim.person_id),
        )
        self.perpetrators = _fetch_rows(ids, Perpetrator, PerpetratorData)
        self.sources = _fetch_rows(ids, Source, SourceData)
        self.requests = _fetch_rows(
            ids, ProtectionRequest, RequestData, read={"measures": lambda text: [m for m in text.split(";") if m]}
        )


def _fetch_rows(ids: list[int], model, data_class, stored_as=None, read=None, join=None) -> defaultdict[int, list]:
    """Rows of `model` as `data_class`: a field is its column of the same name, or the
    expression `stored_as` gives, turned into the data's value by `read` where it says."""
    names = [f.name for f in fields(data_class)]
    columns = {name: getattr(model, name) for name in names} | (stored_as or {})
    read = read or {}
    if read:

        def make(r):
            values = r._mapping
            return data_class(**{name: read[name](values[name]) if name in read else values[name] for name in names})
    else:

        def make(r):
            values = r._mapping
            return data_class(**{name: values[name] for name in names})

    return _fetch(ids, model, make, *(columns[name].label(name) for name in names), order=model.position, join=join)


def _fetch(ids: list[int], model, make, *columns, order=None, join=None) -> defaultdict[int, list]:
    stmt = sa.select(model.incident_id, *columns)
    if join is not None:
        stmt = stmt.outerjoin(*join)
    stmt = stmt.where(_among(model.incident_id, ids)).order_by(
        model.incident_id, order if order is not None else columns[0]
    )
    by_incident: defaultdict[int, list] = defaultdict(list)
    for row in db.session.connection().execute(stmt).all():  # one fetch, not one per row
        by_incident[row.incident_id].append(make(row))
    return by_incident


def _among(column, ids: list[int]) -> sa.ColumnElement[bool]:
    """`column IN ids`. On PostgreSQL one array parameter: a query with thousands of
    placeholders costs psycopg more to prepare than the server takes to answer it."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)
