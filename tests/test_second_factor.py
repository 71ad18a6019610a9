"""The second factor (tracker/auth/second_factor.py): enrolment with a QR code, a code at
login that works once, recovery codes, throttled guessing, the roles that must enrol, and an
admin's reset."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask

from tests.support import PASSWORD, Auth, make_app, schema_created
from tracker.auth.service import create_user
from tracker.config import load_config
from tracker.extensions import db
from tracker.models import AuditEntry, RecoveryCode, User, UserSession


def secret_of(user: User) -> str:
    db.session.refresh(user)
    return user.totp_secret


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def enrol(client, user: User) -> list[str]:
    """Turn on `user`'s factor through the pages (the client is logged in as them); the
    recovery codes shown."""
    client.get("/account/second-factor")
    page = client.post("/account/second-factor", data={"code": code_at(secret_of(user))})
    assert page.status_code == 200, page.text
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page.text)


def signed_in(client) -> bool:
    return client.get("/incidents/").status_code == 200


def actions(user: User) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.target == f"user:{user.id}").order_by(AuditEntry.id)
        )
    )


def test_enrolment_shows_a_qr_code_and_turns_on_with_a_first_code(client, auth, users):
    monitor = users["monitor"]
    auth.login("monitor")
    page = client.get("/account/second-factor")
    assert page.status_code == 200
    assert '<svg width="' in page.text and 'class="qrline"' in page.text  # drawn here, no image service
    shown = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text).group(1)
    assert shown.replace(" ", "") == secret_of(monitor)
    assert client.get("/account/second-factor").text.count(shown) == 1  # a reload keeps the same key

    wrong = client.post(
        "/account/second-factor", data={"code": "000000" if code_at(secret_of(monitor)) != "000000" else "111111"}
    )
    assert "That code does not match" in wrong.text
    db.session.refresh(monitor)
    assert not monitor.has_second_factor

    codes = enrol(client, monitor)
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.refresh(monitor)
    assert monitor.has_second_factor
    assert "second_factor_enrolled" in actions(monitor)
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}  # hashes only
    # the secret lies encrypted in the database, like names
    raw = db.session.execute(sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": monitor.id}).scalar()
    assert raw.startswith("v1:") and secret_of(monitor) not in raw


def test_login_asks_for_a_code_and_each_code_works_once(app, client, auth, users):
    monitor = users["monitor"]
    auth.login("monitor")
    enrol(client, monitor)
    auth.logout()

    step_one = auth.login("monitor")
    assert step_one.status_code == 302 and step_one.location == "/auth/login/code"
    assert not signed_in(client)  # the password alone signs no one in
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0

    code = code_at(secret_of(monitor), 1)  # the enrolment spent the current step's code
    done = client.post("/auth/login/code", data={"code": code})
    assert done.status_code == 302 and signed_in(client)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "login").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.details == {"second_factor": "totp"}

    other = app.test_client()  # someone who watched the code being typed
    Auth(other).login("monitor")
    replay = other.post("/auth/login/code", data={"code": code})
    assert replay.status_code == 200 and "used already" in replay.text
    assert not signed_in(other)


def test_a_recovery_code_logs_in_once(client, auth, users):
    monitor = users["monitor"]
    auth.login("monitor")
    codes = enrol(client, monitor)
    auth.logout()

    auth.login("monitor")
    done = client.post("/auth/login/code", data={"code": codes[3].upper().replace("-", " ")}, follow_redirects=True)
    assert "You logged in with a recovery code" in done.text and "9 are left" in done.text
    auth.logout()
    auth.login("monitor")
    again = client.post("/auth/login/code", data={"code": codes[3]})
    assert again.status_code == 200 and not signed_in(client)


def test_guessing_codes_is_throttled_like_passwords(client, auth, users):
    monitor = users["monitor"]
    auth.login("monitor")
    enrol(client, monitor)
    auth.logout()
    auth.login("monitor")
    right = code_at(secret_of(monitor), 1)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _attempt in range(10):
        assert client.post("/auth/login/code", data={"code": wrong}).status_code == 200
    locked = client.post("/auth/login/code", data={"code": right})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "Too many failed logins" in locked.text and not signed_in(client)
    # a right password does not start the count afresh while a code is wrong
    assert auth.login("monitor").status_code == 429


def test_the_code_step_needs_a_recent_password(client, auth, users, monkeypatch):
    monitor = users["monitor"]
    auth.login("monitor")
    enrol(client, monitor)
    auth.logout()
    assert client.get("/auth/login/code").location == "/auth/login"  # no password typed
    auth.login("monitor")
    later = time.time() + 301
    monkeypatch.setattr("tracker.auth.second_factor_views.time.time", lambda: later)
    answer = client.post("/auth/login/code", data={"code": code_at(secret_of(monitor), 1)}, follow_redirects=True)
    assert "Log in with your email and password first" in answer.text and not signed_in(client)


def test_new_recovery_codes_need_a_current_code_and_void_the_old(client, auth, users):
    monitor = users["monitor"]
    auth.login("monitor")
    old = enrol(client, monitor)
    refused = client.post("/account/second-factor/recovery-codes", data={"renew-code": "123"}, follow_redirects=True)
    assert "That code is not right" in refused.text
    page = client.post("/account/second-factor/recovery-codes", data={"renew-code": code_at(secret_of(monitor), 1)})
    new = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page.text)
    assert len(new) == 10 and not set(new) & set(old)
    auth.logout()
    auth.login("monitor")
    assert client.post("/auth/login/code", data={"code": old[0]}).status_code == 200  # void
    assert client.post("/auth/login/code", data={"code": new[0]}).status_code == 302


def test_turning_the_factor_off_needs_the_password_and_ends_other_sessions(app, client, auth, users):
    monitor = users["monitor"]
    auth.login("monitor")
    enrol(client, monitor)
    laptop = app.test_client()
    Auth(laptop).login("monitor")
    laptop.post("/auth/login/code", data={"code": code_at(secret_of(monitor), 1)})
    assert signed_in(laptop)

    refused = client.post("/account/second-factor/remove", data={"remove-password": "wrong"}, follow_redirects=True)
    assert "The password is wrong" in refused.text
    db.session.refresh(monitor)
    assert monitor.has_second_factor

    client.post("/account/second-factor/remove", data={"remove-password": PASSWORD})
    db.session.refresh(monitor)
    assert not monitor.has_second_factor and monitor.totp_secret is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert signed_in(client) and not signed_in(laptop)
    assert "second_factor_removed" in actions(monitor)


def test_an_admin_resets_a_lost_phone_and_the_account_is_logged_out(app, client, auth, users):
    reviewer = users["reviewer"]
    phone = app.test_client()
    Auth(phone).login("reviewer")
    enrol(phone, reviewer)
    assert signed_in(phone)

    auth.login("monitor")
    assert client.post(f"/admin/users/{reviewer.id}/second-factor/reset").status_code == 403
    auth.login("admin")
    users_page = client.get("/admin/users").text
    assert "Reset (lost phone)" in users_page
    client.post(f"/admin/users/{reviewer.id}/second-factor/reset")
    db.session.refresh(reviewer)
    assert not reviewer.has_second_factor and not signed_in(phone)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "second_factor_reset")).one()
    assert (entry.user_id, entry.target) == (users["admin"].id, f"user:{reviewer.id}")


def test_an_admin_ends_another_accounts_sessions(app, client, auth, users):
    phone = app.test_client()
    Auth(phone).login("monitor")
    auth.login("admin")
    answer = client.post(f"/admin/users/{users['monitor'].id}/sessions/end", follow_redirects=True)
    assert "monitor@example.org: 1 session ended." in answer.text
    assert not signed_in(phone) and signed_in(client)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "sessions_ended")).one()
    assert entry.details == {"sessions": 1, "this_one_kept": False}


# --- roles that must have a factor (the default: admin and reviewer) --------------------------


def configured(tmp_path) -> Flask:
    """The configuration as shipped, with TRACKER_* settings from the environment."""
    app = Flask(__name__, instance_path=str(tmp_path))
    load_config(app, None)
    return app


def test_admins_and_reviewers_must_enrol_by_default(tmp_path):
    assert configured(tmp_path).config["REQUIRE_2FA_ROLES"] == ("admin", "reviewer")


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_staff_reach_nothing_but_enrolment_until_they_have_a_factor(app, client, auth, users, role):
    app.config["REQUIRE_2FA_ROLES"] = ("admin", "reviewer")
    auth.login(role)
    for path in ("/incidents/", "/map", "/reports/", "/account/tokens", "/account/password"):
        answer = client.get(path)
        assert (answer.status_code, answer.location) == (302, "/account/second-factor"), path
    assert client.post("/incidents/new", data={}).location == "/account/second-factor"
    page = client.get("/account/second-factor")
    assert page.status_code == 200 and "before anything else" in page.text
    enrol(client, users[role])
    assert signed_in(client)


def test_other_roles_may_enrol_but_need_not(app, client, auth, users):
    app.config["REQUIRE_2FA_ROLES"] = ("admin", "reviewer")
    auth.login("monitor")
    assert signed_in(client)
    assert "before anything else" not in client.get("/account/second-factor").text


def test_the_api_refuses_a_token_of_an_account_that_must_enrol(app, client, users):
    from tracker.auth.tokens import issue_token

    token = issue_token(users["reviewer"], "dashboard").plaintext
    app.config["REQUIRE_2FA_ROLES"] = ("admin", "reviewer")
    answer = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and "second factor" in answer.json["message"]


def test_the_setting_names_roles(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_REQUIRE_2FA_ROLES", "admin, monitor")
    assert configured(tmp_path).config["REQUIRE_2FA_ROLES"] == ("admin", "monitor")
    monkeypatch.setenv("TRACKER_REQUIRE_2FA_ROLES", "")
    assert configured(tmp_path).config["REQUIRE_2FA_ROLES"] == ()
    monkeypatch.setenv("TRACKER_REQUIRE_2FA_ROLES", "admin,boss")
    with pytest.raises(ValueError, match="unknown roles boss"):
        configured(tmp_path)


def test_secure_cookies_carry_the_host_prefix(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_SECURE_COOKIES", "1")
    with schema_created(make_app(database_url, tmp_path / "instance")) as app:
        create_user("monitor@example.org", "monitor", PASSWORD)
        client = app.test_client()
        answer = Auth(client).login("monitor")
        cookie = answer.headers["Set-Cookie"]
        assert cookie.startswith("__Host-session=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie and "Domain" not in cookie


def test_a_rotated_data_key_keeps_second_factors_working(app, client, auth, users, runner):
    monitor = users["monitor"]
    auth.login("monitor")
    enrol(client, monitor)
    auth.logout()
    before = db.session.execute(sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": monitor.id}).scalar()
    assert runner.invoke(args=["rotate-key"]).exit_code == 0
    after = db.session.execute(sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": monitor.id}).scalar()
    assert before.split(":")[1] != after.split(":")[1]  # sealed under the new key
    auth.login("monitor")
    assert client.post("/auth/login/code", data={"code": code_at(secret_of(monitor), 1)}).status_code == 302
