"""Wrong passwords lock logins out for a while, per account and per address, counted in the
database so that every worker process agrees."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.support import PASSWORD, make_app, schema_created
from tracker.auth.service import create_user
from tracker.extensions import db
from tracker.models import AuditEntry, FailedLogin
from tracker.timeutil import utcnow

WRONG = "not-the-password"


def log_in(client, email: str, password: str, **headers):
    return client.post("/auth/login", data={"email": email, "password": password}, headers=headers)


@pytest.fixture
def clock(monkeypatch):
    """Moves the throttle's time forward."""
    now = [utcnow()]
    monkeypatch.setattr("tracker.auth.throttle.utcnow", lambda: now[0])

    def advance(minutes: float):
        now[0] += timedelta(minutes=minutes)

    return advance


def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one(client, users):
    for _attempt in range(10):
        assert log_in(client, "monitor@example.org", WRONG).status_code == 200
    response = log_in(client, "monitor@example.org", PASSWORD)
    assert response.status_code == 429
    assert 14 * 60 <= int(response.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed logins" in response.text
    assert "try again in 15 minutes" in response.text
    assert client.get("/incidents/").status_code == 302  # not logged in
    locked = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "login_locked")).one()
    assert locked.actor == "monitor@example.org"
    assert locked.details == {"scope": "account", "failures": 10}
    assert PASSWORD not in str(locked.details) and WRONG not in str(locked.details)


def test_lockout_message_is_in_spanish_for_a_spanish_browser(client, users):
    for _attempt in range(10):
        log_in(client, "monitor@example.org", WRONG)
    response = log_in(client, "monitor@example.org", PASSWORD, **{"Accept-Language": "es"})
    assert response.status_code == 429
    assert "Demasiados intentos fallidos" in response.text


def test_unknown_email_is_locked_out_like_a_real_account(client, users):
    for _attempt in range(10):
        log_in(client, "nobody@example.org", WRONG)
    response = log_in(client, "Nobody@Example.org ", WRONG)
    assert response.status_code == 429
    assert "Too many failed logins" in response.text


def test_another_account_from_the_same_address_works_until_fifty_failures(client, users):
    for n in range(49):
        log_in(client, f"guess{n // 9}@example.org", WRONG)  # under ten per account
    assert log_in(client, "viewer@example.org", PASSWORD).status_code == 302
    client.post("/auth/logout")
    for n in range(50):
        log_in(client, f"guess{n // 9}@example.org", WRONG)
    assert log_in(client, "reviewer@example.org", PASSWORD).status_code == 429
    other_address = {"REMOTE_ADDR": "192.0.2.7"}
    response = client.post(
        "/auth/login", data={"email": "reviewer@example.org", "password": PASSWORD}, environ_base=other_address
    )
    assert response.status_code == 302


def test_the_window_passing_lets_the_user_in_and_prunes_old_failures(client, users, clock):
    for _attempt in range(10):
        log_in(client, "monitor@example.org", WRONG)
    clock(14)
    assert log_in(client, "monitor@example.org", PASSWORD).status_code == 429
    clock(1.1)
    assert log_in(client, "monitor@example.org", PASSWORD).status_code == 302
    client.post("/auth/logout")
    log_in(client, "viewer@example.org", WRONG)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FailedLogin)) == 1  # the old ones are gone


def test_limits_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")
    monkeypatch.setenv("TRACKER_LOGIN_FAILURE_WINDOW_MINUTES", "5")
    app = make_app(f"sqlite:///{tmp_path / 'env.db'}", tmp_path / "instance")
    assert app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] == 3
    assert app.config["LOGIN_FAILURE_WINDOW_MINUTES"] == 5


def test_two_processes_on_one_database_share_the_count(app, database_url, tmp_path, users):
    """Two app instances stand for two gunicorn workers: failures at one lock out the other."""
    other = make_app(database_url, tmp_path / "other-instance")
    first, second = app.test_client(), other.test_client()
    for _attempt in range(5):
        log_in(first, "monitor@example.org", WRONG)
    with other.app_context():
        for _attempt in range(5):
            log_in(second, "monitor@example.org", WRONG)
        assert log_in(second, "monitor@example.org", PASSWORD).status_code == 429
        db.session.remove()
        db.engine.dispose()
    assert log_in(first, "monitor@example.org", PASSWORD).status_code == 429


def test_proxies_setting_reads_the_forwarded_address(database_url, tmp_path):
    with schema_created(make_app(database_url, tmp_path / "instance", PROXIES=1)) as proxied:
        create_user("monitor@example.org", "monitor", PASSWORD)
        client = proxied.test_client()
        for n in range(50):
            log_in(client, f"guess{n // 9}@example.org", WRONG, **{"X-Forwarded-For": "203.0.113.5"})
        assert log_in(client, "monitor@example.org", PASSWORD, **{"X-Forwarded-For": "203.0.113.5"}).status_code == 429
        assert log_in(client, "monitor@example.org", PASSWORD, **{"X-Forwarded-For": "198.51.100.9"}).status_code == 302


def test_an_admin_unlocks_a_locked_account(app, client, users):
    for _attempt in range(10):
        log_in(client, "monitor@example.org", WRONG)
    admin = app.test_client()
    assert log_in(admin, "admin@example.org", PASSWORD).status_code == 302
    response = admin.post(f"/admin/users/{users['monitor'].id}/unlock", follow_redirects=True)
    assert "can log in again at once" in response.text
    assert log_in(client, "monitor@example.org", PASSWORD).status_code == 302
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "login_unlocked")).one()
    assert entry.user_id == users["admin"].id and entry.target == f"user:{users['monitor'].id}"
