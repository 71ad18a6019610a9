"""Imports run from the web page, and the possible duplicates they leave for a reviewer."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..crypto import EncryptedJSON
from ..extensions import Model
from ..timeutil import utcnow

if TYPE_CHECKING:
    from .incident import Incident
    from .user import User


class ImportJob(Model):
    """One uploaded file, from its check to its import: the page polls it, so the user may
    leave and come back. The file itself waits in instance/uploads/<token>."""

    __tablename__ = "import_jobs"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    file_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    format: so.Mapped[str] = so.mapped_column(sa.String(10), default="")  # "" = detect
    # checking → checked → importing → done; failed from any of them (and run again from there)
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default="checking")
    # what a running job does now: "" (starting), checking (reading the rows), storing, finishing
    stage: so.Mapped[str] = so.mapped_column(sa.String(12), default="")
    done: so.Mapped[int] = so.mapped_column(default=0)
    total: so.Mapped[int | None]
    skip_invalid: so.Mapped[bool] = so.mapped_column(default=False)
    # the check's report (counts, problems, first rows with their places), then the import's
    # counts: encrypted as a whole
    summary: so.Mapped[dict[str, Any]] = so.mapped_column(EncryptedJSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    finished_at: so.Mapped[datetime | None]
    # the process that runs it ("pid:start@machine", tracker/exchange/jobs.py) and when it last
    # wrote its progress: a job whose process is gone was cut short, and is failed
    runner: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    heartbeat_at: so.Mapped[datetime | None]

    user: so.Mapped["User | None"] = so.relationship()


class DuplicateCandidate(Model):
    """An imported incident that may repeat one already stored, until a reviewer decides."""

    __tablename__ = "duplicate_candidates"
    __table_args__ = (sa.UniqueConstraint("incident_id", "candidate_of_id", name="uq_duplicate_candidates_pair"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    candidate_of_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="pending", index=True)  # pending|merged|dismissed
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    incident: so.Mapped["Incident"] = so.relationship(foreign_keys=[incident_id])
    candidate_of: so.Mapped["Incident"] = so.relationship(foreign_keys=[candidate_of_id])
