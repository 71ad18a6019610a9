"""Admins manage users and roles, on the web and with `tracker create-user`; the audit log."""

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import AuditEntry, User


def test_admin_creates_a_user_on_the_web(client, auth):
    auth.login("admin")
    response = client.post(
        "/admin/users",
        data={"email": "Nueva@Example.org", "name": "Nueva", "role": "monitor", "password": "a-long-password"},
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "nueva@example.org"))
    assert user.role == "monitor"


def test_short_password_is_refused_with_a_message(client, auth):
    auth.login("admin")
    response = client.post("/admin/users", data={"email": "x@example.org", "role": "viewer", "password": "short"})
    assert "at least 12 characters" in response.text
    assert db.session.scalar(sa.select(User).where(User.email == "x@example.org")) is None


def test_role_change_is_audited(client, auth, users):
    auth.login("admin")
    viewer = users["viewer"]
    client.post(f"/admin/users/{viewer.id}/role", data={f"u{viewer.id}-role": "author"})
    db.session.expire_all()
    assert db.session.get(User, viewer.id).role == "author"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "role_changed")).one()
    assert entry.details == {"old": "viewer", "new": "author"}
    assert "role_changed" in client.get("/admin/audit").text


def test_admin_cannot_deactivate_themselves(client, auth, users):
    auth.login("admin")
    response = client.post(f"/admin/users/{users['admin'].id}/active", data={"active": "0"}, follow_redirects=True)
    assert "cannot deactivate your own account" in response.text
    assert db.session.get(User, users["admin"].id).active


def test_create_user_command(runner):
    result = runner.invoke(
        args=["create-user", "cli@example.org", "--role", "reviewer", "--password", "cli-password-1"]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.role).where(User.email == "cli@example.org")) == "reviewer"
    again = runner.invoke(args=["create-user", "cli@example.org", "--role", "reviewer", "--password", "cli-password-1"])
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_logins_are_in_the_audit_log(client, auth):
    auth.login("monitor")
    auth.logout()
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["login", "logout"]
