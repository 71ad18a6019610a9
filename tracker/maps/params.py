"""Map-only request parameters (docs/architecture.md, "How maps stay light"): `bbox`, `zoom`, `layer` and `level`. The
incident filters themselves are parsed by the shared filter builder."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

LAYERS = ("points", "heat", "regions", "outlines")
REGION_LEVELS = ("admin1", "admin2")
MAX_ZOOM = 20
DEFAULT_ZOOM = 5


class ParameterError(ValueError):
    """A map parameter that cannot be used; its message is shown to the user."""


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def span(self) -> float:
        return max(self.max_lon - self.min_lon, self.max_lat - self.min_lat)

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


WORLD = BBox(-180.0, -90.0, 180.0, 90.0)


@dataclass(frozen=True)
class MapQuery:
    bbox: BBox
    zoom: int
    layer: str
    level: str


def parse_bbox(raw: str | None) -> BBox:
    """`min_lon,min_lat,max_lon,max_lat` in degrees; absent means the whole world. Values
    beyond the world's edges (a map zoomed far out) are clipped to them."""
    if not raw:
        return WORLD
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ParameterError(_("bbox must be four numbers: min_lon,min_lat,max_lon,max_lat."))
    min_lon, min_lat, max_lon, max_lat = values
    if min_lon >= max_lon or min_lat >= max_lat:
        raise ParameterError(_("bbox minimums must be smaller than its maximums."))
    return BBox(max(min_lon, -180.0), max(min_lat, -90.0), min(max_lon, 180.0), min(max_lat, 90.0))


def parse_zoom(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_ZOOM
    try:
        zoom = int(raw)
    except ValueError:
        zoom = -1
    if not 0 <= zoom <= MAX_ZOOM:
        raise ParameterError(_("zoom must be a whole number from 0 to %(max)d.", max=MAX_ZOOM))
    return zoom


def _choice(args: MultiDict, name: str, allowed: tuple[str, ...]) -> str:
    value = args.get(name) or allowed[0]
    if value not in allowed:
        raise ParameterError(_("%(name)s must be one of: %(allowed)s.", name=name, allowed=", ".join(allowed)))
    return value


def parse_map_query(args: MultiDict) -> MapQuery:
    """Read the map parameters; raises ParameterError with a message for the first bad one."""
    return MapQuery(
        bbox=parse_bbox(args.get("bbox")),
        zoom=parse_zoom(args.get("zoom")),
        layer=_choice(args, "layer", LAYERS),
        level=_choice(args, "level", REGION_LEVELS),
    )
