"""Account pages: login, logout, changing one's password, setting it through a reset link, the
user's own sessions (/account/sessions) and API tokens (/account/tokens; admins revoke anyone's
from /admin/tokens through the same revoke action). HTTP only: service.py, sessions.py,
throttle.py and tokens.py do the work."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import audit
from ..errors import PermissionDenied, ServiceError
from ..extensions import db, limiter
from ..models import ApiToken
from ..security import safe_redirect_target
from . import sessions
from .forms import ChangePasswordForm, LoginForm, NewPasswordForm, NewTokenForm
from .passwords import hint as password_hint
from .second_factor_views import begin_code_step
from .service import LoginLockedOut, authenticate, change_password, reset_for, reset_password
from .throttle import limit_retry_after
from .tokens import issue_token, revoke_token, tokens_of

bp = Blueprint("auth", __name__)


@bp.route("/auth/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, request.remote_addr or "")
        except LoginLockedOut as locked:
            form.password.errors.append(str(locked))
            headers = {"Retry-After": str(locked.retry_after)}
            return render_template("auth/login.html", form=form), 429, headers
        if user is not None and user.has_second_factor:
            begin_code_step(user, form.next.data or "")
            return redirect(url_for("second_factor.login_code"))
        if user is not None:
            sessions.sign_in(user)
            return redirect(safe_redirect_target(form.next.data or ""))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("auth/login.html", form=form)


@bp.post("/auth/logout")
def logout():
    audit.record("logout")
    db.session.commit()
    if current_user.is_authenticated and current_user.session_token:
        sessions.end(current_user.session_token)  # a copy of the cookie no longer works
    logout_user()
    flash(_("You are logged out."), "info")
    response = redirect(url_for("auth.login"))
    # A shared phone keeps nothing of this account: the page cache, the service worker and the
    # outbox go too (static/js/offline/sync.js has asked first about records not yet sent).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/account/password", methods=["GET", "POST"])
def own_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except ServiceError as exc:
            form.new_password.errors.append(str(exc))
        else:
            login_user(current_user._get_current_object())  # this session goes on under the new generation
            flash(_("Your password is changed. Your account's other sessions have ended."), "success")
            return redirect(url_for("auth.own_password"))
    return render_template("auth/password.html", form=form, hint=password_hint())


@bp.get("/account/sessions")
def own_sessions():
    live = sessions.sessions_of(current_user)
    this = sessions.digest(current_user.session_token)
    return render_template(
        "auth/sessions.html",
        user_sessions=live,
        this_session=next((s.id for s in live if s.token_hash == this), None),
        idle_minutes=current_app.config["SESSION_IDLE_MINUTES"],
        absolute_hours=current_app.config["SESSION_ABSOLUTE_HOURS"],
    )


@bp.post("/account/sessions/<int:session_id>/end")
def end_own_session(session_id: int):
    if sessions.end_one(current_user, session_id):
        flash(_("That session has ended: the browser is logged out."), "success")
    return redirect(url_for("auth.own_sessions"))


@bp.post("/account/sessions/end-others")
def end_other_sessions():
    ended = sessions.end_sessions(current_user, current_user, keep=current_user.session_token)
    flash(_("Other sessions ended: %(count)d. This one goes on.", count=ended), "success")
    return redirect(url_for("auth.own_sessions"))


@bp.route("/auth/reset/<token>", methods=["GET", "POST"])
def reset_with_link(token: str):
    """A link `tracker reset-password` or an admin made: public, as its user cannot log in."""
    reset = reset_for(token)
    if reset is None:
        message = _(
            "This link does not work: it was used already, has expired or was replaced. Ask an admin for a new one."
        )
        return render_template("auth/reset.html", invalid=message), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(reset, form.new_password.data)
        except ServiceError as exc:
            form.new_password.errors.append(str(exc))
        else:
            logout_user()
            flash(_("Your new password is set. Log in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, hint=password_hint())


@bp.route("/account/tokens", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TOKEN_ISSUE_RATE_LIMIT"], methods=["POST"])
def own_tokens():
    form = NewTokenForm()
    issued = None
    if form.validate_on_submit():
        # Shown on this response only: not flashed, as flashed messages travel in the session cookie.
        issued = issue_token(current_user, form.name.data, days=form.days.data)
        form = NewTokenForm(formdata=None)
    return render_template("auth/tokens.html", form=form, issued=issued, tokens=tokens_of(current_user))


@bp.errorhandler(429)
def too_many_tokens(error):
    """Past TOKEN_ISSUE_RATE_LIMIT: the tokens page again, saying why nothing was made."""
    flash(_("You made many tokens in a short time, so no new one was made. Try again in an hour."), "error")
    page = render_template("auth/tokens.html", form=NewTokenForm(formdata=None), tokens=tokens_of(current_user))
    return page, 429, {"Retry-After": str(limit_retry_after())}


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_api_token(token_id: int):
    token = db.session.get(ApiToken, token_id) or abort(404)
    try:
        revoke_token(token, current_user)
    except PermissionDenied:
        abort(404)  # as for a token that does not exist
    flash(_("Token %(prefix)s… revoked: it no longer works.", prefix=token.prefix), "success")
    return redirect(safe_redirect_target(request.form.get("next") or url_for("auth.own_tokens")))
