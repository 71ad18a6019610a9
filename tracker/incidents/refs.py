"""Human references such as PE-2024-00042: country prefix, year of the incident, sequence.

Sequences come from a counter row per prefix and year (`RefCounter`), raised by one upsert in
the storing transaction: constant cost whatever the size of the year, and no two transactions
can be given the same number. A save that rolls back gives its number back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa

from ..extensions import conflict_insert, db
from ..models import RefCounter


def _upsert(prefix: str, year: int, value: int, raise_to: bool, apart: bool) -> int:
    """Add `value` to the year's counter (or, with `raise_to`, lift it to at least `value`);
    the counter afterwards. `apart`: in a transaction of its own, committed at once."""
    dialect = db.session.get_bind().dialect.name
    insert = conflict_insert(RefCounter).values(prefix=prefix, year=year, last=value)
    stored, given = RefCounter.__table__.c.last, insert.excluded.last
    new = sa.case((given > stored, given), else_=stored) if raise_to else stored + given
    statement = insert.on_conflict_do_update(index_elements=["prefix", "year"], set_={"last": new})
    if apart and dialect == "postgresql":
        with db.engine.begin() as connection:
            return connection.execute(statement.returning(RefCounter.last)).scalar_one()
    return db.session.execute(statement.returning(RefCounter.last)).scalar_one()


def allocate_refs(prefix: str, years: Iterable[int], apart: bool = False) -> list[str]:
    """New references for incidents of the given years, in order: one statement per distinct
    year (taken in year order, so two bulk imports cannot wait on each other's rows).

    `apart` is for long transactions (an import): on PostgreSQL the numbers are then taken in
    a transaction of their own, so the counter row is not locked until the import commits and
    saves from the form go on meanwhile; a failed import leaves a gap in the sequence. SQLite
    lets one connection write at a time, so there the import's own transaction takes them."""
    years = list(years)
    wanted = Counter(years)
    next_of = {
        year: _upsert(prefix, year, wanted[year], raise_to=False, apart=apart) - wanted[year] for year in sorted(wanted)
    }
    refs = []
    for year in years:
        next_of[year] += 1
        refs.append(f"{prefix}-{year}-{next_of[year]:05d}")
    return refs


def sequence_of(prefix: str, ref: str) -> tuple[int, int] | None:
    """(year, sequence) of a reference in our form, or None for any other text."""
    head, _dash, tail = ref.rpartition("-")
    year = head.removeprefix(f"{prefix}-")
    if head == f"{prefix}-{year}" and year.isdigit() and tail.isdigit():
        return int(year), int(tail)
    return None


def reserve_refs(prefix: str, refs: Iterable[str]) -> None:
    """Lift the counters past references stored as given (a file's own `ref` column), so
    references given out later never repeat them (apart, as for `allocate_refs`)."""
    highest: dict[int, int] = {}
    for ref in refs:
        if found := sequence_of(prefix, ref):
            year, number = found
            highest[year] = max(highest.get(year, 0), number)
    for year in sorted(highest):
        _upsert(prefix, year, highest[year], raise_to=True, apart=True)
