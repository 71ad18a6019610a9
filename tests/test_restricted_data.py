"""Who sees what: incidents by role, and the restricted fields of DESIGN.md §2."""

import logging

import pytest

from tests.factories import incident_data, submit_incident
from tracker.incidents.service import change_status, create_incident

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


def test_victim_names_never_reach_the_logs(client, auth, users, caplog):
    caplog.set_level(logging.DEBUG)
    incident = submit_incident(incident_data(), users["monitor"])
    auth.login("reviewer")
    client.get(f"/incidents/{incident.ref}")
    client.post(
        f"/incidents/{incident.ref}/status", data={"to_status": "verified", "comment": "", "version": incident.version}
    )
    assert VICTIM_NAME not in caplog.text
    assert "-12.5933" not in caplog.text


def test_audit_log_holds_no_names(client, auth, users):
    import sqlalchemy as sa

    from tracker.extensions import db
    from tracker.models import AuditEntry

    incident = submit_incident(incident_data(), users["monitor"])
    change_status(incident, "verified", users["reviewer"], f"checked with {VICTIM_NAME}'s family")
    details = " ".join(str(e.details) + e.target for e in db.session.scalars(sa.select(AuditEntry)))
    assert VICTIM_NAME not in details
