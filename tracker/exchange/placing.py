"""Where imported rows are placed, as the incident form would place them, but with one
look-up per distinct name and one point-in-polygon call per batch rather than per row.

- A row with coordinates and no region names gets the regions its point lies in.
- Typed region names take the spelling of the imported boundaries ("SAN MARTIN",
  "san martín" → one name); unknown names stay as typed.
- A row with a place or region name but no coordinates is put at the centroid of the
  largest region of that name (`geo_precision=region`), and named down to that level only.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..incidents.data import IncidentData
from ..models import LEVELS
from ..regions import service as regions

Point = tuple[float, float, tuple[str, str, str]]  # lat, lon, admin names down to the region found


class Placer:
    def __init__(self) -> None:
        self._spelling: dict[tuple[str, str], str] = {}
        self._centroids: dict[tuple[str, ...], Point | None] = {}

    def place_by_name(self, d: IncidentData) -> None:
        """Coordinates for a row that only names its place (both passes call this: cached)."""
        if d.latitude is not None:
            return
        typed = (d.admin1, d.admin2, d.admin3)
        key = (*typed, d.place)
        if key not in self._centroids:
            self._centroids[key] = _centroid(typed, d.place)
        found = self._centroids[key]
        if found:
            d.latitude, d.longitude, names = found
            d.geo_precision = "region"
            d.admin1, d.admin2, d.admin3 = (typed_name or name for typed_name, name in zip(typed, names, strict=True))

    def finish(self, rows: Iterable[IncidentData]) -> None:
        """Final region names for a batch of rows."""
        rows = list(rows)
        points = [point for d in rows if (point := point_to_locate(d))]
        located = iter(regions.locate_many(points) if points else ())
        for d in rows:
            if point_to_locate(d):
                d.admin1, d.admin2, d.admin3 = next(located)
            else:
                d.admin1, d.admin2, d.admin3 = (self._spelled(level, getattr(d, level)) for level in LEVELS)

    def _spelled(self, level: str, name: str) -> str:
        if not name:
            return name
        if (level, name) not in self._spelling:
            self._spelling[level, name] = regions.canonical_name(level, name) or name
        return self._spelling[level, name]


def point_to_locate(d: IncidentData) -> tuple[float, float] | None:
    """The point of a row with coordinates and no region names, whose names are looked up;
    None for any other row (one with half a point is invalid, and not looked up either)."""
    if d.latitude is None or d.longitude is None or d.admin1 or d.admin2 or d.admin3:
        return None
    return d.latitude, d.longitude


def _centroid(typed: tuple[str, str, str], place: str) -> Point | None:
    """The finest typed region (its coarser typed names telling apart regions of one name),
    else the largest region called like the place."""
    finest = max((i for i, name in enumerate(typed) if name), default=None)
    if finest is not None:
        point = regions.region_centroid(LEVELS[finest], typed[finest], typed[:finest])
        return (*point, ("", "", "")) if point else None
    if not place:
        return None
    for depth, level in enumerate(LEVELS, 1):
        point = regions.region_centroid(level, place)
        if point:
            located = regions.locate(*point) or ("", "", "")
            admin1, admin2, admin3 = (name if i < depth else "" for i, name in enumerate(located))
            return (*point, (admin1, admin2, admin3))
    return None
