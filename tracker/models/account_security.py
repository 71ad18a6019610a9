"""What keeps accounts safe besides their passwords: failed logins (counted in the database, so
every worker process throttles alike) and single-use password reset links."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ..timeutil import utcnow


class FailedLogin(Model):
    """One wrong password. `account` is the normalised email as typed, for unknown emails too,
    so a lockout looks the same whether or not the account exists."""

    __tablename__ = "failed_logins"
    __table_args__ = (
        sa.Index("ix_failed_logins_account_at", "account", "at"),
        sa.Index("ix_failed_logins_address_at", "address", "at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    account: so.Mapped[str] = so.mapped_column(sa.String(254))
    address: so.Mapped[str] = so.mapped_column(sa.String(45))  # an IPv6 address has at most 45 characters
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)


class PasswordReset(Model):
    """A reset link an admin made; only a SHA-256 hash of its random token is kept."""

    __tablename__ = "password_resets"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_at: so.Mapped[datetime]
    used_at: so.Mapped[datetime | None]
