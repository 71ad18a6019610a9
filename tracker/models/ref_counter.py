"""The last sequence number given out per reference prefix and year (PE-2024-00042 is prefix
PE, year 2024, 42). One row per year, raised in the transaction that stores the incident: the
row lock (PostgreSQL) or the write lock (SQLite) makes concurrent creates wait their turn
instead of reading the same highest reference and colliding."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model


class RefCounter(Model):
    __tablename__ = "ref_counters"

    prefix: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    year: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    last: so.Mapped[int] = so.mapped_column(default=0)
