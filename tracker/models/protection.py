"""The early-warning alerts a reviewer has acknowledged (docs/architecture.md, "Persons and
protection"). The requests for protection belong to the incident aggregate (incident.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..crypto import EncryptedText
from ..extensions import Model
from ..timeutil import utcnow

if TYPE_CHECKING:
    from .user import User


class AlertAcknowledgement(Model):
    """A reviewer's word that an early-warning alert was seen and acted on. Alerts themselves
    are computed from the data each time (tracker/protection/alerts.py); this row, under the
    alert's key, is what hides one from the open list."""

    __tablename__ = "alert_acknowledgements"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    alert_key: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    comment: so.Mapped[str] = so.mapped_column(EncryptedText, default="")  # may name people
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    user: so.Mapped[User | None] = so.relationship()
