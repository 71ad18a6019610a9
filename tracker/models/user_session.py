"""Server-side sessions and second factors: what a login leaves in the database besides the
audit log, so that logging out, a password change or an admin can end a session for good."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ..timeutil import utcnow


class UserSession(Model):
    """One signed-in browser. The cookie carries a random token; only its SHA-256 is kept, so a
    copy of the database signs no one in. A row gone is a session ended."""

    __tablename__ = "user_sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_seen_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_at: so.Mapped[datetime]  # the absolute end, however active the session
    device: so.Mapped[str] = so.mapped_column(sa.String(80), default="")  # from the User-Agent, for the list


class RecoveryCode(Model):
    """A single-use code that stands in for a TOTP code when the phone is lost; only its
    SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    used_at: so.Mapped[datetime | None]
