"""Server-side sessions. The session cookie carries a random token as Flask-Login's user id;
the database keeps its SHA-256 with the session's user, times and device. A session ends when
its row goes: at logout, on a password change, from the sessions page or an admin's button,
or when it has been idle or alive too long (SESSION_IDLE_MINUTES, SESSION_ABSOLUTE_HOURS)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, request, session
from flask_login import login_user

from .. import audit
from ..extensions import db
from ..models import User, UserSession
from ..timeutil import utcnow

# Writing last_seen_at at most this often spares a write per request; idle expiry is then
# up to a minute late.
LAST_SEEN_PRECISION = timedelta(minutes=1)
DEVICE_LENGTH = 80
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def device_label(user_agent: str) -> str:
    """ "Firefox on Linux" and the like, for the owner to tell their sessions apart; an
    unknown User-Agent is kept short and printable (templates escape it)."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return f"{browser} / {system}"
    return re.sub(r"[^\x20-\x7e]", "", browser or system or user_agent)[:DEVICE_LENGTH]


def _idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def _live(now) -> sa.ColumnElement[bool]:
    return sa.and_(UserSession.expires_at > now, UserSession.last_seen_at > now - _idle_limit())


def start(user: User, user_agent: str) -> str:
    """A new session for `user` (whose expired ones are cleared away); its token is set on
    `user` for Flask-Login's login_user, which stores it in the cookie."""
    now = utcnow()
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id, ~_live(now)))
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=digest(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"]),
            device=device_label(user_agent),
        )
    )
    db.session.commit()
    user.session_token = token
    return token


def sign_in(user: User) -> None:
    """Log `user` in on this browser: the old cookie session (and its CSRF secret) is dropped,
    and a new server-side session begins."""
    session.clear()
    start(user, request.user_agent.string)
    login_user(user)


def load(token: str) -> User | None:
    """The active user of a live session, or None once it has ended, expired or gone idle."""
    now = utcnow()
    row = db.session.execute(
        sa.select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == digest(token), _live(now), User.active)
    ).one_or_none()
    if row is None:
        return None
    session, user = row
    if now - session.last_seen_at >= LAST_SEEN_PRECISION:
        session.last_seen_at = now
        db.session.commit()
    user.session_token = token
    return user


def end(token: str) -> None:
    db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == digest(token)))
    db.session.commit()


def end_all(user: User, keep: str | None = None) -> int:
    """End the user's sessions, but for the one whose token is `keep`; how many ended (the
    caller commits)."""
    condition = UserSession.user_id == user.id
    if keep is not None:
        condition = sa.and_(condition, UserSession.token_hash != digest(keep))
    ended = db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(condition, _live(utcnow())))
    db.session.execute(sa.delete(UserSession).where(condition))
    return ended or 0


def end_sessions(user: User, actor: User, keep: str | None = None) -> int:
    """ "Log out everywhere" (all but the session `keep`), or an admin ending an account's
    sessions; audited."""
    ended = end_all(user, keep)
    audit.record("sessions_ended", f"user:{user.id}", user=actor, sessions=ended, this_one_kept=keep is not None)
    db.session.commit()
    return ended


def end_one(user: User, session_id: int) -> bool:
    """End one of the user's own sessions; False if it is not theirs or already gone."""
    result = db.session.execute(
        sa.delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        audit.record("session_ended", f"user:{user.id}", user=user)
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def sessions_of(user: User) -> list[UserSession]:
    """The user's live sessions, the most recently used first."""
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.user_id == user.id, _live(utcnow()))
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )
