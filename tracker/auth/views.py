"""Account pages: login, logout, and the user's own API tokens (/account/tokens; admins revoke
anyone's from /admin/tokens through the same revoke action). HTTP only: service.py and
tokens.py do the work."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import audit
from ..errors import PermissionDenied
from ..extensions import db
from ..models import ApiToken
from ..security import safe_redirect_target
from .forms import LoginForm, NewTokenForm
from .service import authenticate
from .tokens import issue_token, revoke_token, tokens_of

bp = Blueprint("auth", __name__)


@bp.route("/auth/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_redirect_target(form.next.data or ""))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("auth/login.html", form=form)


@bp.post("/auth/logout")
def logout():
    audit.record("logout")
    db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/tokens", methods=["GET", "POST"])
def own_tokens():
    form = NewTokenForm()
    issued = None
    if form.validate_on_submit():
        # Shown on this response only: not flashed, as flashed messages travel in the session cookie.
        issued = issue_token(current_user, form.name.data)
        form = NewTokenForm(formdata=None)
    return render_template("auth/tokens.html", form=form, issued=issued, tokens=tokens_of(current_user))


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_api_token(token_id: int):
    token = db.session.get(ApiToken, token_id) or abort(404)
    try:
        revoke_token(token, current_user)
    except PermissionDenied:
        abort(404)  # as for a token that does not exist
    flash(_("Token %(prefix)s… revoked: it no longer works.", prefix=token.prefix), "success")
    return redirect(safe_redirect_target(request.form.get("next") or url_for("auth.own_tokens")))
