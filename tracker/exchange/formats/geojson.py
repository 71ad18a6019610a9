"""GeoJSON (RFC 7946): a FeatureCollection with one Feature per incident, a Point in WGS84
longitude, latitude order, or no geometry when the reader may not know where it happened.

RFC 7946 has no "crs" member: WGS84 is implied, and GDAL (so geopandas and QGIS) reads the
file as EPSG:4326. Properties are the canonical columns, lists `;`-joined as in the CSV, so
GIS tools get plain string fields; numbers are numbers. Persons' keys and requests for
protection are not among them (csv_format.GENERAL_COLUMNS). The collection is written one
feature at a time, never as a whole document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from .csv_format import GENERAL_COLUMNS, CsvIncident, row_cells
from .values import typed

FLUSH_FEATURES = 1000


def encode(rows: Iterable[CsvIncident]) -> Iterator[bytes]:
    yield b'{"type": "FeatureCollection", "features": [\n'
    lines: list[str] = []
    first = True
    for row in rows:
        lines.append(json.dumps(_feature(row), ensure_ascii=False, separators=(",", ":")))
        if len(lines) == FLUSH_FEATURES:
            yield _joined(lines, first)
            lines, first = [], False
    if lines:
        yield _joined(lines, first)
    yield b"\n]}\n"


def _joined(lines: list[str], first: bool) -> bytes:
    return (("" if first else ",\n") + ",\n".join(lines)).encode()


def _feature(row: CsvIncident) -> dict:
    cells = row_cells(row)[: len(GENERAL_COLUMNS)]
    properties = dict(zip(GENERAL_COLUMNS, typed(cells, columns=GENERAL_COLUMNS), strict=True))
    lat, lon = properties.pop("latitude"), properties.pop("longitude")
    geometry = None if lat is None else {"type": "Point", "coordinates": [lon, lat]}
    return {"type": "Feature", "id": row.ref, "geometry": geometry, "properties": properties}
