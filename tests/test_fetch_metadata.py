"""A form posted from another site is refused (tracker/fetch_metadata.py), while pages send no
Referer at all (Referrer-Policy: no-referrer) and a login over HTTPS with its CSRF token works."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.support import PASSWORD, make_app, schema_created
from tracker.extensions import db
from tracker.models import AuditEntry

LOGIN = {"email": "monitor@example.org", "password": PASSWORD}


def logins() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "login")) or 0


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_login_posted_from_another_site_is_refused(client, users, site):
    response = client.post("/auth/login", data=LOGIN, headers={"Sec-Fetch-Site": site})
    assert response.status_code == 403
    assert logins() == 0
    assert client.get("/incidents/").status_code == 302  # not logged in


def test_a_signed_in_users_form_posted_from_another_site_changes_nothing(client, auth):
    auth.login("monitor")
    response = client.post("/incidents/new", data={"title": "forged"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    response = client.post("/auth/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert client.get("/incidents/").status_code == 200  # still logged in: the forged logout did nothing


@pytest.mark.parametrize("site", ["same-origin", "none", None])
def test_own_pages_bookmarks_and_clients_without_fetch_metadata_may_post(client, users, site):
    headers = {"Sec-Fetch-Site": site} if site else {}
    response = client.post("/auth/login", data=LOGIN, headers=headers)
    assert response.status_code == 302
    assert logins() == 1


def test_over_https_a_login_without_referer_works_with_its_csrf_token(database_url, tmp_path, monkeypatch):
    """The browser sends no Referer (no-referrer), which Flask-WTF's HTTPS check would refuse."""
    monkeypatch.setenv("TRACKER_SECURE_COOKIES", "1")
    with schema_created(make_app(database_url, tmp_path / "https", WTF_CSRF_ENABLED=True)) as app:
        from tracker.auth.service import create_user

        create_user(LOGIN["email"], "monitor", PASSWORD)
        client = app.test_client()
        page = client.get("/auth/login", base_url="https://localhost")
        assert page.headers["Referrer-Policy"] == "no-referrer"
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
        response = client.post(
            "/auth/login",
            data={**LOGIN, "csrf_token": token},
            base_url="https://localhost",
            headers={"Sec-Fetch-Site": "same-origin"},
        )
        assert response.status_code == 302
        assert client.get("/incidents/", base_url="https://localhost").status_code == 200
