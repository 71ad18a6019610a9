"""Administrative boundaries imported from boundary files (departments, provinces, districts)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ..timeutil import utcnow

LEVELS = ("admin1", "admin2", "admin3")


class Region(Model):
    __tablename__ = "regions"
    __table_args__ = (sa.Index("ix_regions_level_key", "level", "name_key"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    level: so.Mapped[str] = so.mapped_column(sa.String(10))
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    # accent- and case-folded name, for matching what people type
    name_key: so.Mapped[str] = so.mapped_column(sa.String(120))
    code: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    country: so.Mapped[str] = so.mapped_column(sa.String(2), default="PE")
    # where the boundaries come from, as the import said (or its file name): credited on maps
    source: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    # geometry as WKB in WGS84; shapely reads it, no spatial database extension needed
    geometry: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    centroid_lat: so.Mapped[float]
    centroid_lon: so.Mapped[float]
    min_lon: so.Mapped[float]
    min_lat: so.Mapped[float]
    max_lon: so.Mapped[float]
    max_lat: so.Mapped[float]
    imported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
