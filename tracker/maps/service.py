"""Incidents on the map for one view: individual points while few are in view, else grid
cells counted in SQL. Plain functions, no Flask request needed.

Every query takes the shared filter builder's conditions and `visible_incidents_clause`,
so the map's `total` is the list's count for the same filters, by construction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import sqlalchemy as sa

from ..extensions import db
from ..filters import IncidentFilter, filter_conditions
from ..grouping import sums_by
from ..i18n import term_label
from ..location_privacy import Place, generalised_places, map_reader, placed_exactly
from ..models import Incident, IncidentViolation
from ..security import is_authenticated
from ..taxonomy import VIOLATIONS
from ..templating import incident_date
from .links import path_for, region_list_path
from .params import BBox

POINT_LIMIT = 2000  # more incidents than this in view: grid cells instead of points
CELLS_PER_TILE = 4  # a cell is a quarter of a 256 px map tile, ~64 px on screen
MAX_CELLS_ACROSS = 64  # however far a client zooms in its request, cells stay this few
POINT_DECIMALS = 5  # ~1 m
CLUSTER_DECIMALS = 4

Conditions = Sequence[sa.ColumnElement[bool]]


def cell_size(zoom: int, bbox: BBox) -> float:
    """Grid cell side in degrees for a zoom level, never so small that the view has more
    than MAX_CELLS_ACROSS cells side to side."""
    return max(360.0 / 2**zoom / CELLS_PER_TILE, bbox.span / MAX_CELLS_ACROSS)


def collection(features: list[dict], **properties) -> dict:
    return {"type": "FeatureCollection", "properties": properties, "features": features}


def map_features(filters: IncidentFilter, user, bbox: BBox, zoom: int, public: bool) -> dict:
    """GeoJSON of the incidents `user` may see in `bbox` (the public's view if `public`).

    Properties: `total` (the list's count), `located` (drawn somewhere on the map),
    `in_view` (drawn inside `bbox`) and `mode` ("points" or "clusters")."""
    filters, reader = map_reader(filters, user, public)
    conditions = filter_conditions(filters, reader)
    exact, in_bbox = placed_exactly(reader), _in_bbox(bbox)
    total, exact_located, exact_in_view = _counts(conditions, exact, in_bbox)
    # No GROUP BY (a scan of its own) when every incident is drawn at its point, as for staff.
    places = generalised_places(conditions, reader) if total > exact_located else []
    places_in_view = [p for p in places if bbox.contains(p.lat, p.lon)]
    in_view = exact_in_view + sum(p.count for p in places_in_view)
    linked = is_authenticated(reader)
    if in_view <= POINT_LIMIT:
        mode = "points"
        features = _points([*conditions, exact, in_bbox], linked)
        features += [_place_feature(p, filters if linked else None) for p in places_in_view]
    else:
        mode = "clusters"
        features = _clusters([*conditions, exact, in_bbox], places_in_view, cell_size(zoom, bbox))
    return collection(
        features, total=total, located=exact_located + sum(p.count for p in places), in_view=in_view, mode=mode
    )


def _in_bbox(bbox: BBox) -> sa.ColumnElement[bool]:
    return sa.and_(
        Incident.longitude.between(bbox.min_lon, bbox.max_lon), Incident.latitude.between(bbox.min_lat, bbox.max_lat)
    )


def _counts(conditions: Conditions, exact, in_bbox) -> tuple[int, int, int]:
    """All matching incidents, those drawn at their coordinates, and those of them in view:
    one scan."""

    def tally(cond):
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    row = db.session.execute(
        sa.select(sa.func.count(), tally(exact), tally(sa.and_(exact, in_bbox)))
        .select_from(Incident)
        .where(*conditions)
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def _point(lat: float, lon: float, decimals: int) -> dict:
    return {"type": "Point", "coordinates": [round(lon, decimals), round(lat, decimals)]}


def _points(conditions: Conditions, linked: bool) -> list[dict]:
    rows = db.session.execute(
        sa.select(
            Incident.id,
            Incident.ref,
            Incident.title,
            Incident.date,
            Incident.date_precision,
            Incident.latitude,
            Incident.longitude,
        )
        .where(*conditions)
        .order_by(Incident.date.desc(), Incident.id.desc())
        .limit(POINT_LIMIT)
    ).all()
    codes: dict[int, list[str]] = {}
    if rows:
        pairs = db.session.execute(
            sa.select(IncidentViolation.incident_id, IncidentViolation.code)
            .where(IncidentViolation.incident_id.in_([row.id for row in rows]))
            .order_by(IncidentViolation.code)
        )
        for incident_id, code in pairs:
            codes.setdefault(incident_id, []).append(code)
    return [
        {
            "type": "Feature",
            "geometry": _point(row.latitude, row.longitude, POINT_DECIMALS),
            "properties": {
                "kind": "incident",
                "ref": row.ref,
                "title": row.title,
                "date": incident_date(row.date, row.date_precision),
                "violations": [{"code": c, "label": term_label(VIOLATIONS, c)} for c in codes.get(row.id, [])],
                "link": path_for("incidents.detail", ref=row.ref) if linked else None,
            },
        }
        for row in rows
    ]


def _place_feature(place: Place, filters: IncidentFilter | None) -> dict:
    """Merged incidents at a centroid: a count and the region, never which incidents."""
    link = None
    if filters is not None:
        regions = {"admin1": [place.admin1]} | ({"admin2": [place.admin2]} if place.admin2 else {})
        link = region_list_path(filters, regions)
    return {
        "type": "Feature",
        "geometry": _point(place.lat, place.lon, CLUSTER_DECIMALS),
        "properties": {"kind": "place", "count": place.count, "level": place.level, "region": place.name, "link": link},
    }


def _clusters(conditions: Conditions, places: list[Place], cell: float) -> list[dict]:
    """Counts per grid cell (floor of coordinate / cell, so cells west and south of 0° are
    numbered like the others), placed at the mean position of their members."""
    rows = sums_by(
        [sa.func.floor(Incident.longitude / cell), sa.func.floor(Incident.latitude / cell)],
        [Incident.latitude, Incident.longitude],
        list(conditions),
    )
    cells: dict[tuple[int, int], list[float]] = {}
    for gx, gy, count, lat_sum, lon_sum in rows:
        cells[(int(gx), int(gy))] = [count, float(lat_sum), float(lon_sum)]
    for place in places:
        acc = cells.setdefault((math.floor(place.lon / cell), math.floor(place.lat / cell)), [0, 0.0, 0.0])
        acc[0] += place.count
        acc[1] += place.lat * place.count
        acc[2] += place.lon * place.count
    return [
        {
            "type": "Feature",
            "geometry": _point(lat_sum / count, lon_sum / count, CLUSTER_DECIMALS),
            "properties": {"kind": "cluster", "count": count},
        }
        for count, lat_sum, lon_sum in cells.values()
    ]
