"""Logging in and out, deny-by-default routing, password storage, audit of logins."""

import sqlalchemy as sa

from tests.support import PASSWORD, make_app
from tracker.extensions import db
from tracker.models import AuditEntry, User


def test_anonymous_visitor_is_sent_to_login(client):
    for path in ("/incidents/", "/incidents/new", "/admin/users", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.location.startswith("/auth/login?next=")


def test_login_page_and_health_are_public(client):
    assert client.get("/auth/login").status_code == 200
    assert client.get("/health").json == {"status": "ok"}


def test_monitor_logs_in_and_out(client, auth):
    response = auth.login("monitor")
    assert response.status_code == 302
    assert client.get("/incidents/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/incidents/").status_code == 302


def test_logout_is_not_possible_with_get(client, auth):
    auth.login("monitor")
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/incidents/").status_code == 200


def test_wrong_password_is_refused_and_audited(client, users):
    response = client.post("/auth/login", data={"email": "monitor@example.org", "password": "wrong-password"})
    assert response.status_code == 200
    assert "Wrong email or password" in response.text or "incorrect" in response.text.lower()
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "login_failed")).one()
    assert entry.actor == "monitor@example.org"
    assert "wrong-password" not in str(entry.details)


def test_password_is_stored_as_argon2_hash(users):
    user = db.session.scalar(sa.select(User).where(User.email == "admin@example.org"))
    assert user.password_hash.startswith("$argon2")
    assert PASSWORD not in user.password_hash


def test_deactivated_user_cannot_log_in(client, users):
    users["viewer"].active = False
    db.session.commit()
    client.post("/auth/login", data={"email": "viewer@example.org", "password": PASSWORD})
    assert client.get("/incidents/").status_code == 302


def test_login_does_not_redirect_to_another_site(client, users):
    response = client.post(
        "/auth/login", data={"email": "monitor@example.org", "password": PASSWORD, "next": "https://evil.example.com/"}
    )
    assert response.location == "/"


def test_session_cookie_is_httponly_and_samesite(client, users):
    response = client.post("/auth/login", data={"email": "monitor@example.org", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_pages_forbid_foreign_scripts(client, auth):
    auth.login("monitor")
    policy = client.get("/incidents/new").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy


def test_forms_require_csrf_token(database_url, tmp_path, users):
    app = make_app(database_url, tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/auth/login", data={"email": "monitor@example.org", "password": PASSWORD})
    # refused as a form whose session ended (tracker/error_pages.py), not logged in
    assert (response.status_code, response.location) == (302, "/auth/login?next=/auth/login")
    response = client.get("/incidents/")
    assert (response.status_code, response.location) == (302, "/auth/login?next=/incidents/")


def test_post_after_session_ended_returns_to_the_form(database_url, tmp_path, users):
    app = make_app(database_url, tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/incidents/new", data={"title": "typed before the timeout"})
    assert response.status_code == 302
    assert response.location == "/auth/login?next=/incidents/new"


def test_demo_style_address_can_log_in(client, app):
    from tracker.auth.service import create_user

    create_user("admin@demo.invalid", "admin", PASSWORD)
    client.post("/auth/login", data={"email": "admin@demo.invalid", "password": PASSWORD})
    assert client.get("/incidents/").status_code == 200
