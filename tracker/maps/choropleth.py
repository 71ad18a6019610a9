"""Incident counts per department or province, on the imported boundary polygons: the map's
choropleth layer, and the same counts as an image file for the map page's download."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field

from ..facts import VIOLATION_BITS
from ..filters import IncidentFilter, filter_conditions
from ..grouping import sums_by
from ..i18n import term_label
from ..location_privacy import map_reader, region_shown_clause
from ..models import Incident
from ..regions.choropleth_image import OUTLINE_TOLERANCE, choropleth_image
from ..regions.names import name_key
from ..regions.service import outlines_geojson
from ..security import is_authenticated
from ..taxonomy import VIOLATIONS
from .captions import map_text
from .links import region_list_path
from .service import collection

TOP_VIOLATIONS = 3


@dataclass
class RegionFigures:
    count: int = 0
    killed: int = 0
    names: list[str] = field(default_factory=list)  # stored spellings that stand for the region
    violations: Counter = field(default_factory=Counter)


def region_features(filters: IncidentFilter, user, level: str, public: bool) -> dict:
    """Region polygons with `count`, `killed`, `top` violations and (signed-in readers) a
    link to the filtered list. Anonymous readers only count incidents whose public location
    is at least as precise as `level`. Properties: `total` (incidents in any region shown),
    `unmatched` (in a region name no boundary has), `max` (for the legend)."""
    filters, reader = map_reader(filters, user, public)
    column = getattr(Incident, level)
    conditions = [*filter_conditions(filters, reader), region_shown_clause(reader, level), column != ""]
    figures: dict[str, RegionFigures] = {}
    # One scan, no join: the violations come from each incident's stored bit set.
    for bits, name, count, killed in sums_by([Incident.violation_bits, column], [Incident.killed], conditions):
        region = figures.setdefault(name_key(name), RegionFigures())
        region.count += count
        region.killed += int(killed)
        if name not in region.names:
            region.names.append(name)
        for code in _violation_codes(bits):
            region.violations[code] += count
    features, matched = [], set()
    for outline in outlines_geojson(level, OUTLINE_TOLERANCE[level])["features"]:
        key = name_key(outline["properties"]["name"])
        region = figures.get(key, RegionFigures())
        matched.add(key)
        features.append(
            {
                "type": "Feature",
                "geometry": outline["geometry"],
                "properties": {
                    "name": outline["properties"]["name"],
                    "count": region.count,
                    "killed": region.killed,
                    "top": [
                        {"code": code, "label": term_label(VIOLATIONS, code), "count": n}
                        for code, n in sorted(region.violations.items(), key=lambda item: (-item[1], item[0]))[
                            :TOP_VIOLATIONS
                        ]
                    ],
                    "link": (
                        region_list_path(filters, {level: region.names})
                        if is_authenticated(reader) and region.count
                        else None
                    ),
                },
            }
        )
    return collection(
        features,
        level=level,
        total=sum(r.count for r in figures.values()),
        unmatched=sum(r.count for k, r in figures.items() if k not in matched),
        max=max((f["properties"]["count"] for f in features), default=0),
    )


@functools.lru_cache(maxsize=1024)
def _violation_codes(bits: int) -> tuple[str, ...]:
    """The codes in a violation bit set; the same few sets recur in every region's rows."""
    return tuple(code for code in VIOLATION_BITS.codes if bits & VIOLATION_BITS.bit(code))


def region_map_image(filters: IncidentFilter, user, level: str, public: bool, fmt: str = "png") -> bytes | None:
    """The map page's choropleth as an image file: the counts `region_features` gives this
    reader (so the public's generalisation holds), with the words of `map_text`."""
    data = region_features(filters, user, level, public)
    counts = {f["properties"]["name"]: f["properties"]["count"] for f in data["features"]}
    return choropleth_image(counts, level, map_text(filters, level, public), fmt)
