"""Reading a boundary file into plain region rows, checked before the database is touched.

geopandas is imported here, inside the function, so the web app and the other commands do
not pay for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import shapely

from ..errors import ServiceError
from .names import name_key
from .spelling import proper_name

POLYGONAL = ("Polygon", "MultiPolygon")
NAME_LENGTH = 120  # Region.name / name_key
CODE_LENGTH = 40  # Region.code


def read_boundaries(
    path: str | Path, level: str, name_field: str, code_field: str | None = None, country: str = "PE"
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows for `Region` (without level, country and timestamp) from a GeoJSON, Shapefile or
    GeoPackage file, in WGS84 with valid polygon geometries, named as people write the names
    (tracker/regions/spelling.py); and the names of the features skipped for lacking a polygon
    or a name (real files have a few). Features with the same name and code are parts of one
    region (Peru's provincial file has Piura twice, once misspelt "PUIRA"): they become one."""
    import geopandas

    path = Path(path)
    if not path.exists():
        raise ServiceError(f"Boundary file not found: {path}")
    try:
        frame = geopandas.read_file(path, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - GDAL reports unreadable files with many error types
        raise ServiceError(f"Could not read {path.name} as a GeoJSON, Shapefile or GeoPackage file: {exc}") from None
    fields = [column for column in frame.columns if column != frame.geometry.name]
    for option, field in (("name", name_field), ("code", code_field)):
        if field is not None and field not in fields:
            raise ServiceError(
                f"{path.name} has no {option} field '{field}'. Available fields: {', '.join(fields) or '(none)'}."
            )
    if frame.empty:
        raise ServiceError(f"{path.name} contains no features.")
    frame = _to_wgs84(frame, path.name)
    parts: dict[Any, tuple[str, str, list]] = {}  # (name, code), or the feature's number without a code
    skipped = []
    for number, (raw_name, raw_code, geom) in enumerate(
        zip(frame[name_field], frame[code_field] if code_field else [None] * len(frame), frame.geometry, strict=True)
    ):
        geom = _polygonal(geom)
        name, code = _text(raw_name), _text(raw_code)
        if geom is not None and name:
            name = proper_name(level, name, country)
            parts.setdefault((name, code) if code else number, (name, code, []))[2].append(geom)
        else:
            skipped.append(name or "(no name)")
    if not parts:
        raise ServiceError(f"{path.name} contains no polygon features with a value in '{name_field}'.")
    rows = [
        _row(name, code, geoms[0] if len(geoms) == 1 else shapely.union_all(geoms), path.name)
        for name, code, geoms in parts.values()
    ]
    return rows, skipped


def _to_wgs84(frame, filename: str):
    if frame.crs is None:
        min_x, min_y, max_x, max_y = frame.total_bounds
        if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
            raise ServiceError(
                f"{filename} does not say which coordinate system it uses, and its "
                "coordinates are not longitudes and latitudes."
            )
        return frame.set_crs(4326)
    return frame if frame.crs.to_epsg() == 4326 else frame.to_crs(4326)


def _text(value) -> str:
    """A field value as text; numeric codes read as floats (1.0) lose their ".0"."""
    if value is None or value != value:  # None or NaN
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _polygonal(geom):
    """The valid polygonal part of a geometry, or None: hand-drawn or converted boundaries
    often self-intersect, and make_valid may add stray lines along the repaired edges."""
    if geom is None or geom.is_empty:
        return None
    geom = shapely.force_2d(geom if geom.is_valid else shapely.make_valid(geom))
    if geom.geom_type == "GeometryCollection":
        parts = [part for part in geom.geoms if part.geom_type in POLYGONAL]
        geom = shapely.union_all(parts) if parts else None
    return geom if geom is not None and geom.geom_type in POLYGONAL and not geom.is_empty else None


def _row(name: str, code: str, geom, filename: str) -> dict[str, Any]:
    if len(name) > NAME_LENGTH:
        raise ServiceError(f"{filename}: the name '{name}' is longer than {NAME_LENGTH} characters.")
    if len(code) > CODE_LENGTH:
        raise ServiceError(f"{filename}: the code '{code}' of {name} is longer than {CODE_LENGTH} characters.")
    inside = geom.representative_point()
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return {
        "name": name,
        "name_key": name_key(name),
        "code": code,
        "geometry": shapely.to_wkb(geom),
        "centroid_lat": inside.y,
        "centroid_lon": inside.x,
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
    }
