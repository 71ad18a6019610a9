"""Sessions live on the server (tracker/auth/sessions.py): a cookie copied before logout, a
password change or an admin's action signs no one in afterwards; idle sessions end."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.support import PASSWORD, Auth
from tracker.extensions import db
from tracker.models import AuditEntry, UserSession


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", session_cookie(client))
    return thief


def signed_in(client) -> bool:
    return client.get("/incidents/").status_code == 200


def test_a_cookie_copied_before_logout_no_longer_works(app, client, auth):
    auth.login("monitor")
    thief = copy_of(app, client)
    assert signed_in(thief)  # the copy works while the session lives
    auth.logout()
    assert not signed_in(thief)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_only_a_hash_of_the_session_token_is_stored(client, auth):
    auth.login("monitor")
    stored = db.session.scalars(sa.select(UserSession.token_hash)).one()
    assert stored not in session_cookie(client)


def test_login_starts_a_new_session_each_time(app, client, auth):
    auth.login("monitor")
    before = session_cookie(client)
    auth.login("monitor")
    assert session_cookie(client) != before
    old = app.test_client()
    old.set_cookie("session", before)
    assert signed_in(old)  # the first browser's session is still its own until it ends


def test_an_idle_session_ends(app, client, auth):
    auth.login("monitor")
    row = db.session.scalars(sa.select(UserSession)).one()
    row.last_seen_at -= timedelta(minutes=31)  # the default idle limit is 30
    db.session.commit()
    response = client.get("/incidents/")
    assert (response.status_code, response.location) == (302, "/auth/login?next=/incidents/")


def test_a_session_past_its_absolute_expiry_ends(client, auth):
    auth.login("monitor")
    row = db.session.scalars(sa.select(UserSession)).one()
    row.expires_at = row.created_at
    db.session.commit()
    assert not signed_in(client)


def test_log_out_everywhere_else_keeps_this_session(app, client, auth):
    auth.login("monitor")
    laptop = app.test_client()
    Auth(laptop).login("monitor")
    page = client.get("/account/sessions")
    assert page.status_code == 200 and page.text.count("<tr>") == 3  # header and two sessions
    response = client.post("/account/sessions/end-others", follow_redirects=True)
    assert "Other sessions ended: 1" in response.text
    assert signed_in(client) and not signed_in(laptop)
    assert db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action == "sessions_ended")).one()


def test_one_can_end_a_session_of_ones_own_but_not_someone_elses(app, client, auth):
    auth.login("monitor")
    other = app.test_client()
    Auth(other).login("reviewer")
    reviewer_session = db.session.scalar(sa.select(UserSession.id).order_by(UserSession.id.desc()))
    client.post(f"/account/sessions/{reviewer_session}/end")
    assert signed_in(other)  # not the monitor's to end
    laptop = app.test_client()
    Auth(laptop).login("monitor")
    laptop_session = db.session.scalar(sa.select(UserSession.id).order_by(UserSession.id.desc()))
    client.post(f"/account/sessions/{laptop_session}/end")
    assert not signed_in(laptop) and signed_in(client)


def test_a_password_change_ends_the_other_sessions(app, client, auth):
    auth.login("monitor")
    laptop = app.test_client()
    Auth(laptop).login("monitor")
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a new long phrase 9", "confirm": "a new long phrase 9"},
    )
    assert response.status_code == 302
    assert signed_in(client) and not signed_in(laptop)


def test_login_renews_the_csrf_secret(client, users):
    client.get("/auth/login")  # the page's forms carry a token from the anonymous session's secret
    with client.session_transaction() as before:
        secret = before["csrf_token"]
    Auth(client).login("monitor")
    client.get("/incidents/")
    with client.session_transaction() as after:
        assert after["csrf_token"] != secret  # a token planted before the login is worthless after it


@pytest.mark.parametrize("path", ["/static/css/app.css", "/sw.js", "/health"])
def test_public_files_leave_the_session_cookie_alone(client, path):
    """A static file, fetched with the login page's cookie and answered after the login (a
    service worker fetches many at once), must not put that cookie back and log the user out."""
    client.get("/auth/login")
    answer = client.get(path)
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
