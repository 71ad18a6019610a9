"""The API's persons' keys and requests for protection (docs/api.md, "Incidents"): each victim's `person` and the
incident's `protection_requests` go to the callers who may see its identities, as the names do, and are absent for
every other caller, in a page, in one incident, and in what a text search finds. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from tests.factories import record
from tests.support import PASSWORD
from tracker.api.openapi import openapi_document
from tracker.auth.service import create_user
from tracker.auth.tokens import issue_token
from tracker.extensions import db
from tracker.incidents.data import RequestData, SourceData, VictimData
from tracker.models import AuditEntry

CALLERS = ("admin", "reviewer", "monitor", "other monitor", "author", "viewer", "anonymous")
SEE_IDENTITIES = ("admin", "reviewer", "monitor")  # the monitor recorded the incident
SECRETS = ("DEF-0042", "COM-0007", "MI-2024-0099", "Nota reservada", "Rosa Ficticia")
REQUEST = {
    "filed_on": "2024-05-12",
    "authority": "mechanism",
    "reference": "MI-2024-0099",
    "decision": "granted",
    "decided_on": "2024-06-03",
    "measures": ["police_patrols", "escort"],
    "measures_end": "2025-06-03",
    "notes": "Nota reservada",
}


@pytest.fixture
def tokens(users):
    """A token per caller; none for the anonymous one."""
    users = {**users, "other monitor": create_user("monitor2@example.org", "monitor", PASSWORD, name="Monitor 2")}
    return {caller: issue_token(user, f"{caller} script").plaintext for caller, user in users.items()}


@pytest.fixture
def linked(users):
    """Published for the public, recorded by the monitor: a defender and her community under their
    keys, a relative without one, and a granted request."""
    return record(
        users,
        "published",
        visibility="public",
        victims=[
            VictimData(group="environmental_defender", gender="female", name="Rosa Ficticia", person="DEF-0042"),
            VictimData(group="family_member", count=2),
            VictimData(group="community", count=30, person="COM-0007"),
        ],
        requests=[
            RequestData(
                filed_on=date(2024, 5, 12),
                reference="MI-2024-0099",
                decision="granted",
                decided_on=date(2024, 6, 3),
                measures=["police_patrols", "escort"],
                measures_end=date(2025, 6, 3),
                notes="Nota reservada",
            )
        ],
    )


def api(client, path: str, token: str | None):
    response = client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"} if token else {})
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.parametrize("caller", CALLERS)
def test_keys_and_requests_go_only_to_callers_who_see_identities(client, tokens, linked, caller):
    token = tokens.get(caller)
    one = api(client, f"/incidents/{linked.ref}", token)
    [listed] = api(client, "/incidents", token)["items"]
    assert listed == one
    if caller in SEE_IDENTITIES:
        assert [v["person"] for v in one["victims"]] == ["DEF-0042", None, "COM-0007"]
        assert one["protection_requests"] == [REQUEST]
    else:
        assert one["access"]["identities"] is False
        assert [sorted(v) for v in one["victims"]] == [
            ["count", "gender", "group", "indigenous", "lgbtiq", "woman_defender"]
        ] * 3
        assert "protection_requests" not in one
        text = json.dumps(one, ensure_ascii=False)
        assert [secret for secret in SECRETS if secret in text] == []


@pytest.mark.parametrize("caller", ["reviewer", "monitor", "other monitor", "author", "viewer"])
def test_a_key_finds_the_incident_only_for_callers_who_see_identities(client, tokens, linked, caller):
    found = [item["ref"] for item in api(client, "/incidents?q=DEF-0042", tokens[caller])["items"]]
    assert found == ([linked.ref] if caller in SEE_IDENTITIES else [])


def test_a_read_that_shows_a_key_is_audited_without_it(client, users, tokens):
    """No name and no confidential source on the incident: the key alone is an identity."""
    incident = record(
        users,
        "published",
        visibility="public",
        public_location="exact",
        victims=[VictimData(group="hrd", person="DEF-0042")],
        sources=[SourceData(kind="media", title="Nota")],
    )
    api(client, f"/incidents/{incident.ref}", tokens["reviewer"])
    api(client, f"/incidents/{incident.ref}", tokens["viewer"])
    reads = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "incident_read")).all()
    assert [(e.user_id, e.details["fields"]) for e in reads] == [(users["reviewer"].id, ["identities"])]
    assert "DEF-0042" not in json.dumps([e.details for e in reads])


def test_the_openapi_document_describes_keys_and_requests():
    incident = openapi_document()["components"]["schemas"]["Incident"]
    assert "protection_requests" in incident["properties"] and "protection_requests" not in incident["required"]
    victim = incident["properties"]["victims"]["items"]
    assert victim["properties"]["person"]["nullable"] and "person" not in victim["required"]
    request = incident["properties"]["protection_requests"]["items"]
    assert set(request["properties"]) == set(REQUEST)
    assert request["properties"]["decision"]["enum"] == ["pending", "granted", "refused"]
