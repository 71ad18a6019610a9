"""Incidents and reports as JSON-ready dicts, cut to what the caller may see.

Restricted fields (docs/architecture.md, "Privacy") follow `security.incident_access`, as the incident page
does: victim names and organisations, the keys of the persons victim rows name, perpetrators'
names, confidential sources and requests for protection only with `identities`; the place and
coordinates only with `exact_location`. Otherwise the location
is the region that stands for the incident on the map (`location_privacy.region_placer`):
anonymous callers get it as the public map shows it (its centroid and names down to that
region, or nothing), signed-in callers get the centroid of the finest region named.
Field names are those of tracker/api/openapi.py, which a test checks against these dicts.
"""

from __future__ import annotations

from datetime import date, datetime

from ..counts.model import Killing, Report, Row, SectionReport
from ..location_privacy import RegionPlacer, shown_region
from ..security import incident_access, role_of
from .service import IncidentRecord

Placer = RegionPlacer


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _moment(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def incident_json(record: IncidentRecord, user, place_of: Placer) -> dict:
    """One incident as `user` may see it; `place_of` is `region_placer(user)`, made once per
    request so a page resolves each region once."""
    incident = record.incident
    access = incident_access(user, incident)
    return {
        "ref": incident.ref,
        "title": incident.title,
        "description": incident.description,
        "date": _day(incident.date),
        "date_precision": incident.date_precision,
        "end_date": _day(incident.end_date),
        "status": incident.status,
        "confidence": incident.confidence,
        "visibility": incident.visibility,
        "public_location": incident.public_location,
        "location": _location(incident, access.exact_location, role_of(user) is None, place_of),
        "violations": [v.code for v in record.violations],
        "victims": [_victim(v, access.identities) for v in record.victims],
        "perpetrators": [
            {"type": p.type, "involvement": p.involvement} | ({"name": p.name} if access.identities else {})
            for p in record.perpetrators
        ],
        "sources": [_source(s) for s in record.sources if access.identities or not s.confidential],
        **({"protection_requests": [_request(r) for r in record.requests]} if access.identities else {}),
        "killed": incident.killed,
        "injured": incident.injured,
        "detained": incident.detained,
        "event": incident.event,
        "created_at": _moment(incident.created_at),
        "updated_at": _moment(incident.updated_at),
        "access": {"identities": access.identities, "exact_location": access.exact_location},
    }


def _location(incident, exact: bool, anonymous: bool, place_of: Placer) -> dict:
    names = (incident.admin1, incident.admin2, incident.admin3)
    if exact and incident.latitude is not None and incident.longitude is not None:
        point = {
            "place": incident.place,
            "latitude": incident.latitude,
            "longitude": incident.longitude,
            "precision": "exact",
            "geo_precision": incident.geo_precision,
        }
    else:
        shown = shown_region(place_of, incident.public_location, names, public=anonymous)
        names = shown.names
        point = {
            "place": "",
            "latitude": shown.latitude,
            "longitude": shown.longitude,
            "precision": shown.level,
            "geo_precision": None,
        }
    return {"country": incident.country, "admin1": names[0], "admin2": names[1], "admin3": names[2], **point}


def _victim(victim, identities: bool) -> dict:
    row = {
        "group": victim.group,
        "count": victim.count,
        "gender": victim.gender,
        "indigenous": victim.indigenous,
        "lgbtiq": victim.lgbtiq,
        "woman_defender": victim.woman_defender,
    }
    if identities:
        row |= {"name": victim.name, "organisation": victim.organisation, "person": victim.person}
    return row


def _request(request) -> dict:
    return {
        "filed_on": _day(request.filed_on),
        "authority": request.authority,
        "reference": request.reference,
        "decision": request.decision,
        "decided_on": _day(request.decided_on),
        "measures": [m for m in request.measures.split(";") if m],
        "measures_end": _day(request.measures_end),
        "notes": request.notes,
    }


def _source(source) -> dict:
    return {
        "kind": source.kind,
        "title": source.title,
        "url": source.url,
        "publisher": source.publisher,
        "published_on": _day(source.published_on),
        "reliability": source.reliability,
        "confidential": source.confidential,
    }


def report_json(report: Report, locale: str) -> dict:
    """A report's figures (tracker/reports/model.py), section by section."""
    return {
        "period": {"from": _day(report.period_from), "to": _day(report.period_to)},
        "statuses": list(report.statuses),
        "incidents": report.incidents,
        "sources": report.sources,
        "sections": [_section(s, locale) for s in report.sections],
    }


def _row(row: Row | None) -> dict | None:
    return None if row is None else {"key": row.key, "count": row.count, "persons": row.persons}


def _section(section: SectionReport, locale: str) -> dict:
    protection = section.spec.defenders_only
    return {
        "key": section.key,
        "label": section.spec.label(locale),
        "totals": section.totals,
        "breakdowns": {dimension: [_row(r) for r in rows] for dimension, rows in section.breakdowns.items()},
        "women_defenders": _row(section.women_defenders),
        "indigenous_defenders": _row(section.indigenous_defenders),
        "killing_incidents": section.killing_incidents if protection else None,
        "killed_by_admin1": [_row(r) for r in section.killed_by_admin1] if protection else None,
        "killings": [_killing(k) for k in section.killings] if protection else None,
    }


def _killing(killing: Killing) -> dict:
    return {
        "ref": killing.ref,
        "date": _day(killing.date),
        "date_precision": killing.date_precision,
        "place": killing.place,
        "admin1": killing.admin1,
        "admin2": killing.admin2,
        "groups": killing.groups,
        "killed": killing.killed,
        "names": killing.names,
    }
