"""API tokens: issuing, revoking and recognising them. Plain functions, no Flask request
needed, so the token pages, the admin pages, the API and the tests share them.

The plaintext of a token exists only in the value `issue_token` returns; it is never stored,
logged or written to the audit log (which gets the token's id, name and prefix).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from .. import audit
from ..errors import PermissionDenied, ServiceError
from ..extensions import db
from ..models import ApiToken, User
from ..security import can_manage_users
from ..timeutil import utcnow

TOKEN_PREFIX = "trk_"  # noqa: S105 - not a secret: tells a tracker token apart from other secrets (e.g. to scanners)
SHOWN_CHARACTERS = 8  # of the random part, kept to tell a user's tokens apart
NAME_LENGTH = 80
# `last_used_at` is written at most this often, so reading the API is not a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# A token works for the days chosen when it is made: a forgotten one stops working by itself.
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365


class TokenExpired(Exception):
    """A token past its expiry: the caller is told when it ended and where to make a new one."""

    def __init__(self, expires_at):
        super().__init__(expires_at)
        self.expires_at = expires_at


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown to its owner once, then gone


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def issue_token(user: User, name: str, actor=None, days: int = DEFAULT_LIFETIME_DAYS) -> IssuedToken:
    """A new token acting as `user` (with `user`'s role) for `days` days, while the account is active."""
    name = name.strip()
    if not name:
        raise ServiceError(_("Give the token a name, e.g. the tool that will use it."))
    if len(name) > NAME_LENGTH:
        raise ServiceError(_("The name may have at most %(n)d characters.", n=NAME_LENGTH))
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise ServiceError(_("A token may be valid for 1 to %(n)d days.", n=MAX_LIFETIME_DAYS))
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_digest(plaintext),
        prefix=plaintext[: len(TOKEN_PREFIX) + SHOWN_CHARACTERS],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token_created",
        f"api_token:{token.id}",
        user=actor or user,
        owner=f"user:{user.id}",
        name=name,
        prefix=token.prefix,
        expires=token.expires_at.date().isoformat(),
    )
    db.session.commit()
    return IssuedToken(token, plaintext)


def revoke_token(token: ApiToken, actor) -> None:
    """Stop a token working at once; its owner and admins may."""
    if token.user_id != getattr(actor, "id", None) and not can_manage_users(actor):
        raise PermissionDenied(_("You may only revoke your own tokens."))
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    audit.record(
        "api_token_revoked",
        f"api_token:{token.id}",
        user=actor,
        owner=f"user:{token.user_id}",
        name=token.name,
        prefix=token.prefix,
    )
    db.session.commit()


def user_for_token(plaintext: str) -> User | None:
    """The active user a token acts for, or None for an unknown or revoked token or an
    inactive account. Raises TokenExpired for a token past its expiry."""
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(plaintext)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.expires_at <= now:
        raise TokenExpired(token.expires_at)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    return token.user


def _newest_first() -> sa.Select:
    return sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(_newest_first().where(ApiToken.user_id == user.id)))


def all_tokens() -> list[ApiToken]:
    """Every account's tokens with their owners (the admin page)."""
    return list(db.session.scalars(_newest_first().options(joinedload(ApiToken.user))))
