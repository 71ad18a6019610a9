"""The password policy (12 to 128 characters, not common, not easy to guess) wherever a password
is set; changing one's own password; an admin's single-use reset link; a change ending the
account's other sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from tests.support import PASSWORD, Auth
from tracker.auth.passwords import check_new_password, common_passwords
from tracker.auth.service import create_user
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.models import AuditEntry, PasswordReset, User
from tracker.timeutil import utcnow

NEW = "lantern orchard quietly 7 rivers"


@pytest.fixture
def separate_requests(app):
    """Each request loads its user from its session, as in production: the `app` fixture keeps
    one app context (and so one `g`, where Flask-Login keeps the user) open for the whole test."""

    @app.teardown_request
    def forget_loaded_user(_error):
        g.pop("_login_user", None)


def audited(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


@pytest.mark.parametrize(
    "password,message",
    [
        ("eleven-char", "at least 12 characters"),
        ("x" * 129, "at most 128 characters"),
        ("a" * 72 + "Zq8#kW2!mP9@vL4$nR7^tY1&", "too easy to guess"),  # only the first 72 characters are scored
        ("hd764nw5d7e1vb1", "most common passwords"),  # in the shipped list, though it looks random
        ("qwertyuiopasdf", "too easy to guess"),  # a keyboard row
        ("Monitor@Example.org", "too easy to guess"),  # the account's own email
    ],
)
def test_weak_passwords_are_refused_with_a_reason(app, password, message):
    with pytest.raises(ServiceError, match=message):
        create_user("monitor@example.org", "monitor", password)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_no_composition_rules_a_long_lower_case_phrase_is_fine(app):
    check_new_password("purple elephant dancing slowly")
    check_new_password("é" * 12 + "ñandú montaña")
    check_new_password("lantern orchard quietly rivers " * 4 + "oak")  # 127 characters


def test_the_shipped_list_has_ten_thousand_passwords_and_says_where_it_came_from(app):
    from importlib.resources import files

    text = files("tracker").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    assert "zxcvbn" in text.splitlines()[1] and "MIT License" in text.splitlines()[2]
    assert len(common_passwords()) == 10_000 and "password" in common_passwords()


def test_create_user_command_refuses_a_weak_password(runner):
    result = runner.invoke(args=["create-user", "cli@example.org", "--role", "viewer", "--password", "password"])
    assert result.exit_code != 0 and "at least 12 characters" in result.output


def test_admin_page_refuses_a_common_password_under_the_password_field(client, auth):
    auth.login("admin")
    page = client.post(
        "/admin/users", data={"email": "x@example.org", "role": "viewer", "password": "hd764nw5d7e1vb1"}
    ).text
    assert "most common passwords" in page and "Several unrelated words" in page
    assert db.session.scalar(sa.select(User).where(User.email == "x@example.org")) is None


def test_a_user_changes_their_password_and_other_sessions_end(app, separate_requests, client, auth, users):
    elsewhere = Auth(app.test_client())
    elsewhere.login("monitor")
    assert elsewhere.client.get("/incidents/").status_code == 200
    auth.login("monitor")
    page = client.get("/account/password").text
    assert "Several unrelated words" in page
    wrong = client.post("/account/password", data={"current_password": "not-it", "new_password": NEW, "confirm": NEW})
    assert "current password is wrong" in wrong.text
    weak = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": "short", "confirm": "short"}
    )
    assert "at least 12 characters" in weak.text
    done = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW, "confirm": NEW},
        follow_redirects=True,
    )
    assert "Your password is changed" in done.text
    assert client.get("/incidents/").status_code == 200  # this session goes on
    assert elsewhere.client.get("/incidents/").status_code == 302  # the other one has ended
    assert elsewhere.login("monitor").status_code == 200  # the old password no longer works
    assert elsewhere.login("monitor", NEW).status_code == 302
    entry = audited("password_changed")[0]
    assert entry.user_id == users["monitor"].id and NEW not in str(entry.details)


def reset_path(runner, email: str) -> str:
    result = runner.invoke(args=["reset-password", email])
    assert result.exit_code == 0, result.output
    return re.search(r"/auth/reset/\S+", result.output).group(0)


def test_a_reset_link_sets_a_password_once_and_ends_sessions(app, separate_requests, client, runner, users):
    signed_in = Auth(app.test_client())
    signed_in.login("viewer")
    path = reset_path(runner, "viewer@example.org")
    token = path.rsplit("/", 1)[1]
    stored = db.session.scalars(sa.select(PasswordReset)).one()
    assert token not in stored.token_hash and stored.expires_at - stored.created_at == timedelta(hours=24)
    assert "Set a new password" in client.get(path).text
    weak = client.post(path, data={"new_password": "viewer@example.org", "confirm": "viewer@example.org"})
    assert "too easy to guess" in weak.text
    done = client.post(path, data={"new_password": NEW, "confirm": NEW})
    assert done.status_code == 302 and done.location.endswith("/auth/login")
    assert signed_in.client.get("/incidents/").status_code == 302
    again = client.post(path, data={"new_password": NEW + "x", "confirm": NEW + "x"})
    assert again.status_code == 404 and "Ask an admin for a new one" in again.text
    assert Auth(client).login("viewer", NEW).status_code == 302
    assert [e.action for e in audited("password_reset_link_made") + audited("password_reset")] == [
        "password_reset_link_made",
        "password_reset",
    ]


def test_a_reset_link_expires_after_a_day_and_a_new_one_replaces_it(client, runner, users):
    first = reset_path(runner, "viewer@example.org")
    second = reset_path(runner, "viewer@example.org")
    assert client.get(first).status_code == 404
    db.session.scalars(sa.select(PasswordReset).where(PasswordReset.used_at.is_(None))).one().expires_at = (
        utcnow() - timedelta(minutes=1)
    )
    db.session.commit()
    assert client.get(second).status_code == 404
    assert client.get("/auth/reset/made-up").status_code == 404


def test_reset_password_command_for_an_unknown_email(runner):
    result = runner.invoke(args=["reset-password", "nobody@example.org"])
    assert result.exit_code != 0 and "No account" in result.output


def test_an_admin_makes_a_reset_link_on_the_users_page(client, auth, users):
    auth.login("reviewer")
    assert client.post(f"/admin/users/{users['viewer'].id}/reset-link").status_code == 403
    auth.login("admin")
    page = client.post(f"/admin/users/{users['viewer'].id}/reset-link").text
    link = page.split('<code class="secret">')[1].split("</code>")[0]
    assert link.startswith("http://localhost/auth/reset/")
    assert "works once, for 24 hours" in page
    entry = audited("password_reset_link_made")[0]
    assert entry.user_id == users["admin"].id and entry.target == f"user:{users['viewer'].id}"
    assert link.rsplit("/", 1)[1] not in str(entry.details)
    auth.logout()
    assert "Set a new password" in client.get(link).text
