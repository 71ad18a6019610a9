"""Counting the filtered incidents for all sections at once.

The incidents a report counts are copied once into a narrow temporary table: the columns
figures are grouped by, the summary stored on each incident (tracker/facts.py), and one flag
per section. Reading the wide incidents table once instead of once per figure is most of the
speed; every figure is then a GROUP BY over the copy, by the figure's key and the section
flags, and Python adds up the few resulting rows per section. An incident's flags are one
combination, so summing over the combinations that include a section is exact.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from ..extensions import db
from ..facts import FACT_COLUMNS, in_section
from ..models import Incident
from .sections import SectionSpec


class Tally:
    """Use as a context manager: the table lives on the session's connection until exit
    (temporary tables are per connection, so concurrent reports do not meet)."""

    def __init__(self, specs: list[SectionSpec], conds: list[sa.ColumnElement[bool]]):
        self.specs, self.conds = specs, conds
        facts = [sa.Column(name, Incident.__table__.c[name].type) for name in FACT_COLUMNS]
        self.table = sa.Table(
            "report_scope", sa.MetaData(),  # one name, so SQLAlchemy's statement cache hits
            sa.Column("id", sa.Integer, primary_key=True), sa.Column("admin1", sa.String(120)),
            sa.Column("admin2", sa.String(120)), sa.Column("month", sa.Integer),  # YYYYMM
            sa.Column("killed", sa.Integer), sa.Column("injured", sa.Integer), sa.Column("detained", sa.Integer),
            *facts, *(sa.Column(f"s{i}", sa.Boolean) for i in range(len(specs))),
            prefixes=["TEMPORARY"])
        self.flags = [self.table.c[f"s{i}"] for i in range(len(specs))]

    def __enter__(self) -> Tally:
        connection = db.session.connection()
        # SQLite runs CREATE outside the transaction but DROP inside it: a request that ends in
        # a rollback brings back the table of its last report on that pooled connection.
        self.table.drop(connection, checkfirst=True)
        self.table.create(connection)
        month = sa.extract("year", Incident.date) * 100 + sa.extract("month", Incident.date)
        flags = [in_section(Incident, spec.codes, spec.defenders_only) for spec in self.specs]
        select = sa.select(Incident.id, Incident.admin1, Incident.admin2, month, Incident.killed, Incident.injured,
                           Incident.detained, *(getattr(Incident, name) for name in FACT_COLUMNS), *flags
                           ).where(*self.conds)
        connection.execute(self.table.insert().from_select(list(self.table.c.keys()), select))
        return self

    def __exit__(self, *exc) -> None:
        self.table.drop(db.session.connection())

    def section(self, spec: SectionSpec) -> sa.Column:
        return self.flags[self.specs.index(spec)]

    def spread(self, keys, aggregates, any_section: bool = True, join=None) -> tuple[list[dict], list[int]]:
        """GROUP BY `keys` and the section flags. Returns, per section (in spec order),
        key → the aggregates summed over its flag combinations; and the aggregates summed
        over every row (with `any_section=False`, incidents in no section included).
        `join`: a child model (victims, …) whose rows are grouped instead of the incidents."""
        stmt = sa.select(*keys, *self.flags, *aggregates)
        if join is None:
            stmt = stmt.select_from(self.table)
        else:
            stmt = stmt.select_from(join).join(self.table, self.table.c.id == join.incident_id)
        if any_section:
            stmt = stmt.where(sa.or_(*self.flags))
        result = [defaultdict(lambda: [0] * len(aggregates)) for _ in self.specs]
        overall = [0] * len(aggregates)
        k, n = len(keys), len(self.specs)
        for row in db.session.execute(stmt.group_by(*keys, *self.flags)):
            key = row[0] if k == 1 else tuple(row[:k])
            values = [int(v or 0) for v in row[k + n:]]
            overall = [a + b for a, b in zip(overall, values)]
            for i, flag in enumerate(row[k:k + n]):
                if flag:
                    result[i][key] = [a + b for a, b in zip(result[i][key], values)]
        return result, overall
