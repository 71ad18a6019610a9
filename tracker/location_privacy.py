"""Where an incident may be drawn, for a given reader: the location-privacy rule the map, the
exports and the API share (docs/architecture.md, "Privacy").

Readers who may see an incident's coordinates (`incident_access(...).exact_location`) get
its point. Everyone else gets the centroid of one of its regions: anonymous visitors the
region its `public_location` names (falling back to coarser levels, `hidden` → nowhere),
signed-in readers the finest region named, which the incident page shows them anyway.
Incidents drawn at the same centroid are merged into one count, so the map cannot tell
which record is which. The work is one GROUP BY in SQL plus a look-up per distinct region,
so memory stays bounded by the number of regions, not of incidents.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa

from .extensions import db
from .filters import IncidentFilter
from .grouping import sums_by
from .models import Incident, Region
from .regions.names import name_key
from .regions.service import region_centroid
from .regions.spatial import cache, fingerprints
from .security import exact_location_clause, role_of

COARSER = ("admin3", "admin2", "admin1")  # the fallback order, finest first
# The public_location values under which an incident may be counted in a region of a level.
_SHOWN_IN = {"admin1": ("exact", "admin3", "admin2", "admin1"), "admin2": ("exact", "admin3", "admin2")}


def public_filters(filters: IncidentFilter) -> IncidentFilter:
    """The filters the public may use: all but text search, which also reads places and
    descriptions, so counting its hits at a centroid would tell where a generalised
    incident with a given place name or title is."""
    return replace(filters, q="")


def map_reader(filters: IncidentFilter, user, public: bool) -> tuple[IncidentFilter, object]:
    """The filters and the reader a map is drawn for: with `public`, an anonymous visitor's,
    whoever is signed in (so staff can check what the public sees)."""
    return (public_filters(filters), None) if public else (filters, user)


def placed_exactly(user) -> sa.ColumnElement[bool]:
    return sa.and_(exact_location_clause(user), Incident.latitude.is_not(None), Incident.longitude.is_not(None))


def region_shown_clause(user, level: str) -> sa.ColumnElement[bool]:
    """May an incident be counted in its region of `level` on this reader's map?"""
    if role_of(user) is not None:
        return sa.true()
    return Incident.public_location.in_(_SHOWN_IN[level])


# (lat, lon, level, name, admin1, admin2) of the region whose centroid stands for an incident
Spot = tuple[float, float, str, str, str, str]
# a `region_placer`: (public_location, (admin1, admin2, admin3)) → the incident's Spot, or None
RegionPlacer = Callable[[str, tuple[str, str, str]], Spot | None]


@dataclass
class Place:
    """Incidents merged at a region's centroid."""

    lat: float
    lon: float
    count: int
    level: str
    name: str
    admin1: str
    admin2: str


def generalised_places(conditions: Sequence[sa.ColumnElement[bool]], user) -> list[Place]:
    """The incidents matching `conditions` that this reader may not see exactly, merged per
    centroid. Incidents with no region to stand for them are left out."""
    columns = [Incident.admin1, Incident.admin2, Incident.admin3]
    if role_of(user) is None:
        columns.append(Incident.public_location)
    rows = sums_by(columns, [], [*conditions, sa.not_(placed_exactly(user))])
    place_of = region_placer(user)
    merged: dict[tuple[float, float], Place] = {}
    for admin1, admin2, admin3, *public_location, count in rows:
        found = place_of(public_location[0] if public_location else "", (admin1, admin2, admin3))
        if found is None:
            continue
        place = merged.setdefault(found[:2], Place(*found[:2], 0, *found[2:]))
        place.count += count
    return list(merged.values())


def region_placer(user) -> RegionPlacer:
    """Where an incident this reader may not see exactly is drawn, given its public_location
    and (admin1, admin2, admin3): (lat, lon, level, name, admin1, admin2), or None. Shared by
    the map and the exports (one incident at a time), each distinct answer worked out once."""
    lookup = _centroids()
    anonymous = role_of(user) is None

    @functools.lru_cache(maxsize=None)  # bounded by the distinct region names, not incidents
    def place_of(public_location: str, names: tuple[str, str, str]) -> Spot | None:
        return _resolve(lookup, public_location if anonymous else "admin3", names)

    return place_of


@dataclass(frozen=True)
class ShownRegion:
    """One incident's location for a reader who may not see its point."""

    latitude: float | None
    longitude: float | None
    level: str | None  # the region whose centroid stands for it; None: no point
    names: tuple[str, str, str]  # (admin1, admin2, admin3), as far as the reader may see them


def shown_region(
    place_of: RegionPlacer, public_location: str, names: tuple[str, str, str], public: bool
) -> ShownRegion:
    """The region `place_of` (a `region_placer`) puts an incident in. The public gets no finer
    region name than that region's, and none at all where the map does not show it; a
    signed-in reader gets every name, as the incident page shows them."""
    found = place_of(public_location, names)
    if found is None:
        return ShownRegion(None, None, None, ("", "", "") if public else names)
    lat, lon, level, name, admin1, admin2 = found
    return ShownRegion(lat, lon, level, (admin1, admin2, name if level == "admin3" else "") if public else names)


def _resolve(
    lookup: dict[tuple[str, str], list[tuple[float, float]]], public_location: str, names: tuple[str, str, str]
) -> Spot | None:
    """(lat, lon, level, name, admin1, admin2) of the region standing for an incident."""
    start = "admin3" if public_location == "exact" else public_location
    if start not in COARSER:
        return None  # hidden
    for level in COARSER[COARSER.index(start) :]:
        depth = int(level[-1])
        name = names[depth - 1]
        candidates = lookup.get((level, name_key(name)), []) if name else []
        point = candidates[0] if len(candidates) == 1 else None
        if len(candidates) > 1:  # a name several regions share: the parents decide
            point = region_centroid(level, name, names[: depth - 1])
        if point is not None:
            parents = names[: depth - 1] + (name,)
            return point[0], point[1], level, name, parents[0], parents[1] if depth > 1 else ""
    return None


def _centroids() -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(level, name key) -> centroids of the imported regions so named; cached until the next
    boundary import."""
    prints = tuple(sorted(fingerprints().items()))
    return cache.get(("map-centroids",), prints, _load_centroids)


def _load_centroids() -> dict[tuple[str, str], list[tuple[float, float]]]:
    lookup: dict[tuple[str, str], list[tuple[float, float]]] = {}
    rows = db.session.execute(
        sa.select(Region.level, Region.name_key, Region.centroid_lat, Region.centroid_lon).order_by(Region.id)
    )
    for level, key, lat, lon in rows:
        lookup.setdefault((level, key), []).append((lat, lon))
    return lookup
