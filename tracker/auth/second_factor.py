"""The second factor: time-based codes from an authenticator app (TOTP, RFC 6238, through
pyotp) and ten single-use recovery codes for a lost phone.

The TOTP secret is stored encrypted like other restricted values (models.User.totp_secret);
recovery codes only as SHA-256 hashes (they are random, so a fast hash is enough). Each TOTP
code works once: accepting one records its time step with a conditional UPDATE, so two
workers given the same code at the same moment cannot both accept it. A recovery code is
spent the same way. Wrong codes count as failed logins (throttle.py), so guessing one is as
slow as guessing a password.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import audit
from ..errors import ServiceError
from ..extensions import db
from ..models import RecoveryCode, User
from ..timeutil import utcnow
from . import sessions

RECOVERY_CODES = 10
# A code from the step before or after the current one is accepted too: phones' clocks drift.
DRIFT_STEPS = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_LENGTH = 10  # about 49 bits each


def required_for(user: User) -> bool:
    """Whether the account's role must have a second factor (TRACKER_REQUIRE_2FA_ROLES)."""
    return user.role in current_app.config["REQUIRE_2FA_ROLES"]


def must_enrol(user: User) -> bool:
    """A role that must have a factor, without one yet: it reaches nothing but enrolment."""
    return required_for(user) and not user.has_second_factor


# --- enrolment ---------------------------------------------------------------------------------


def pending_secret(user: User) -> str:
    """The secret an enrolment in progress shows, made on first call and kept until confirmed,
    so a reloaded page shows the QR code already scanned."""
    if user.has_second_factor:
        raise ServiceError(_("Your account has a second factor already."))
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        db.session.commit()
    return user.totp_secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["TOTP_ISSUER"])


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG, drawn here: the secret never leaves for a QR service."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff", border=4)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Turn the factor on with a first code from the app; returns the new recovery codes
    (shown once, never stored in clear)."""
    secret = pending_secret(user)
    step = _matching_step(secret, code)
    if step is None:
        raise ServiceError(
            _(
                "That code does not match. Check that the phone's clock is right and type the six digits "
                "the app shows now."
            )
        )
    user.totp_confirmed_at = utcnow()
    user.totp_last_step = step
    codes = _replace_recovery_codes(user)
    audit.record("second_factor_enrolled", f"user:{user.id}", user=user)
    db.session.commit()
    return codes


def new_recovery_codes(user: User, code: str) -> list[str]:
    """Ten fresh recovery codes, the old ones void; asks for a current code first."""
    if not _spend_totp(user, code):
        raise ServiceError(_("That code is not right, or it was used already. Type the code the app shows now."))
    codes = _replace_recovery_codes(user)
    audit.record("recovery_codes_renewed", f"user:{user.id}", user=user)
    db.session.commit()
    return codes


def remove(user: User, actor: User, keep_session: str | None = None) -> None:
    """Turn the factor off: the owner from their page, or an admin for a lost phone (then all the
    account's sessions end too, and its next login must enrol again if its role requires it)."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    ended = sessions.end_all(user, keep=keep_session)
    action = "second_factor_removed" if actor.id == user.id else "second_factor_reset"
    audit.record(action, f"user:{user.id}", user=actor, sessions=ended)
    db.session.commit()


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


# --- at login ------------------------------------------------------------------------------------


def check_login_code(user: User, code: str) -> str | None:
    """How `code` proves the second factor ("totp" or "recovery"), spending it; None if it does not."""
    if _spend_totp(user, code):
        return "totp"
    if _spend_recovery_code(user, code):
        return "recovery"
    return None


def _digits(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "")


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code `code` is, among the current one and its neighbours."""
    code = _digits(code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now if now is not None else time.time())
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _spend_totp(user: User, code: str) -> bool:
    """Accept a TOTP code once: only a step later than the last one used, recorded atomically."""
    if not user.has_second_factor or not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code)
    if step is None:
        return False
    result = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount:  # type: ignore[attr-defined]
        user.totp_last_step = step
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _normalised_recovery(code: str) -> str:
    return _digits(code).lower()


def _hash(code: str) -> str:
    return hashlib.sha256(_normalised_recovery(code).encode()).hexdigest()


def _spend_recovery_code(user: User, code: str) -> bool:
    if len(_normalised_recovery(code)) != _RECOVERY_LENGTH:
        return False
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _replace_recovery_codes(user: User) -> list[str]:
    """New codes, "abcde-fghjk", the old ones deleted (in the caller's transaction)."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return codes
