"""Stored names respelt as people write them (tracker/regions/spelling.py): the regions' own
names, and the incidents' admin1–3, so that names stored before the spellings existed, or
before a boundary import, read "Junín" everywhere: list, filters, map, reports, exports, API.

Plain SQL over a connection: migration 0012 runs it on the data already stored, and every
boundary import runs it for the incidents of the level it imported.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ..models import LEVELS
from ..timeutil import utcnow
from .names import name_key
from .spelling import listed_name, proper_name

NAMES_PER_UPDATE = 500

# The columns used here only, so the migration that runs this keeps working as the tables grow.
REGIONS = sa.table(
    "regions",
    sa.column("id"),
    sa.column("level"),
    sa.column("name"),
    sa.column("name_key"),
    sa.column("country"),
    sa.column("imported_at"),
)
INCIDENTS = sa.table("incidents", *(sa.column(level) for level in LEVELS))


def respell_regions(connection: sa.Connection) -> int:
    """Give every stored region its proper name; the number renamed. A level with renamed
    regions gets a new import time, so every process's caches of it rebuild (spatial.py)."""
    rows = connection.execute(sa.select(REGIONS.c.id, REGIONS.c.level, REGIONS.c.name, REGIONS.c.country)).all()
    renamed, levels = [], set()
    for region_id, level, name, country in rows:
        proper = proper_name(level, name, country)
        if proper != name:
            renamed.append({"region_id": region_id, "proper": proper, "key": name_key(proper)})
            levels.add(level)
    if renamed:
        connection.execute(
            sa.update(REGIONS)
            .where(REGIONS.c.id == sa.bindparam("region_id"))
            .values(name=sa.bindparam("proper"), name_key=sa.bindparam("key")),
            renamed,
        )
        connection.execute(sa.update(REGIONS).where(REGIONS.c.level.in_(levels)).values(imported_at=utcnow()))
    return len(renamed)


def respell_incidents(connection: sa.Connection, levels: Iterable[str] = LEVELS) -> int:
    """Give the incidents' names of `levels` the spelling of the stored region with the same
    name key, else of the shipped table (departments and provinces), as `canonical_name` does
    for a typed name; names neither knows stay as typed. The number of names changed."""
    changed = 0
    for level in levels:
        column = INCIDENTS.c[level]
        stored = connection.execute(
            sa.select(REGIONS.c.name_key, REGIONS.c.name).where(REGIONS.c.level == level).order_by(REGIONS.c.id.desc())
        )
        by_key = dict(stored.all())  # descending ids: the first region stored of a key wins
        changes = {}
        for name in connection.scalars(sa.select(column).where(column != "").distinct()):
            proper = by_key.get(name_key(name)) or listed_name(level, name) or name
            if proper != name:
                changes[name] = proper
        names = list(changes)
        for start in range(0, len(names), NAMES_PER_UPDATE):
            batch = {name: changes[name] for name in names[start : start + NAMES_PER_UPDATE]}
            connection.execute(
                sa.update(INCIDENTS).where(column.in_(batch)).values({level: sa.case(batch, value=column)})
            )
        changed += len(changes)
    return changed
