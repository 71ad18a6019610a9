"""Incoming rows that may repeat an incident already stored under another reference (or
none): the same event reported twice, by two monitors or in two files.

A row is *similar* to a stored incident when they are at most a day apart, share a violation
code, lie within 5 km (or, lacking coordinates, in the same department) and have similar
titles; it is then imported and linked for a reviewer (DuplicateCandidate). A row without a
reference that is *the same* as a stored incident (title, date, point and codes) is taken
as already imported and left out, so importing a file twice never doubles it.

Stored incidents are fetched per batch of rows, by the dates the batch needs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from difflib import SequenceMatcher

import sqlalchemy as sa

from ..extensions import db
from ..facts import VIOLATION_BITS
from ..models import Incident
from ..regions.names import name_key
from ..taxonomy import VIOLATIONS
from .formats.csv_format import CsvIncident

DAYS_APART = 1
RADIUS_KM = 5.0
TITLE_RATIO = 0.6
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Match:
    incident_id: int
    ref: str
    same: bool  # the same content: already imported, not a new report of the event


@dataclass(frozen=True)
class _Stored:
    id: int
    ref: str
    date: date
    title: str
    latitude: float | None
    longitude: float | None
    admin1: str
    violation_bits: int


def find_matches(rows: list[tuple[int, CsvIncident]]) -> dict[int, Match]:
    """Line → the stored incident each row may repeat, for the rows that match one."""
    if not rows:
        return {}
    days = {row.data.date + timedelta(days=shift) for _, row in rows for shift in range(-DAYS_APART, DAYS_APART + 1)}
    by_day: dict[date, list[_Stored]] = defaultdict(list)
    columns = (
        Incident.id,
        Incident.ref,
        Incident.date,
        Incident.title,
        Incident.latitude,
        Incident.longitude,
        Incident.admin1,
        Incident.violation_bits,
    )
    for r in db.session.execute(sa.select(*columns).where(Incident.date.in_(days))):
        by_day[r.date].append(
            _Stored(
                r.id, r.ref, r.date, name_key(r.title), r.latitude, r.longitude, name_key(r.admin1), r.violation_bits
            )
        )
    matches = {}
    for line, row in rows:
        candidates = [
            s
            for shift in range(-DAYS_APART, DAYS_APART + 1)
            for s in by_day.get(row.data.date + timedelta(days=shift), ())
        ]
        if candidates and (match := _best(row, candidates)):
            matches[line] = match
    return matches


def _best(row: CsvIncident, candidates: list[_Stored]) -> Match | None:
    d = row.data
    title = name_key(d.title)
    bits = VIOLATION_BITS.mask(code for code in d.violations if code in VIOLATIONS)
    point = (_rounded(d.latitude), _rounded(d.longitude))
    best, best_ratio = None, TITLE_RATIO
    for s in candidates:
        if (
            not row.ref
            and s.date == d.date
            and s.title == title
            and s.violation_bits == bits
            and (_rounded(s.latitude), _rounded(s.longitude)) == point
        ):
            return Match(s.id, s.ref, same=True)
        if not (s.violation_bits & bits and _near(d.latitude, d.longitude, name_key(d.admin1), s)):
            continue
        matcher = SequenceMatcher(None, title, s.title)
        if matcher.quick_ratio() >= best_ratio and (ratio := matcher.ratio()) >= best_ratio:
            best, best_ratio = s, ratio
    return Match(best.id, best.ref, same=False) if best else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _near(lat: float | None, lon: float | None, admin1: str, s: _Stored) -> bool:
    if lat is None or lon is None or s.latitude is None or s.longitude is None:
        return bool(admin1) and admin1 == s.admin1
    return distance_km(lat, lon, s.latitude, s.longitude) <= RADIUS_KM


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
