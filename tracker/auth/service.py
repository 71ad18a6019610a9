"""Accounts: creating users, checking passwords, changing roles. Plain functions, no Flask
request needed, so the CLI, the admin pages and the tests share them."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..errors import ServiceError
from ..extensions import db
from ..models import User
from ..security import MIN_PASSWORD_LENGTH, hash_password, verify_password
from ..taxonomy import ROLES
from ..timeutil import utcnow


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
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


def authenticate(email: str, password: str) -> User | None:
    """The user if email and password match an active account; every attempt is audited."""
    user = find_user(email)
    ok = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not ok or not user.active:
        audit.record("login_failed", f"user:{user.id}" if user else "", user=None, actor=normalise_email(email)[:254])
        db.session.commit()
        return None
    user.last_login_at = utcnow()
    audit.record("login", f"user:{user.id}", user=user)
    db.session.commit()
    return user


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
