"""API tokens expire: a lifetime chosen when made (90 days unless chosen, a year at most), shown
with last use on the tokens page; an expired token gets a JSON 401 that says when it ended."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tests.support import PASSWORD, Auth, make_app, schema_created
from tracker.auth.service import create_user
from tracker.auth.tokens import issue_token
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.models import ApiToken, AuditEntry
from tracker.timeutil import utcnow


def api(client, token: str):
    return client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})


def test_a_token_lasts_ninety_days_unless_chosen(users):
    issued = issue_token(users["viewer"], "partner dashboard")
    assert issued.token.expires_at - issued.token.created_at == timedelta(days=90)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "api_token_created")).one()
    assert entry.details["expires"] == issued.token.expires_at.date().isoformat()


@pytest.mark.parametrize("days", [0, 366])
def test_a_token_lasts_at_most_a_year(users, days):
    with pytest.raises(ServiceError, match="1 to 365 days"):
        issue_token(users["viewer"], "too long", days=days)


def test_the_lifetime_is_chosen_on_the_tokens_page_and_shown_with_last_use(client, auth, users):
    auth.login("author")
    refused = client.post("/account/tokens", data={"name": "forever", "days": "400"})
    assert "Choose from 1 to 365 days" in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    page = client.post("/account/tokens", data={"name": "weekly export", "days": "7"})
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert token.expires_at - token.created_at == timedelta(days=7)
    plaintext = page.text.split('<code class="secret">')[1].split("</code>")[0]
    api(client, plaintext)
    listing = client.get("/account/tokens").text
    assert "Expires" in listing and "Last used" in listing
    row = listing.split(f'data-prefix="{token.prefix}"')[1].split("</tr>")[0]
    assert row.count("<td>") >= 5 and "–" not in row  # created, expires and last used all have dates


def test_an_expired_token_gets_a_json_401_saying_when_and_what_to_do(client, auth, users):
    issued = issue_token(users["viewer"], "partner dashboard", days=30)
    assert api(client, issued.plaintext).status_code == 200
    issued.token.expires_at = datetime(2026, 3, 1, 12, 0)
    db.session.commit()
    response = api(client, issued.plaintext)
    assert response.status_code == 401 and response.is_json
    assert response.json["message"] == "This token expired on 2026-03-01; make a new one at /account/tokens."
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    auth.login("viewer")
    assert "expired" in client.get("/account/tokens").text.split(f'data-prefix="{issued.token.prefix}"')[1]


def test_revoking_is_audited(client, auth, users):
    issued = issue_token(users["viewer"], "partner dashboard")
    auth.login("viewer")
    client.post(f"/account/tokens/{issued.token.id}/revoke")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "api_token_revoked")).one()
    assert entry.user_id == users["viewer"].id and entry.details["prefix"] == issued.token.prefix


def test_the_api_answers_429_past_its_rate_limit(database_url, tmp_path):
    with schema_created(make_app(database_url, tmp_path / "instance", API_RATE_LIMIT="3 per minute")) as app:
        client = app.test_client()
        for _attempt in range(3):
            assert client.get("/api/v1/incidents").status_code == 200
        response = client.get("/api/v1/incidents")
        assert response.status_code == 429 and response.is_json
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert "Too many requests" in response.json["message"]


def test_upgrade_gives_stored_tokens_ninety_days_from_when_they_were_made(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance")
    made = utcnow().replace(microsecond=0) - timedelta(days=100)
    with app.app_context():
        upgrade(revision="0008")
        db.session.execute(
            sa.text(
                "INSERT INTO users (email, name, role, password_hash, active, created_at) "
                "VALUES ('old@example.org', '', 'viewer', 'x', true, :made)"
            ),
            {"made": made},
        )
        db.session.execute(
            sa.text(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
                "VALUES (1, 'old', :hash, 'trk_old', :made)"
            ),
            {"hash": "0" * 64, "made": made},
        )
        db.session.commit()
        upgrade()
        token = db.session.scalars(sa.select(ApiToken)).one()
        assert token.expires_at == made + timedelta(days=90)
        assert token.expired
        db.session.remove()
        db.engine.dispose()


def test_making_many_tokens_quickly_is_refused_with_a_message(database_url, tmp_path):
    with schema_created(make_app(database_url, tmp_path / "instance", TOKEN_ISSUE_RATE_LIMIT="2 per hour")) as app:
        create_user("author@example.org", "author", PASSWORD)
        client = app.test_client()
        Auth(client).login("author")
        for n in range(2):
            assert client.post("/account/tokens", data={"name": f"script {n}"}).status_code == 200
        refused = client.post("/account/tokens", data={"name": "one more"})
        assert refused.status_code == 429 and "no new one was made" in refused.text
        assert int(refused.headers["Retry-After"]) > 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 2
