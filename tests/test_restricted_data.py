"""Who sees what: incidents by role, and the restricted fields (docs/architecture.md, "Privacy")."""

import logging

import pytest
import sqlalchemy as sa

from tests.factories import form_fields, incident_data, submit_incident
from tracker.api import views as api_views
from tracker.extensions import db
from tracker.incidents.service import change_status, create_incident
from tracker.models import AuditEntry, Incident

VICTIM_NAME = "Rosa Ficticia"
ORGANISATION = "Asociación Ficticia del Bosque"
CONFIDENTIAL_SOURCE = "Testimonio reservado"


@pytest.fixture
def verified_internal(users):
    incident = submit_incident(incident_data(visibility="internal"), users["monitor"])
    change_status(incident, "verified", users["reviewer"], "ok")
    return incident


@pytest.mark.parametrize("role", ["author", "viewer"])
def test_readers_never_see_names_confidential_sources_or_coordinates(client, auth, users, role):
    incident = submit_incident(incident_data(visibility="partners"), users["monitor"])
    change_status(incident, "verified", users["reviewer"], "ok")
    auth.login(role)
    page = client.get(f"/incidents/{incident.ref}").text
    assert incident.title in page
    for secret in (VICTIM_NAME, ORGANISATION, CONFIDENTIAL_SOURCE, "-12.59330", "Puerto Maldonado"):
        assert secret not in page
    assert "identity restricted" in page


@pytest.mark.parametrize("role", ["reviewer", "admin", "monitor"])
def test_staff_and_recording_monitor_see_restricted_fields(client, auth, verified_internal, role):
    auth.login(role)
    page = client.get(f"/incidents/{verified_internal.ref}").text
    for secret in (VICTIM_NAME, ORGANISATION, CONFIDENTIAL_SOURCE, "-12.59330"):
        assert secret in page


def test_viewer_does_not_see_internal_incidents(client, auth, verified_internal):
    auth.login("viewer")
    assert client.get(f"/incidents/{verified_internal.ref}").status_code == 404
    assert verified_internal.ref not in client.get("/incidents/").text


def test_author_reads_only_verified_and_published(client, auth, users, verified_internal):
    draft = create_incident(incident_data(title="Borrador interno"), users["monitor"])
    auth.login("author")
    listing = client.get("/incidents/").text
    assert verified_internal.ref in listing
    assert draft.ref not in listing
    assert client.get(f"/incidents/{draft.ref}").status_code == 404


def test_public_incident_coordinates_visible_to_signed_in_readers(client, auth, users):
    incident = submit_incident(incident_data(visibility="public"), users["monitor"])
    change_status(incident, "verified", users["reviewer"], "ok")
    auth.login("viewer")
    page = client.get(f"/incidents/{incident.ref}").text
    assert "-12.59330" in page
    assert VICTIM_NAME not in page


@pytest.mark.parametrize(
    "role,path,allowed",
    [
        ("monitor", "/admin/users", False),
        ("reviewer", "/admin/audit", False),
        ("admin", "/admin/audit", True),
        ("author", "/incidents/new", False),
        ("viewer", "/incidents/new", False),
        ("monitor", "/incidents/new", True),
    ],
)
def test_pages_by_role(client, auth, role, path, allowed):
    auth.login(role)
    assert client.get(path).status_code == (200 if allowed else 403)


def test_victim_names_never_reach_the_logs(app, client, auth, caplog, monkeypatch):
    """A name goes through the form, the page and a search by name. Recording, reading and
    verifying log nothing; the one request logged here is the API's unexpected failure, whose
    line gives the method and path but neither the query (the name searched for) nor the data."""
    caplog.set_level(logging.DEBUG)
    auth.login("monitor")
    response = client.post("/incidents/new", data=form_fields(incident_data(), submit="1"))
    assert (response.status_code, response.location) == (302, "/incidents/PE-2024-00001?saved=1")
    incident = db.session.scalar(sa.select(Incident))
    assert (incident.ref, incident.status, incident.victims[0].name) == ("PE-2024-00001", "submitted", VICTIM_NAME)

    auth.logout()
    auth.login("reviewer")
    page = client.get(f"/incidents/{incident.ref}")
    assert page.status_code == 200 and VICTIM_NAME in page.text
    response = client.post(
        f"/incidents/{incident.ref}/status", data={"to_status": "verified", "comment": "", "version": incident.version}
    )
    assert (response.status_code, response.location) == (302, f"/incidents/{incident.ref}")
    db.session.expire_all()
    assert db.session.scalar(sa.select(Incident.status).where(Incident.ref == incident.ref)) == "verified"

    def failing(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(api_views, "incident_page", failing)
    assert client.get("/api/v1/incidents", query_string={"q": VICTIM_NAME}).status_code == 500

    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (app.logger.name, "ERROR", "API request failed: GET /api/v1/incidents")
    ]
    assert "RuntimeError: the database went away" in caplog.text  # the traceback is logged too
    for secret in (VICTIM_NAME, "Ficticia", "-12.5933"):
        assert secret not in caplog.text


def test_audit_log_holds_no_names(users):
    incident = submit_incident(incident_data(), users["monitor"])
    comment = f"checked with {VICTIM_NAME}'s family"
    change_status(incident, "verified", users["reviewer"], comment)
    assert incident.status_changes[-1].comment == comment  # the name is kept with the status change
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.target, e.actor, e.details) for e in entries if e.target == incident.ref] == [
        ("incident_created", "PE-2024-00001", "monitor@example.org", {}),
        ("status_changed", "PE-2024-00001", "monitor@example.org", {"old": "draft", "new": "submitted"}),
        ("status_changed", "PE-2024-00001", "reviewer@example.org", {"old": "submitted", "new": "verified"}),
    ]
    logged = " ".join(f"{e.action} {e.target} {e.actor} {e.details} {e.ip}" for e in entries)
    for secret in (VICTIM_NAME, ORGANISATION, "Ficticia", "-12.5933"):
        assert secret not in logged
