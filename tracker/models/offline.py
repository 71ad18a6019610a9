"""What incidents recorded with no signal leave on the server (tracker/offline/): a receipt for
every record a phone sent, so the same record sent twice is stored once, and the drafts held
back because the server would not accept them as they were."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..crypto import EncryptedJSON
from ..extensions import Model
from ..timeutil import utcnow


class OfflineReceipt(Model):
    """One record from a phone's outbox, by the UUID the phone gave it. The unique key is what
    makes a resend, or two tabs sending at once, land once: the first insert wins and the others
    read its outcome."""

    __tablename__ = "offline_receipts"

    client_uuid: so.Mapped[str] = so.mapped_column(sa.String(36), primary_key=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    received_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    outcome: so.Mapped[str] = so.mapped_column(sa.String(10), default="")  # "stored" or "held"
    incident_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="SET NULL"))
    held_draft_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("held_drafts.id", ondelete="SET NULL"))

    incident = so.relationship("Incident")


class HeldDraft(Model):
    """A record sent from a phone that the server could not store as an incident (a rule changed
    after it was typed, or it could not be unsealed): kept for its monitor with the problems
    found, never dropped. Its fields and problems are encrypted like other restricted values."""

    __tablename__ = "held_drafts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    client_uuid: so.Mapped[str] = so.mapped_column(sa.String(36))
    received_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # the form's fields as [name, value] pairs, as the phone's form posted them
    fields: so.Mapped[Any] = so.mapped_column(EncryptedJSON)
    problems: so.Mapped[Any] = so.mapped_column(EncryptedJSON)  # [[label, message], ...]
