"""Admin pages: users and roles, and the audit log. Admins only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import audit, mail
from ..auth import second_factor, sessions
from ..auth import service as accounts
from ..auth.forms import TokenForAccountForm
from ..auth.passwords import hint as password_hint
from ..auth.tokens import all_tokens, issue_token
from ..errors import ServiceError
from ..extensions import db
from ..i18n import term_label
from ..models import AuditEntry, User
from ..security import can_manage_users
from ..taxonomy import ROLES
from .forms import NewUserForm, RoleForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PER_PAGE = 50


@bp.before_request
def admins_only():
    if not can_manage_users(current_user):
        abort(403)


@bp.route("/users", methods=["GET", "POST"])
def users():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data, form.role.data, form.password.data, name=form.name.data, actor=current_user
            )
            flash(_("Created %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.users"))
        except ServiceError as exc:
            form.email.errors.append(str(exc))
    return _users_page(form)


def _users_page(form: NewUserForm, reset_link: tuple[User, str] | None = None):
    all_users = db.session.scalars(sa.select(User).order_by(User.email)).all()
    return render_template(
        "admin/users.html",
        form=form,
        users=all_users,
        role_forms={u.id: RoleForm(role=u.role, prefix=f"u{u.id}") for u in all_users},
        password_hint=password_hint(),
        reset_link=reset_link,
    )


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm(prefix=f"u{user.id}")
    if form.validate_on_submit():
        accounts.change_role(user, form.role.data, actor=current_user)
        flash(_("%(email)s is now %(role)s.", email=user.email, role=term_label(ROLES, form.role.data)), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
def toggle_active(user_id: int):
    user = _user_or_404(user_id)
    try:
        accounts.set_active(user, request.form.get("active") == "1", actor=current_user)
    except ServiceError as exc:
        flash(str(exc), "error")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reset-link")
def make_reset_link(user_id: int):
    """A single-use link to set a new password, shown on this response only (a flashed message
    would travel in the session cookie)."""
    user = _user_or_404(user_id)
    link = url_for("auth.reset_with_link", token=accounts.make_reset_link(user, actor=current_user), _external=True)
    if mail.configured():
        try:
            accounts.mail_reset_link(user, link)
            flash(_("The link was also sent by mail to %(email)s.", email=user.email), "success")
        except mail.MailError as exc:
            flash(_("%(problem)s Give the link by hand.", problem=str(exc)), "error")
    return _users_page(NewUserForm(formdata=None), (user, link))


@bp.post("/users/<int:user_id>/unlock")
def unlock_logins(user_id: int):
    user = _user_or_404(user_id)
    accounts.unlock_logins(user, actor=current_user)
    flash(_("%(email)s can log in again at once.", email=user.email), "success")
    return redirect(url_for("admin.users"))


def _own_session(user: User) -> str | None:
    """The admin's own session, kept when they act on their own account."""
    return current_user.session_token if user.id == current_user.id else None


@bp.post("/users/<int:user_id>/sessions/end")
def end_sessions(user_id: int):
    user = _user_or_404(user_id)
    ended = sessions.end_sessions(user, current_user, keep=_own_session(user))
    flash(
        ngettext("%(email)s: %(num)d session ended.", "%(email)s: %(num)d sessions ended.", ended, email=user.email),
        "success",
    )
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/second-factor/reset")
def reset_second_factor(user_id: int):
    """For a lost phone: the factor and its recovery codes go, with every session of the account;
    its next login sets up a new one if the role requires it."""
    user = _user_or_404(user_id)
    second_factor.remove(user, actor=current_user, keep_session=_own_session(user))
    flash(_("%(email)s has no second factor now, and is logged out everywhere.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/tokens", methods=["GET", "POST"])
def api_tokens():
    """Every account's API tokens, and a new one for any active account (shown once, on this
    response only). Revoking goes through the owner's own revoke action."""
    form = TokenForAccountForm()
    issued = None
    if form.validate_on_submit():
        issued = issue_token(_user_or_404(form.user_id.data), form.name.data, actor=current_user, days=form.days.data)
        form = TokenForAccountForm(formdata=None)
    return render_template("auth/tokens.html", form=form, issued=issued, tokens=all_tokens(), owners=True)


@bp.get("/audit")
def audit_log():
    page = max(request.args.get("page", 1, type=int), 1)
    action = request.args.get("action", "")
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    entries = db.session.scalars(stmt.limit(AUDIT_PER_PAGE + 1).offset((page - 1) * AUDIT_PER_PAGE)).all()
    actions = db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    return render_template(
        "admin/audit.html",
        entries=entries[:AUDIT_PER_PAGE],
        page=page,
        has_next=len(entries) > AUDIT_PER_PAGE,
        action=action,
        actions=actions,
        describe=audit.describe,
    )
