"""Exporting incidents as the canonical CSV.

Rows stream from a server-side cursor in batches; each batch fetches its children with
one query per child table, so memory stays flat and no ORM objects are built. The order
(date, then reference) and the formatting depend only on the stored data, so exporting
what was imported from an export gives the same bytes.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from typing import TextIO

import sqlalchemy as sa

from .. import audit
from ..extensions import db
from ..filters import IncidentFilter, filter_conditions
from ..incidents.data import SCALAR_FIELDS, IncidentData, PerpetratorData, SourceData, VictimData
from ..models import Event, Incident, IncidentViolation, Perpetrator, Source, Victim
from .csv_format import COLUMNS, CsvIncident, format_row

BATCH_SIZE = 2000


def export_csv(out: TextIO, f: IncidentFilter, target: str = "") -> int:
    """Write the incidents matching `f` to `out` (opened with newline=""); returns how many.
    Runs as the system: every incident is included, as the CLI has full access."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in export_rows(f):
        writer.writerow(format_row(row))
        count += 1
    audit.record("export", target[:120], rows=count, format="csv", filters=f.to_args())
    db.session.commit()
    return count


def export_rows(f: IncidentFilter) -> Iterator[CsvIncident]:
    """The matching incidents as canonical rows, by date then reference."""
    stmt = (sa.select(Incident.id, Incident.ref, Incident.status,
                      *(getattr(Incident, name) for name in SCALAR_FIELDS), Event.name.label("event"))
            .outerjoin(Event, Incident.event_id == Event.id)
            .where(*filter_conditions(f))
            .order_by(Incident.date, Incident.ref)
            .execution_options(yield_per=BATCH_SIZE))
    for batch in db.session.execute(stmt).partitions():
        children = _Children([r.id for r in batch])
        for r in batch:
            data = IncidentData(**{name: getattr(r, name) for name in SCALAR_FIELDS}, event=r.event or "",
                                violations=children.violations[r.id], victims=children.victims[r.id],
                                perpetrators=children.perpetrators[r.id], sources=children.sources[r.id])
            yield CsvIncident(data=data, ref=r.ref, status=r.status)


class _Children:
    """The violations, victims, perpetrators and sources of a batch of incidents, by id."""

    def __init__(self, ids: list[int]):
        self.violations = _fetch(ids, IncidentViolation, lambda r: r.code, IncidentViolation.code)
        self.victims = _fetch(ids, Victim, lambda r: VictimData(group=r.group, count=r.count, gender=r.gender),
                              Victim.group, Victim.count, Victim.gender, order=Victim.position)
        self.perpetrators = _fetch(ids, Perpetrator, lambda r: PerpetratorData(type=r.type),
                                   Perpetrator.type, order=Perpetrator.position)
        self.sources = _fetch(ids, Source, lambda r: SourceData(kind=r.kind, url=r.url),
                              Source.kind, Source.url, order=Source.position)


def _fetch(ids: list[int], model, make, *columns, order=None) -> defaultdict[int, list]:
    stmt = (sa.select(model.incident_id, *columns).where(model.incident_id.in_(ids))
            .order_by(model.incident_id, order if order is not None else columns[0]))
    by_incident: defaultdict[int, list] = defaultdict(list)
    for row in db.session.execute(stmt):
        by_incident[row.incident_id].append(make(row))
    return by_incident
