"""Counting the filtered incidents for all sections at once.

The incidents a report counts are copied once into a narrow temporary table: the columns
figures are grouped by, the summary stored on each incident (tracker/facts.py), and the
sections it counts in as one bit set. Reading the wide incidents table once instead of once
per figure is most of the speed; every figure is then a GROUP BY over the copy, by the
figure's key and the sections, and Python adds up the few resulting rows per section. An
incident's sections are one combination, so summing over the combinations that include a
section is exact.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..facts import FACT_COLUMNS, in_section
from ..grouping import sums_by
from ..models import Incident
from .sections import SectionSpec

# One table object for every report: SQLAlchemy's statement cache keys on it, so the
# report's statements are compiled once per process rather than once per report.
SCOPE = sa.Table(
    "report_scope",
    sa.MetaData(),
    sa.Column("id", sa.Integer),  # no key: filling appends, and no figure looks an id up
    sa.Column("admin1", sa.String(120)),
    sa.Column("admin2", sa.String(120)),
    sa.Column("month", sa.Integer),  # YYYYMM
    sa.Column("killed", sa.Integer),
    sa.Column("injured", sa.Integer),
    sa.Column("detained", sa.Integer),
    *(sa.Column(name, Incident.__table__.c[name].type) for name in FACT_COLUMNS),
    sa.Column("sections", sa.Integer),  # bit i: counts in the report's i-th section
    prefixes=["TEMPORARY"],
)


REPORT_WORK_MEM = "64MB"  # PostgreSQL, for the report's transaction only


class Tally:
    """Use as a context manager: the table lives on the session's connection until exit
    (temporary tables are per connection, so concurrent reports do not meet)."""

    def __init__(self, specs: list[SectionSpec], conds: list[sa.ColumnElement[bool]]):
        self.specs, self.conds, self.table = specs, conds, SCOPE

    def __enter__(self) -> Tally:
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            # The planner knows nothing of the fresh copy; with the default 4 MB it sorts a
            # million-row copy on disk to group it instead of hashing it in memory.
            connection.exec_driver_sql(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        # SQLite runs CREATE outside the transaction but DROP inside it: a request that ends in
        # a rollback brings back the table of its last report on that pooled connection.
        self.table.drop(connection, checkfirst=True)
        self.table.create(connection)
        month = sa.extract("year", Incident.date) * 100 + sa.extract("month", Incident.date)
        sections = sum(
            (
                sa.case((in_section(Incident, spec.codes, spec.defenders_only), 1 << i), else_=0)
                for i, spec in enumerate(self.specs)
            ),
            sa.literal(0),  # the same SQL as sum's own start (a bound 0), typed as an expression
        )
        select = sa.select(
            Incident.id,
            Incident.admin1,
            Incident.admin2,
            month,
            Incident.killed,
            Incident.injured,
            Incident.detained,
            *(getattr(Incident, name) for name in FACT_COLUMNS),
            sections,
        ).where(*self.conds)
        connection.execute(self.table.insert().from_select(list(self.table.c.keys()), select))
        if connection.dialect.name == "postgresql":
            # Statistics on the copy (a small sample, cheap at any size), or the planner takes it
            # for a few rows and sorts the victims join on disk to group it instead of hashing
            # (figures: bench/README.md); and on the ids of the incidents with persons or
            # requests, or it takes those for 200 and looks their rows up one by one
            # (tracker/counts/persons.py).
            connection.exec_driver_sql("SET LOCAL default_statistics_target = 10")
            connection.exec_driver_sql(f"ANALYZE {self.table.name} (sections, id, linked_defender_rows, request_count)")
        return self

    def __exit__(self, *exc) -> None:
        self.table.drop(db.session.connection())

    def section(self, spec: SectionSpec) -> sa.ColumnElement[bool]:
        return self.table.c.sections.bitwise_and(1 << self.specs.index(spec)) != 0

    def spread(
        self, keys, values=(), any_section: bool = True, join=None, where: sa.ColumnElement[bool] | None = None
    ) -> tuple[list[defaultdict[Any, list[int]]], list[int]]:
        """Rows and sums of `values` per `keys` and sections (tracker/grouping.py). Returns,
        per section (in spec order), key → [rows, *sums] over the section combinations that
        include it; and [rows, *sums] over every row (with `any_section=False`, incidents in
        no section included).
        `join`: a child model (victims, …) whose rows are counted instead of the incidents;
        `where`: a condition on the copy's rows."""
        sections = self.table.c.sections
        source = (
            self.table if join is None else sa.join(join.__table__, self.table, self.table.c.id == join.incident_id)
        )
        conditions = [*([sections != 0] if any_section else []), *([where] if where is not None else [])]
        result: list[defaultdict[Any, list[int]]] = [defaultdict(lambda: [0] * (1 + len(values))) for _ in self.specs]
        overall = [0] * (1 + len(values))
        k = len(keys)
        for row in sums_by([*keys, sections], values, conditions, source):
            key = row[0] if k == 1 else tuple(row[:k])
            sums = [int(v or 0) for v in row[k + 1 :]]
            overall = [a + b for a, b in zip(overall, sums, strict=True)]
            for i, per_key in enumerate(result):
                if row[k] >> i & 1:
                    per_key[key] = [a + b for a, b in zip(per_key[key], sums, strict=True)]
        return result, overall
