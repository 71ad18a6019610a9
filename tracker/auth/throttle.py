"""Login throttling: too many wrong passwords for one account, or from one address, within a
window lock logins out (HTTP 429) until the window passes, for the right password too.

Failures are rows in the database, not counters in memory, so every worker process agrees.
Two processes counting at the same moment may let a failure or two past a limit; that does
not help anyone guess a password. (The API's and token page's request limits are Flask-Limiter's,
counted per process: `limit_retry_after` says how long one of those asks a caller to wait.)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from .. import audit
from ..extensions import db, limiter
from ..models import FailedLogin
from ..timeutil import utcnow


@dataclass(frozen=True)
class Lockout:
    retry_after: int  # seconds until a login is let through again

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])


def _limits(account: str, address: str) -> list[tuple[str, sa.ColumnElement[bool], int]]:
    config = current_app.config
    return [
        ("account", FailedLogin.account == account, config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
        ("address", FailedLogin.address == address, config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    ]


def _unlocks_at(condition: sa.ColumnElement[bool], limit: int, now: datetime) -> datetime | None:
    """When the failures matching `condition` fall below `limit`, or None if they are below it:
    the limit-th newest failure leaving the window."""
    nth_newest = db.session.scalar(
        sa.select(FailedLogin.at)
        .where(condition, FailedLogin.at > now - _window())
        .order_by(FailedLogin.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    return None if nth_newest is None else nth_newest + _window()


def lockout(account: str, address: str) -> Lockout | None:
    """The lockout in force for this account or address, if any."""
    now = utcnow()
    ends = [at for _scope, condition, limit in _limits(account, address) if (at := _unlocks_at(condition, limit, now))]
    if not ends:
        return None
    return Lockout(retry_after=max(1, math.ceil((max(ends) - now).total_seconds())))


def record_failure(account: str, address: str) -> None:
    """Count a wrong password, forget failures past the window, and audit a lockout it starts
    (the caller commits)."""
    now = utcnow()
    db.session.execute(sa.delete(FailedLogin).where(FailedLogin.at <= now - _window()))
    db.session.add(FailedLogin(account=account, address=address, at=now))
    db.session.flush()
    for scope, condition, limit in _limits(account, address):
        count = db.session.scalar(
            sa.select(sa.func.count()).where(condition, FailedLogin.at > now - _window()).select_from(FailedLogin)
        )
        if count == limit:
            audit.record("login_locked", user=None, actor=account, scope=scope, failures=count)


def forget_failures(account: str) -> None:
    """A successful login starts the account's count afresh (the caller commits)."""
    db.session.execute(sa.delete(FailedLogin).where(FailedLogin.account == account))


def limit_retry_after() -> int:
    """Seconds until the Flask-Limiter limit this request went past lets requests through again."""
    breached = limiter.current_limit
    return max(1, int(breached.reset_at - time.time())) if breached else 60
