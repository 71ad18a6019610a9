"""In-process caches built from the regions table: a spatial index per level, simplified outlines.

Each cached value remembers the table's fingerprint (rows, highest id, latest import time per
level) when it was built; a request compares it with one cheap query and rebuilds after an
import, whichever process did the import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import shapely
import sqlalchemy as sa

from ..extensions import db
from ..models import Region
from .names import name_key

T = TypeVar("T")
Fingerprint = tuple[Any, ...]


def fingerprints() -> dict[str, Fingerprint]:
    """level -> fingerprint, for the levels that have boundaries."""
    rows = db.session.execute(
        sa.select(Region.level, sa.func.count(), sa.func.max(Region.id), sa.func.max(Region.imported_at)).group_by(
            Region.level
        )
    )
    return {level: tuple(rest) for level, *rest in rows}


class FingerprintCache:
    """Values keyed by (database, key), rebuilt when their fingerprint (a table's `Fingerprint`,
    or a minute's number for values refreshed by time) changes. Lookups are lock-free; builds
    hold a lock so concurrent requests do not build the same thing twice."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, Hashable], tuple[Fingerprint | int, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, fingerprint: Fingerprint | int, build: Callable[[], T]) -> T:
        full_key = (db.engine.url.render_as_string(hide_password=True), key)
        hit = self._values.get(full_key)
        if hit is None or hit[0] != fingerprint:
            with self._lock:
                hit = self._values.get(full_key)
                if hit is None or hit[0] != fingerprint:
                    hit = (fingerprint, build())
                    self._values[full_key] = hit
        return hit[1]


cache = FingerprintCache()


@dataclass(frozen=True)
class LevelIndex:
    """An STRtree over one level's polygons, with their names."""

    tree: shapely.STRtree
    names: np.ndarray  # display names, aligned with the tree's geometries
    keys: np.ndarray  # name keys, likewise

    @classmethod
    def load(cls, level: str) -> LevelIndex:
        rows = db.session.execute(
            sa.select(Region.name, Region.name_key, Region.geometry).where(Region.level == level).order_by(Region.id)
        ).all()
        geoms = shapely.from_wkb([row.geometry for row in rows])
        return cls(
            shapely.STRtree(geoms),
            np.array([row.name for row in rows], dtype=object),
            np.array([row.name_key for row in rows], dtype=object),
        )

    def names_at(self, points: np.ndarray) -> np.ndarray:
        """The name of the region containing each point ("" for none); a point on a shared
        border goes to the first region stored."""
        found = np.full(len(points), "", dtype=object)
        point_idx, region_idx = self.tree.query(points, predicate="intersects")
        order = np.lexsort((region_idx, point_idx))
        point_idx, region_idx = point_idx[order], region_idx[order]
        first = np.unique(point_idx, return_index=True)[1]
        found[point_idx[first]] = self.names[region_idx[first]]
        return found

    def contains(self, lat: float, lon: float, name: str) -> bool:
        """Whether a region called `name` (any spelling) contains the point."""
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        return name_key(name) in set(self.keys[hits])


def level_index(level: str, fingerprint: Fingerprint) -> LevelIndex:
    return cache.get(("index", level), fingerprint, lambda: LevelIndex.load(level))
