"""Per-user API tokens. Only a SHA-256 hash of each token is stored: a token is 256 random
bits, so a fast hash is enough (nothing to brute-force) and a look-up is one index probe."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model
from ..timeutil import utcnow

if TYPE_CHECKING:
    from .user import User


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16))  # the token's first characters, to tell tokens apart
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_used_at: so.Mapped[datetime | None]
    expires_at: so.Mapped[datetime]
    revoked_at: so.Mapped[datetime | None]

    user: so.Mapped["User"] = so.relationship()

    @property
    def expired(self) -> bool:
        return self.expires_at <= utcnow()

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired
