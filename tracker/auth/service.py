"""Accounts: creating users, checking passwords, changing roles. Plain functions, no Flask
request needed, so the CLI, the admin pages and the tests share them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit, mail
from ..errors import ServiceError
from ..extensions import db
from ..models import PasswordReset, User
from ..security import hash_password, verify_password
from ..taxonomy import ROLES
from ..timeutil import utcnow
from . import second_factor, sessions, throttle
from .passwords import check_new_password
from .throttle import Lockout

RESET_LINK_LIFETIME = timedelta(hours=24)


@cache
def _dummy_hash() -> str:
    """Verifying against a real hash when the email is unknown takes as long as a wrong
    password, so response times do not reveal which accounts exist."""
    return hash_password("not-a-real-password")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(email: str, role: str, password: str, name: str = "", actor=None) -> User:
    email = normalise_email(email)
    if role not in ROLES:
        raise ServiceError(_("Unknown role '%(role)s'. Choose one of: %(roles)s.", role=role, roles=", ".join(ROLES)))
    check_new_password(password, email, name)
    if "@" not in email:
        raise ServiceError(_("That is not an email address."))
    if find_user(email):
        raise ServiceError(_("A user with the email %(email)s already exists.", email=email))
    user = User(email=email, role=role, name=name.strip(), password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record("user_created", f"user:{user.id}", user=actor, role=role)
    db.session.commit()
    return user


class LoginLockedOut(ServiceError):
    """Too many failed logins for the account or from the address: try again later."""

    def __init__(self, locked: Lockout):
        super().__init__(
            _(
                "Too many failed logins for this account or from this network. "
                "For your safety, logging in is paused: try again in %(minutes)d minutes.",
                minutes=locked.minutes,
            )
        )
        self.retry_after = locked.retry_after


def authenticate(email: str, password: str, address: str = "") -> User | None:
    """The user if email and password match an active account; every attempt is audited.
    Raises LoginLockedOut, without looking at the password, while a lockout lasts. For an
    account with a second factor the login is not done yet (`verify_second_factor`)."""
    account = normalise_email(email)[:254]
    if locked := throttle.lockout(account, address):
        raise LoginLockedOut(locked)
    user = find_user(email)
    ok = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not ok or not user.active:
        _failed(account, address, user)
        return None
    if not user.has_second_factor:
        record_login(user)
    return user


def verify_second_factor(user: User, code: str, address: str = "") -> str | None:
    """The login's second step: how `code` proved it ("totp" or "recovery"), or None. A wrong
    code counts as a failed login, so the throttle limits guessing codes as it does passwords."""
    if locked := throttle.lockout(user.email, address):
        raise LoginLockedOut(locked)
    if not user.active:
        return None
    method = second_factor.check_login_code(user, code)
    if method is None:
        _failed(user.email, address, user, step="code")
        return None
    record_login(user, second_factor=method)
    return method


def _failed(account: str, address: str, user: User | None, **details: str) -> None:
    audit.record("login_failed", f"user:{user.id}" if user else "", user=None, actor=account, **details)
    throttle.record_failure(account, address)
    db.session.commit()


def record_login(user: User, **details: str) -> None:
    """A login that succeeded, with every factor: its account's failure count starts afresh."""
    throttle.forget_failures(user.email)
    user.last_login_at = utcnow()
    audit.record("login", f"user:{user.id}", user=user, **details)
    db.session.commit()


def change_role(user: User, role: str, actor) -> None:
    if role not in ROLES:
        raise ServiceError(_("Unknown role '%(role)s'.", role=role))
    if user.role == role:
        return
    audit.record("role_changed", f"user:{user.id}", user=actor, old=user.role, new=role)
    user.role = role
    db.session.commit()


def set_active(user: User, active: bool, actor) -> None:
    if user.id == getattr(actor, "id", None) and not active:
        raise ServiceError(_("You cannot deactivate your own account."))
    if user.active != active:
        user.active = active
        audit.record("user_activated" if active else "user_deactivated", f"user:{user.id}", user=actor)
        db.session.commit()


def _set_password(user: User, password: str, keep_session: str | None) -> None:
    """A new password ends every session of the account but `keep_session` (the one it was
    changed in)."""
    check_new_password(password, user.email, user.name)
    user.password_hash = hash_password(password)
    sessions.end_all(user, keep=keep_session)


def change_password(user: User, current: str, new: str) -> None:
    """The user's own change: the current password proves it is them, not someone at their
    unlocked screen."""
    if not verify_password(user.password_hash, current):
        raise ServiceError(_("The current password is wrong, so the password was not changed."))
    _set_password(user, new, keep_session=user.session_token)
    audit.record("password_changed", f"user:{user.id}", user=user)
    db.session.commit()


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def make_reset_link(user: User, actor=None) -> str:
    """The token of a single-use link that sets a new password within 24 hours (only its hash
    is stored). A new link replaces the account's earlier unused ones."""
    now = utcnow()
    db.session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    plaintext = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(
            user_id=user.id, token_hash=_digest(plaintext), created_at=now, expires_at=now + RESET_LINK_LIFETIME
        )
    )
    audit.record("password_reset_link_made", f"user:{user.id}", user=actor)
    db.session.commit()
    return plaintext


def mail_reset_link(user: User, url: str) -> None:
    """Mail a reset link to the account's own address (raises mail.MailError); audited."""
    mail.send(
        user.email,
        _("Set a new password for the incident tracker"),
        _(
            "An administrator made a link for you to set a new password on the incident tracker:\n\n%(url)s\n\n"
            "It works once, for 24 hours. If you did not ask for it, tell your administrator.",
            url=url,
        ),
    )
    audit.record("password_reset_link_mailed", f"user:{user.id}")
    db.session.commit()


def unlock_logins(user: User, actor) -> None:
    """Forget the account's failed logins, e.g. after its owner called; a lockout of the
    network address the failures came from still ends only with its window."""
    throttle.forget_failures(user.email)
    audit.record("login_unlocked", f"user:{user.id}", user=actor)
    db.session.commit()


def reset_for(plaintext: str) -> PasswordReset | None:
    """The unused, unexpired reset a link's token stands for."""
    reset = db.session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == _digest(plaintext)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    return reset


def reset_password(reset: PasswordReset, new: str) -> User:
    """Set the password through a reset link, which then no longer works."""
    user = db.session.get_one(User, reset.user_id)
    _set_password(user, new, keep_session=None)
    reset.used_at = utcnow()
    throttle.forget_failures(user.email)
    audit.record("password_reset", f"user:{user.id}", user=user)
    db.session.commit()
    return user
