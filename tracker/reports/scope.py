"""The incidents a report counts, copied once into a temporary table with one flag column
per section. The filters' conditions (EXISTS subqueries) then run once per incident instead
of once per figure, and every breakdown is a plain join and GROUP BY over this table."""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from ..extensions import db
from ..models import Incident
from .sections import SectionSpec


class Scope:
    """Use as a context manager: the table lives on the session's connection until exit
    (temporary tables are per connection, so concurrent reports do not meet)."""

    def __init__(self, specs: list[SectionSpec], conds: list[sa.ColumnElement[bool]]):
        self.specs, self.conds = specs, conds
        self.table = sa.Table(
            "report_scope", sa.MetaData(),  # one name, so SQLAlchemy's statement cache hits
            sa.Column("id", sa.Integer, primary_key=True), sa.Column("admin1", sa.String(120)),
            sa.Column("admin2", sa.String(120)), sa.Column("month", sa.Integer),  # YYYYMM
            sa.Column("killed", sa.Integer), sa.Column("injured", sa.Integer), sa.Column("detained", sa.Integer),
            *(sa.Column(f"s{i}", sa.Boolean) for i in range(len(specs))),
            prefixes=["TEMPORARY"])
        self.flags = [self.table.c[f"s{i}"] for i in range(len(specs))]

    def __enter__(self) -> Scope:
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            # The planner prices the per-incident EXISTS subqueries so high that it compiles
            # the query with JIT, which then takes most of the time (~350 of 410 ms at 20k).
            # LOCAL: until the end of this transaction only.
            connection.execute(sa.text("SET LOCAL jit = off"))
        # SQLite runs CREATE outside the transaction but DROP inside it: a request that ends in
        # a rollback brings back the table of its last report on that pooled connection.
        self.table.drop(connection, checkfirst=True)
        self.table.create(connection)
        month = sa.extract("year", Incident.date) * 100 + sa.extract("month", Incident.date)
        select = sa.select(Incident.id, Incident.admin1, Incident.admin2, month, Incident.killed, Incident.injured,
                           Incident.detained, *(spec.condition() for spec in self.specs)).where(*self.conds)
        connection.execute(self.table.insert().from_select(list(self.table.c.keys()), select))
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"ANALYZE {self.table.name}"))  # temporary tables get no autovacuum
        return self

    def __exit__(self, *exc) -> None:
        self.table.drop(db.session.connection())

    def section(self, spec: SectionSpec) -> sa.Column:
        return self.flags[self.specs.index(spec)]

    def spread(self, keys, aggregates, child=None, where=()) -> list[dict]:
        """GROUP BY `keys` and the section flags; per section (in spec order), key → the
        aggregates summed over the flag combinations that include the section. Summing is
        exact even for COUNT(DISTINCT incident): each incident has one flag combination."""
        stmt = sa.select(*keys, *self.flags, *aggregates)
        if child is None:
            stmt = stmt.select_from(self.table)
        else:
            stmt = stmt.select_from(child).join(self.table, self.table.c.id == child.incident_id)
        stmt = stmt.where(sa.or_(*self.flags), *where).group_by(*keys, *self.flags)
        result = [defaultdict(lambda: [0] * len(aggregates)) for _ in self.specs]
        k, n = len(keys), len(self.specs)
        for row in db.session.execute(stmt):
            key = row[0] if k == 1 else tuple(row[:k])
            for i, flag in enumerate(row[k:k + n]):
                if flag:
                    sums = result[i][key]
                    for j, value in enumerate(row[k + n:]):
                        sums[j] += int(value or 0)
        return result
