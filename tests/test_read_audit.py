"""Reads of restricted fields are audited (issue 15, item 11): who opened which incident's
identities or exact place, and every export that carried them; the audit page says it in words."""

import pytest
import sqlalchemy as sa

from tests.factories import incident_data, submit_incident
from tracker import audit
from tracker.auth.tokens import issue_token
from tracker.extensions import db
from tracker.incidents.data import SourceData, VictimData
from tracker.incidents.service import change_status
from tracker.models import AuditEntry

ROLES = ("admin", "reviewer", "monitor", "author", "viewer", "anonymous")
SECRETS = ("Rosa Ficticia", "Asociación Ficticia del Bosque", "Testimonio reservado", "Puerto Maldonado", "-12.59")


def verified(users, **overrides):
    incident = submit_incident(incident_data(**overrides), users["monitor"])
    change_status(incident, "verified", users["reviewer"], "ok")
    return incident


def reads() -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "incident_read")))


def login(auth, role):
    if role != "anonymous":
        auth.login(role)


def assert_no_secret_in(entry: AuditEntry):
    text = f"{entry.target} {entry.details}"
    for secret in SECRETS:
        assert secret not in text


# A partners incident, shown to the public only as a department: who reads its restricted fields.
PARTNERS_READS = {
    "admin": ["exact_location", "identities"],
    "reviewer": ["exact_location", "identities"],
    "monitor": ["exact_location", "identities"],  # who recorded it
    "author": None,
    "viewer": None,
    "anonymous": None,
}


@pytest.mark.parametrize("role", ROLES)
def test_opening_an_incident_with_restricted_fields_is_audited(client, auth, users, role):
    incident = verified(users, visibility="partners")
    login(auth, role)
    answer = client.get(f"/incidents/{incident.ref}")
    assert answer.status_code == (302 if role == "anonymous" else 200)  # anonymous: to the login page
    entries = reads()
    if PARTNERS_READS[role] is None:
        assert entries == []
        return
    (entry,) = entries
    assert (entry.actor, entry.target, entry.at is not None) == (f"{role}@example.org", incident.ref, True)
    assert sorted(entry.details["fields"]) == PARTNERS_READS[role]
    assert_no_secret_in(entry)


@pytest.mark.parametrize("role", ROLES)
def test_the_exact_place_of_a_generalised_public_incident_is_an_audited_read(client, auth, users, role):
    incident = verified(users, visibility="public")
    change_status(incident, "published", users["reviewer"], "ok")
    login(auth, role)
    assert client.get(f"/incidents/{incident.ref}").status_code == (302 if role == "anonymous" else 200)
    kinds = [sorted(e.details["fields"]) for e in reads()]
    if role == "anonymous":  # incident pages need a login
        assert kinds == []
    elif role in ("author", "viewer"):  # signed-in readers see a public incident's place, not its people
        assert kinds == [["exact_location"]]
    else:
        assert kinds == [["exact_location", "identities"]]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["history", "edit"])
def test_the_history_and_the_edit_form_are_audited_reads_too(client, auth, users, role, page):
    incident = submit_incident(incident_data(visibility="partners"), users["monitor"])  # still editable
    login(auth, role)
    answer = client.get(f"/incidents/{incident.ref}/{page}")
    entries = reads()
    if role in ("admin", "reviewer", "monitor"):  # staff, and the monitor who recorded it
        assert answer.status_code == 200
        (entry,) = entries
        assert (entry.target, entry.details["via"]) == (incident.ref, page)
        assert sorted(entry.details["fields"]) == ["exact_location", "identities"]
    else:  # refused, or sent to log in: nothing was read
        assert answer.status_code in (302, 403, 404) and entries == []


@pytest.mark.parametrize("role", ["admin", "reviewer", "monitor"])
def test_a_read_without_restricted_fields_writes_nothing(client, auth, users, role):
    # no names, no organisation, no confidential source, a place the public sees too
    incident = verified(
        users,
        public_location="exact",
        victims=[VictimData(group="environmental_defender", gender="female")],
        sources=[SourceData(kind="media", title="Nota", url="https://example.org/nota", reliability="B")],
    )
    login(auth, role)
    assert client.get(f"/incidents/{incident.ref}").status_code == 200
    assert reads() == []


@pytest.mark.parametrize("role", ROLES)
def test_api_detail_and_listing_are_audited_once_per_request(client, users, role):
    incident = verified(users, visibility="partners")
    verified(users, visibility="partners", title="Otra amenaza ficticia")
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {issue_token(users[role], 's').plaintext}"}
    db.session.commit()
    detail = client.get(f"/api/v1/incidents/{incident.ref}", headers=headers)
    listing = client.get("/api/v1/incidents", headers=headers)
    assert detail.status_code == (404 if role == "anonymous" else 200)
    assert listing.status_code == 200
    entries = reads()
    if PARTNERS_READS[role] is None:
        assert entries == []
        return
    one, page = entries
    assert (one.target, one.details["via"], sorted(one.details["fields"])) == (
        incident.ref,
        "api",
        PARTNERS_READS[role],
    )
    assert (page.details["via"], page.details["rows"]) == ("api_list", 2)
    for entry in entries:
        assert entry.actor == f"{role}@example.org"
        assert_no_secret_in(entry)


@pytest.mark.parametrize("role", ROLES)
def test_an_export_is_one_entry_saying_what_it_carried(client, auth, users, role):
    for __ in range(3):
        verified(users, visibility="partners")
    login(auth, role)
    answer = client.get("/incidents/export.csv?status=verified")
    if role == "anonymous":
        assert answer.status_code == 302  # to the login page
        return
    assert answer.status_code == 200
    answer.get_data()  # the entry is written when the streamed file ends
    answer.close()
    (entry,) = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export"))
    assert (entry.details["rows"], entry.details["format"]) == (3, "csv")
    assert entry.details["filters"] == [["status", "verified"]]
    assert sorted(entry.details.get("fields", [])) == (PARTNERS_READS[role] or [])
    assert_no_secret_in(entry)
    assert reads() == []  # the export's entry, not one per row


def test_the_audit_page_says_what_happened_in_words(client, auth, users):
    incident = verified(users, visibility="partners")
    auth.login("admin")
    audit.record("role_changed", f"user:{users['viewer'].id}", old="viewer", new="author")
    client.get(f"/incidents/{incident.ref}")
    client.get("/incidents/export.csv").close()
    audit.record("something_new", "x", note="<script>alert(1)</script>", flags=["a", "b"])
    db.session.commit()
    page = client.get("/admin/audit").text
    assert "role changed from Viewer (partner) to Report author" in page
    assert "opened the incident with identities and exact locations" in page or (
        "opened the incident with exact locations and identities" in page
    )
    assert "exported 1 incident as CSV with exact locations and identities" in page
    assert "note: &lt;script&gt;alert(1)&lt;/script&gt;; flags: a, b" in page
    assert "<script>alert(1)" not in page
    assert "{'" not in page and "['" not in page  # no Python dicts or lists


def test_describe_falls_back_for_details_of_an_unexpected_shape(app):
    entry = AuditEntry(action="role_changed", details={"new": "admin"})
    assert audit.describe(entry) == "new: admin"
    assert audit.describe(AuditEntry(action="logout", details={})) == "–"
