"""Counts and sums per key over many rows with few distinct keys, fast on both databases.

PostgreSQL hashes a GROUP BY. SQLite has no hash aggregation: it sorts every row, so a
million incidents are sorted to find a hundred map cells. On SQLite the rows are instead
added into a small temporary table keyed like the groups (an upsert per row into a table
of a few hundred rows, which stays in the page cache), faster than the sort (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import sqlite

from .extensions import db


class _AsGiven(sa.types.UserDefinedType):
    """A SQLite column that keeps values as given (BLOB affinity): keys may be text or
    numbers, sums stay whole numbers or decimals as they come."""

    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "BLOB"


_tables: dict[tuple[int, int], sa.Table] = {}

# what is grouped by or summed: an expression, or a model's attribute (Incident.admin1)
Expression = sa.ColumnElement[Any] | so.QueryableAttribute[Any]


def sums_by(
    keys: Sequence[Expression],
    values: Sequence[Expression],
    where: Sequence[sa.ColumnElement[bool]] = (),
    source=None,
) -> list[tuple]:
    """(*key, rows, *sums of `values`, NULL as 0) per distinct key (never NULL) over the rows
    of `source` (a table or join; by default what the expressions name) matching `where`."""
    where = list(where) or [sa.true()]  # SQLite needs a WHERE before ON CONFLICT
    if db.session.get_bind().dialect.name != "sqlite":
        stmt = sa.select(*keys, sa.func.count(), *(sa.func.coalesce(sa.func.sum(v), 0) for v in values))
        stmt = stmt if source is None else stmt.select_from(source)
        return [tuple(row) for row in db.session.execute(stmt.where(*where).group_by(*keys))]
    table = _table(len(keys), len(values))
    connection = db.session.connection()
    table.create(connection, checkfirst=True)
    rows = sa.select(*keys, sa.literal(1), *(sa.func.coalesce(v, 0) for v in values))  # NULL + n is NULL
    rows = rows if source is None else rows.select_from(source)
    insert = sqlite.insert(table).from_select(list(table.c.keys()), rows.where(*where))
    sums = table.c[len(keys) :]
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=table.c[: len(keys)], set_={c.name: c + insert.excluded[c.name] for c in sums}
        )
    )
    result = [tuple(row) for row in connection.execute(sa.select(table))]
    connection.execute(table.delete())
    return result


def _table(keys: int, values: int) -> sa.Table:
    """The temporary table for that many keys and sums: one object per shape, so the
    statements built on it are compiled once (SQLAlchemy's cache keys on the table)."""
    if (keys, values) not in _tables:
        _tables[keys, values] = sa.Table(
            f"sums_{keys}_{values}",
            sa.MetaData(),
            *(sa.Column(f"k{i}", _AsGiven(), primary_key=True) for i in range(keys)),
            sa.Column("n", sa.Integer),
            *(sa.Column(f"s{i}", _AsGiven()) for i in range(values)),
            prefixes=["TEMPORARY"],
            sqlite_with_rowid=False,
        )  # one B-tree, keyed like the groups
    return _tables[keys, values]
