"""Rows whose reference is already stored update that incident instead of adding another:
re-importing an export, or a newer ACLED download, changes only what changed.

A file may say only part of what we store (ACLED's has no victim counts or statuses; a canonical
file written before a column was added lacks that column), and an empty cell of a child row
means "not known": so an update takes from the row what its columns carry, and keeps the rest
as stored. An update is saved like an edit,
as a new version in the incident's history; a row that would change nothing writes nothing.

A file holds one request for protection per incident: it updates the incident's first request
and leaves the others, added on the incident's page, as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..incidents.data import IncidentData, RequestData
from ..incidents.service import incident_data, revise_incident
from ..models import Incident, Victim
from .formats.csv_format import CsvIncident, format_float


@dataclass(frozen=True)
class Coverage:
    """What a format carries: incident fields, and the fields of each kind of child row."""

    scalars: frozenset[str]
    victims: tuple[str, ...]
    perpetrators: tuple[str, ...]
    sources: tuple[str, ...]
    status: bool
    requests: bool = False  # the first request for protection


_PLACE = (
    "date",
    "date_precision",
    "place",
    "latitude",
    "longitude",
    "geo_precision",
    "country",
    "admin1",
    "admin2",
    "admin3",
)
COVERAGE = {
    "canonical": Coverage(
        scalars=frozenset(
            (
                "title",
                "description",
                *_PLACE,
                "violations",
                "killed",
                "injured",
                "detained",
                "confidence",
                "visibility",
                "public_location",
                "event",
                "end_date",
                "consent",
            )
        ),
        victims=(
            "group",
            "count",
            "gender",
            "name",
            "organisation",
            "indigenous",
            "lgbtiq",
            "woman_defender",
            "person",
        ),
        perpetrators=("type", "name", "involvement"),
        sources=("kind", "url", "title", "confidential", "publisher", "published_on", "reliability"),
        status=True,
        requests=True,
    ),
    "acled": Coverage(
        scalars=frozenset(("title", "description", *_PLACE, "violations", "killed")),
        victims=("group",),
        perpetrators=("type",),
        sources=("kind", "publisher"),
        status=False,
    ),
}
CHILD_KEYS = {"victims": "group", "perpetrators": "type", "sources": "kind"}
# canonical column -> (child rows it describes, or "" for the incident; the field it fills)
_CANONICAL_FIELDS = {
    **{name: ("", name) for name in COVERAGE["canonical"].scalars},
    **{f"victim_{name}": ("victims", name) for name in ("count", "gender", "indigenous", "lgbtiq", "woman_defender")},
    "victim_groups": ("victims", "group"),
    "victim_names": ("victims", "name"),
    "victim_organisations": ("victims", "organisation"),
    "perpetrators": ("perpetrators", "type"),
    "perpetrator_names": ("perpetrators", "name"),
    "perpetrator_involvement": ("perpetrators", "involvement"),
    "source_kinds": ("sources", "kind"),
    **{f"source_{name}s": ("sources", name) for name in ("url", "title", "publisher")},
    "source_confidential": ("sources", "confidential"),
    "source_published_on": ("sources", "published_on"),
    "source_reliability": ("sources", "reliability"),
    "victim_person_ids": ("victims", "person"),
}
_REQUEST_COLUMNS = ("protection_requested_on", "protection_decision", "protection_decided_on")


def coverage_of(columns: str, header: Iterable[str]) -> Coverage:
    """What a file carries: for ACLED's columns, what that format holds; for the canonical
    ones, the fields of the columns its header names (a column left out keeps what is stored)."""
    if columns != "canonical":
        return COVERAGE[columns]
    header = list(header)
    carried = [_CANONICAL_FIELDS[name] for name in header if name in _CANONICAL_FIELDS]
    full = COVERAGE["canonical"]

    def of(kind: str) -> tuple[str, ...]:
        return tuple(name for name in getattr(full, kind) if (kind, name) in carried)

    return Coverage(
        scalars=frozenset(name for kind, name in carried if kind == ""),
        victims=of("victims"),
        perpetrators=of("perpetrators"),
        sources=of("sources"),
        status="status" in header,
        requests=all(name in header for name in _REQUEST_COLUMNS),
    )


def update_stored(rows: list[CsvIncident], coverage: Coverage, user) -> tuple[int, int]:
    """Apply rows whose reference is stored to their incidents; (updated, unchanged)."""
    if not rows:
        return 0, 0
    stored = {
        i.ref: i
        for i in db.session.scalars(
            sa.select(Incident)
            .where(Incident.ref.in_([row.ref for row in rows]))
            .options(
                selectinload(Incident.violations),
                selectinload(Incident.victims).selectinload(Victim.person),
                selectinload(Incident.perpetrators),
                selectinload(Incident.sources),
                selectinload(Incident.requests),
                selectinload(Incident.event),
            )
        )
    }
    updated = 0
    for row in rows:
        incident = stored[row.ref]
        data = merged(incident_data(incident), row.data, coverage)
        updated += revise_incident(incident, data, user, row.status if coverage.status else None)
    return updated, len(rows) - updated


def merged(stored: IncidentData, incoming: IncidentData, coverage: Coverage) -> IncidentData:
    """The incident as stored, with what the row carries laid over it."""
    values = {f.name: getattr(incoming if f.name in coverage.scalars else stored, f.name) for f in fields(IncidentData)}
    for axis in ("latitude", "longitude"):  # a file rounds to 6 decimals: keep the stored value
        if format_float(values[axis]) == format_float(getattr(stored, axis)):
            values[axis] = getattr(stored, axis)
    for name, key in CHILD_KEYS.items():
        old = getattr(stored, name)
        if key not in getattr(coverage, name):  # the file does not list such rows: keep them
            values[name] = old
            continue
        values[name] = [
            _merged_child(old[i] if i < len(old) else None, new, key, getattr(coverage, name))
            for i, new in enumerate(getattr(incoming, name))
        ]
    if coverage.requests and incoming.requests:
        values["requests"] = _merged_requests(stored.requests, incoming.requests[0])
    return IncidentData(**values)


def _merged_requests(stored: list[RequestData], incoming: RequestData) -> list[RequestData]:
    """The file's request over the first stored one: its dates and decision from the file, the
    rest (authority, reference, measures, notes) as stored; the others kept. A file whose
    request cells are empty says nothing, as an empty name does."""
    if not stored:
        return [incoming]
    first = replace(stored[0], filed_on=incoming.filed_on, decision=incoming.decision, decided_on=incoming.decided_on)
    return [first, *stored[1:]]


def _merged_child(old, new, key: str, carried: tuple[str, ...]):
    """The stored row at the same position, if it is of the same kind, with the carried fields
    that the file fills in (an empty name or date keeps the stored one); else the row as the file gives it."""
    if old is None or getattr(old, key) != getattr(new, key):
        return new
    return replace(old, **{name: getattr(new, name) for name in carried if getattr(new, name) not in ("", None)})
