"""Human references such as PE-2024-00042: country prefix, year of the incident, sequence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from ..extensions import db
from ..models import Incident


def _highest_sequence(prefix: str, year: int) -> int:
    pattern = f"{prefix}-{year}-%"
    refs = db.session.scalars(sa.select(Incident.ref).where(Incident.ref.like(pattern)))
    best = 0
    for ref in refs:
        tail = ref.rsplit("-", 1)[-1]
        if tail.isdigit():
            best = max(best, int(tail))
    return best


def allocate_refs(prefix: str, years: Iterable[int]) -> list[str]:
    """New references for incidents of the given years, in order, without collisions
    with stored ones (one query per distinct year, so bulk imports stay set-based)."""
    years = list(years)
    counters: dict[int, int] = defaultdict(int)
    for year in set(years):
        counters[year] = _highest_sequence(prefix, year)
    refs = []
    for year in years:
        counters[year] += 1
        refs.append(f"{prefix}-{year}-{counters[year]:05d}")
    return refs
