"""Second-factor pages: the login's code step (/auth/login/code) and each user's own factor
(/account/second-factor: enrolment with a QR code, new recovery codes, removal). Admins reset
a user's factor from /admin/users. HTTP only: second_factor.py does the work."""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup

from ..errors import ServiceError
from ..extensions import db
from ..models import User
from ..security import safe_redirect_target, verify_password
from . import second_factor, sessions
from .forms import CodeForm, RemoveSecondFactorForm
from .service import LoginLockedOut, verify_second_factor

bp = Blueprint("second_factor", __name__)

# Between the password and the code, the cookie session holds whose login is pending (signed,
# so it cannot be forged) for this long.
PENDING_KEY = "pending_login"
PENDING_SECONDS = 300


def begin_code_step(user: User, next_url: str) -> None:
    """The password was right: the login waits for a code."""
    session.clear()
    session[PENDING_KEY] = {"user": user.id, "at": int(time.time()), "next": next_url}


def _pending_login() -> tuple[User, str] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or not user.has_second_factor:
        return None
    return user, str(pending.get("next", ""))


@bp.route("/auth/login/code", methods=["GET", "POST"])
def login_code():
    pending = _pending_login()
    if pending is None:
        session.pop(PENDING_KEY, None)
        flash(_("Log in with your email and password first; the code is asked for in the five minutes after."), "info")
        return redirect(url_for("auth.login"))
    user, next_url = pending
    form = CodeForm()
    if form.validate_on_submit():
        try:
            method = verify_second_factor(user, form.code.data, request.remote_addr or "")
        except LoginLockedOut as locked:
            form.code.errors.append(str(locked))
            return render_template("auth/login_code.html", form=form), 429, {"Retry-After": str(locked.retry_after)}
        if method is not None:
            sessions.sign_in(user)  # the pending login goes with the old session
            if method == "recovery":
                left = second_factor.recovery_codes_left(user)
                flash(
                    ngettext(
                        "You logged in with a recovery code; it works no more. %(num)d is left: make new ones "
                        "on the second factor page.",
                        "You logged in with a recovery code; it works no more. %(num)d are left: make new ones "
                        "on the second factor page if they run low.",
                        left,
                    ),
                    "warning",
                )
            return redirect(safe_redirect_target(next_url))
        form.code.errors.append(
            _("That code is not right, or it was used already. Type the code your app shows now, or a recovery code.")
        )
    return render_template("auth/login_code.html", form=form)


@bp.route("/account/second-factor", methods=["GET", "POST"])
def setup():
    user = current_user._get_current_object()
    if user.has_second_factor:
        return render_template(
            "auth/second_factor.html",
            left=second_factor.recovery_codes_left(user),
            required=second_factor.required_for(user),
            renew_form=CodeForm(prefix="renew"),
            remove_form=RemoveSecondFactorForm(prefix="remove"),
        )
    secret = second_factor.pending_secret(user)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.confirm_enrolment(user, form.code.data)
        except ServiceError as exc:
            form.code.errors.append(str(exc))
        else:
            flash(_("Your second factor is on: from now on, logging in asks for a code."), "success")
            return _recovery_codes_page(codes)
    return render_template(
        "auth/enrol.html",
        form=form,
        qr=Markup(second_factor.qr_svg(second_factor.provisioning_uri(user, secret))),  # noqa: S704 - drawn by segno here
        secret=second_factor.grouped(secret),
        required=second_factor.must_enrol(user),
    )


def _recovery_codes_page(codes: list[str]):
    """The codes, shown on this response only (never flashed: that would put them in the cookie)."""
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.post("/account/second-factor/recovery-codes")
def renew_recovery_codes():
    form = CodeForm(prefix="renew")
    if form.validate_on_submit():
        try:
            return _recovery_codes_page(
                second_factor.new_recovery_codes(current_user._get_current_object(), form.code.data)
            )
        except ServiceError as exc:
            flash(str(exc), "error")
    else:
        flash(_("Type the code your app shows now to make new recovery codes."), "error")
    return redirect(url_for("second_factor.setup"))


@bp.post("/account/second-factor/remove")
def remove_own():
    form = RemoveSecondFactorForm(prefix="remove")
    user = current_user._get_current_object()
    if not form.validate_on_submit() or not verify_password(user.password_hash, form.password.data):
        flash(_("The password is wrong, so the second factor stays on."), "error")
        return redirect(url_for("second_factor.setup"))
    second_factor.remove(user, actor=user, keep_session=user.session_token)
    if second_factor.required_for(user):
        flash(_("The second factor is off. Your role needs one: set up the new phone now."), "warning")
    else:
        flash(_("The second factor is off: logging in asks for your password only."), "success")
    return redirect(url_for("second_factor.setup"))
