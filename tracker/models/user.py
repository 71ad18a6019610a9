"""Accounts and their roles."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from ..crypto import EncryptedText
from ..extensions import Model
from ..timeutil import utcnow


class User(UserMixin, Model):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_login_at: so.Mapped[datetime | None]
    # The second factor (tracker/auth/second_factor.py): a TOTP secret (encrypted: with it anyone
    # could make codes), in use once confirmed with a first code; the last time step used, so
    # that no code works twice.
    totp_secret: so.Mapped[str | None] = so.mapped_column(EncryptedText)
    totp_confirmed_at: so.Mapped[datetime | None]
    totp_last_step: so.Mapped[int | None]

    __allow_unmapped__ = True  # lets session_token be a plain attribute, not a column
    # The token of the server-side session this object was loaded for or logged in with
    # (tracker/auth/sessions.py): Flask-Login keeps it in the cookie as the user id.
    session_token: str | None = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        if self.session_token is None:
            raise RuntimeError("log in through tracker.auth.sessions.start, which makes the session token")
        return self.session_token

    @property
    def has_second_factor(self) -> bool:
        return self.totp_confirmed_at is not None

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
