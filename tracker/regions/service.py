"""Administrative regions: importing boundary files, placing points in departments, provinces
and districts, and matching typed region names. Plain functions, no Flask request needed.

Points are placed by point-in-polygon on the imported boundaries; with none imported, the
offline gazetteer gives department and province (docs/architecture.md, "Recording").
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import shapely
import sqlalchemy as sa
from flask import current_app

from ..errors import ServiceError
from ..extensions import db
from ..models import LEVELS, Incident, Region
from ..timeutil import utcnow
from . import gazetteer
from .boundaries import read_boundaries
from .names import name_key
from .respelling import respell_incidents
from .spatial import cache, fingerprints, level_index
from .spelling import listed_name

Names = tuple[str, str, str]
NOWHERE: Names = ("", "", "")
TYPED_NAMES_TTL = 60  # seconds
OUTLINE_DECIMALS = 4  # ~10 m, far below what a simplified outline shows
SOURCE_LENGTH = 300  # Region.source


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ServiceError(f"Unknown level '{level}'; use one of {', '.join(LEVELS)}.")


# --- importing ---------------------------------------------------------------------------


def import_boundaries(
    path: str | Path,
    level: str,
    name_field: str,
    code_field: str | None = None,
    country: str = "PE",
    source: str | None = None,
) -> int:
    """Replace the regions of `level` in `country` with the polygons of a boundary file.

    The file is read and checked completely first; the old regions are deleted and the new
    ones inserted in one transaction, so a bad file leaves the stored boundaries as they were.
    Features without a polygon or a name are skipped, and named in a logged warning. Incidents'
    names of the level take the new regions' spelling in the same transaction. `source` says
    where the boundaries come from, for the maps' credits (default: the file's name).
    """
    _check_level(level)
    country = country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise ServiceError(f"Country must be a two-letter ISO code, not '{country}'.")
    source = " ".join((source or Path(path).name).split())
    if len(source) > SOURCE_LENGTH:
        raise ServiceError(f"The source may have at most {SOURCE_LENGTH} characters.")
    rows, skipped = read_boundaries(path, level, name_field, code_field, country)
    imported_at = utcnow()
    for row in rows:
        row.update(level=level, country=country, source=source, imported_at=imported_at)
    try:
        db.session.execute(sa.delete(Region).where(Region.level == level, Region.country == country))
        db.session.execute(sa.insert(Region), rows)
        respell_incidents(db.session.connection(), [level])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if skipped:
        current_app.logger.warning(
            "%s: skipped %d features without a polygon or a name: %s", Path(path).name, len(skipped), ", ".join(skipped)
        )
    return len(rows)


def boundary_sources(level: str) -> list[str]:
    """Where the stored boundaries of `level` come from, as their imports said: maps drawn on
    them credit these."""
    _check_level(level)
    return sorted(
        db.session.scalars(sa.select(Region.source).where(Region.level == level, Region.source != "").distinct())
    )


def region_counts() -> dict[str, int]:
    """Number of stored regions per level (0 for levels without boundaries)."""
    counts = dict(db.session.execute(sa.select(Region.level, sa.func.count()).group_by(Region.level)).all())
    return {level: counts.get(level, 0) for level in LEVELS}


# --- placing points ------------------------------------------------------------------------


def locate(lat: float, lon: float) -> Names | None:
    """(admin1, admin2, admin3) names for a point, "" for a level without boundaries;
    None when the point is in no imported region (or, without boundaries, not in Peru)."""
    return _locate([(lat, lon)])[0]


def locate_many(points: list[tuple[float, float]]) -> list[Names]:
    """`locate` for many (lat, lon) points at once, for bulk imports; a point that cannot be
    placed gets ("", "", "")."""
    return [names or NOWHERE for names in _locate(points)]


def _locate(points: list[tuple[float, float]]) -> list[Names | None]:
    if not points:
        return []
    points = [(float(lat), float(lon)) for lat, lon in points]
    prints = fingerprints()
    if not prints:
        return gazetteer.lookup(points)
    coords = np.array(points, dtype=float)
    geoms = shapely.points(coords[:, 1], coords[:, 0])
    blank = np.full(len(points), "", dtype=object)
    columns = [level_index(level, prints[level]).names_at(geoms) if level in prints else blank for level in LEVELS]
    return [names if any(names) else None for names in zip(*columns, strict=True)]


# --- names ---------------------------------------------------------------------------------


def canonical_name(level: str, typed: str) -> str | None:
    """The stored spelling of a typed region name ("madre de díos" → "Madre de Dios"), else
    the shipped table's for a department or province ("JUNIN" → "Junín"), else None."""
    key = name_key(typed)
    if not key:
        return None
    stored = db.session.scalar(
        sa.select(Region.name).where(Region.level == level, Region.name_key == key).order_by(Region.id).limit(1)
    )
    return stored or listed_name(level, typed)


def placed_names(latitude: float | None, longitude: float | None, typed: Names) -> Names:
    """An incident's admin1–3, from its point and the names typed for it.

    With coordinates, the located names win; below the located levels the typed names are
    kept only while they agree with what was located (a typed district of another department
    would contradict the point). Without coordinates, typed names take their stored spelling.
    """
    located = None
    if latitude is not None and longitude is not None:
        located = locate(latitude, longitude)
    if located is None:
        admin1, admin2, admin3 = (
            canonical_name(level, name) or name.strip() for level, name in zip(LEVELS, typed, strict=True)
        )
        return admin1, admin2, admin3
    names: list[str] = []
    agrees = True
    for level, found, name in zip(LEVELS, located, typed, strict=True):
        if found:
            agrees = agrees and name_key(found) == name_key(name)
            names.append(found)
        else:
            names.append((canonical_name(level, name) or name.strip()) if agrees else "")
    admin1, admin2, admin3 = names
    return admin1, admin2, admin3


def region_centroid(level: str, name: str, parents: tuple[str, ...] = ()) -> tuple[float, float] | None:
    """(lat, lon) of a point inside the named region, or None if unknown.

    Many districts share a name (ten are called Santa Rosa): `parents`, the names of the
    coarser levels in order (admin1, admin2), pick the right one; still ambiguous → None.
    """
    _check_level(level)
    key = name_key(name)
    if not key:
        return None
    points = db.session.execute(
        sa.select(Region.centroid_lat, Region.centroid_lon).where(Region.level == level, Region.name_key == key)
    ).all()
    if len(points) > 1 and parents:
        prints = fingerprints()
        checks = [
            (level_index(parent_level, prints[parent_level]), parent)
            for parent_level, parent in zip(LEVELS, parents, strict=False)
            if parent and parent_level in prints
        ]
        points = [p for p in points if all(index.contains(p[0], p[1], parent) for index, parent in checks)]
    return (points[0][0], points[0][1]) if len(points) == 1 else None


def region_names(level: str) -> list[str]:
    """Names to offer in a filter: the imported regions of `level`, or, without boundaries
    for it, the names incidents already use."""
    _check_level(level)
    names = db.session.scalars(sa.select(Region.name).where(Region.level == level).distinct()).all()
    if not names:
        # A DISTINCT over every incident costs a full scan: refresh it at most once a minute.
        minute = int(time.monotonic() // TYPED_NAMES_TTL)
        names = cache.get(("typed names", level), minute, lambda: _typed_names(level))
    return sorted(names, key=lambda name: (name_key(name), name))


def country_codes(public: bool = False) -> list[str]:
    """The countries incidents are recorded in (ISO 3166-1 alpha-2), for the country filter;
    with `public`, only those of incidents the public may see (a draft's country is not
    public). Like typed region names, refreshed at most once a minute."""
    from ..security import visible_incidents_clause

    minute = int(time.monotonic() // TYPED_NAMES_TTL)
    shown = visible_incidents_clause(None) if public else sa.true()
    return cache.get(
        ("countries", public),
        minute,
        lambda: sorted(db.session.scalars(sa.select(Incident.country).where(Incident.country != "", shown).distinct())),
    )


def _typed_names(level: str) -> list[str]:
    column = getattr(Incident, level)
    return list(db.session.scalars(sa.select(column).where(column != "").distinct()))


# --- outlines --------------------------------------------------------------------------------


def outlines_geojson(level: str = "admin1", tolerance: float = 0.01) -> dict:
    """Simplified region borders as a GeoJSON FeatureCollection (properties: name), for small
    maps. The dict is cached and shared: treat it as read-only."""
    _check_level(level)
    if not (tolerance >= 0 and math.isfinite(tolerance)):
        raise ServiceError("The outline tolerance must be a non-negative number.")
    fingerprint = fingerprints().get(level)
    if fingerprint is None:
        return {"type": "FeatureCollection", "features": []}
    return cache.get(("outlines", level, tolerance), fingerprint, lambda: _outlines(level, tolerance))


def _outlines(level: str, tolerance: float) -> dict:
    rows = db.session.execute(
        sa.select(Region.name, Region.geometry).where(Region.level == level).order_by(Region.id)
    ).all()
    geoms = shapely.simplify(shapely.from_wkb([row.geometry for row in rows]), tolerance, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda coords: np.round(coords, OUTLINE_DECIMALS))
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": row.name}, "geometry": json.loads(shapely.to_geojson(geom))}
            for row, geom in zip(rows, geoms, strict=True)
        ],
    }
