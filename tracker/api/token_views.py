"""The token pages: a signed-in user creates and revokes their own API tokens
(/account/tokens); admins revoke anyone's from /admin/tokens through the same revoke action.
HTML forms with CSRF protection, unlike the API itself. HTTP only: tokens.py does the work."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import PermissionDenied
from ..extensions import db
from ..main import safe_redirect_target
from ..models import ApiToken
from .forms import NewTokenForm
from .tokens import issue_token, revoke_token, tokens_of

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


@bp.route("", methods=["GET", "POST"])
def own_tokens():
    form = NewTokenForm()
    issued = None
    if form.validate_on_submit():
        # Shown on this response only: not flashed, as flashed messages travel in the session cookie.
        issued = issue_token(current_user, form.name.data)
        form = NewTokenForm(formdata=None)
    return render_template("api/tokens.html", form=form, issued=issued, tokens=tokens_of(current_user))


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id) or abort(404)
    try:
        revoke_token(token, current_user)
    except PermissionDenied:
        abort(404)  # as for a token that does not exist
    flash(_("Token %(prefix)s… revoked: it no longer works.", prefix=token.prefix), "success")
    return redirect(safe_redirect_target(request.form.get("next") or url_for("tokens.own_tokens")))
