"""Published means reviewed (tracker/incidents/revisions.py): an edit of a verified or
published incident by anyone but a reviewer waits as a proposal; the public, partners and
reports keep the approved content until another reviewer accepts it; the history shows both."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import form_fields, incident_data, record
from tracker.errors import PermissionDenied, ServiceError
from tracker.extensions import db
from tracker.incidents import revisions
from tracker.incidents.service import update_incident
from tracker.models import AuditEntry, Incident, IncidentRevision

APPROVED = "Amenazas a dirigente ficticia"
PROPOSED = "Amenazas y hostigamiento a dirigente ficticia"


def stored(ref: str) -> Incident:
    db.session.expire_all()
    return db.session.scalar(sa.select(Incident).where(Incident.ref == ref))


def public_published(users):
    return record(users, visibility="public", public_location="exact")


def edit_through_the_form(client, incident, **changes):
    """Save the edit form of `incident` with `changes` (confirming the fictional victim's name,
    which the title echoes: tests/test_exposure.py)."""
    data = incident_data(visibility="public", public_location="exact", **changes)
    return client.post(
        f"/incidents/{incident.ref}/edit",
        data=form_fields(data, version=str(stored(incident.ref).version), exposure_ok="1"),
    )


def titles_seen_by_the_public(client) -> list[str]:
    return [item["title"] for item in client.get("/api/v1/incidents").json["items"]]


@pytest.mark.parametrize("proposer", ["monitor", "admin"])
def test_an_edit_of_a_published_incident_waits_and_the_public_keeps_the_approved_version(
    app, client, auth, users, proposer
):
    incident = public_published(users)
    approved_version = incident.version
    auth.login(proposer)
    assert 'id="review-note"' in client.get(f"/incidents/{incident.ref}/edit").text
    answer = edit_through_the_form(client, incident, title=PROPOSED, killed=2)
    assert answer.status_code == 302
    now = stored(incident.ref)
    assert (now.title, now.killed, now.version) == (APPROVED, 0, approved_version)  # unchanged
    (revision,) = now.revisions
    assert revision.outcome is None and revision.snapshot["title"] == PROPOSED

    auth.logout()
    assert titles_seen_by_the_public(client) == [APPROVED]
    auth.login("viewer")
    page = client.get(f"/incidents/{incident.ref}").text
    assert APPROVED in page and PROPOSED not in page and "pending-revision" not in page

    auth.login(proposer)  # the proposer sees what waits, and may not accept it alone
    page = client.get(f"/incidents/{incident.ref}").text
    assert 'id="pending-revision"' in page and PROPOSED in page and "approve-revision" not in page
    assert client.post(f"/incidents/{incident.ref}/revision/approve").status_code in (302, 403)
    assert stored(incident.ref).title == APPROVED

    auth.login("reviewer")
    page = client.get(f"/incidents/{incident.ref}").text
    assert "approve-revision" in page
    client.post(f"/incidents/{incident.ref}/revision/approve")
    now = stored(incident.ref)
    assert (now.title, now.killed, now.version) == (PROPOSED, 2, approved_version + 1)
    assert now.versions[-1].user_id == users[proposer].id  # the author's version, accepted by the reviewer
    history = client.get(f"/incidents/{incident.ref}/history").text
    assert "accepted by Reviewer as version" in history
    auth.logout()
    assert titles_seen_by_the_public(client) == [PROPOSED]


def test_a_reviewers_edit_is_stored_at_once(client, auth, users):
    incident = public_published(users)
    auth.login("reviewer")
    assert 'id="review-note"' not in client.get(f"/incidents/{incident.ref}/edit").text
    assert edit_through_the_form(client, incident, title=PROPOSED).status_code == 302
    now = stored(incident.ref)
    assert now.title == PROPOSED and now.revisions == []


def test_turning_changes_down_needs_a_reason_and_keeps_the_approved_version(client, auth, users):
    incident = public_published(users)
    auth.login("monitor")
    edit_through_the_form(client, incident, title=PROPOSED)
    auth.login("reviewer")
    without = client.post(f"/incidents/{incident.ref}/revision/reject", data={"comment": ""}, follow_redirects=True)
    assert "Please say why" in without.text and stored(incident.ref).pending_revision is not None
    client.post(f"/incidents/{incident.ref}/revision/reject", data={"comment": "La fuente no lo confirma."})
    now = stored(incident.ref)
    assert now.title == APPROVED and now.pending_revision is None
    assert now.revisions[0].outcome == "rejected"
    auth.login("monitor")
    history = client.get(f"/incidents/{incident.ref}/history").text
    assert "turned down by Reviewer" in history and "La fuente no lo confirma." in history
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target == incident.ref)).all()
    assert "revision_proposed" in actions and "revision_rejected" in actions


def test_the_proposer_goes_on_from_the_proposal_and_replaces_it(client, auth, users):
    incident = public_published(users)
    auth.login("monitor")
    edit_through_the_form(client, incident, title=PROPOSED)
    page = client.get(f"/incidents/{incident.ref}/edit").text
    assert f'value="{PROPOSED}"' in page and 'id="pending-note"' in page
    client.post(
        f"/incidents/{incident.ref}/edit",
        data=form_fields(
            incident_data(visibility="public", public_location="exact", title=PROPOSED, killed=1),
            version=str(incident.version),
            exposure_ok="1",
        ),
    )
    outcomes = [r.outcome for r in stored(incident.ref).revisions]
    assert outcomes == ["replaced", None]
    assert stored(incident.ref).pending_revision.snapshot["killed"] == 1


def test_a_proposal_is_merged_with_later_changes_or_refused_when_they_meet(app, users):
    incident = public_published(users)
    data = incident_data(visibility="public", public_location="exact", title=PROPOSED)
    revisions.propose(incident, data, users["monitor"], incident.version)
    update_incident(  # a reviewer changes another field meanwhile
        incident,
        incident_data(visibility="public", public_location="exact", description="Corregido por el revisor"),
        users["reviewer"],
        incident.version,
    )
    revisions.approve(stored(incident.ref), users["reviewer"])
    now = stored(incident.ref)
    assert (now.title, now.description) == (PROPOSED, "Corregido por el revisor")

    revisions.propose(
        now, incident_data(visibility="public", public_location="exact", title="Otro"), users["monitor"], now.version
    )
    update_incident(
        now,
        incident_data(visibility="public", public_location="exact", title="Del revisor"),
        users["reviewer"],
        now.version,
    )
    with pytest.raises(ServiceError, match="in the same fields"):
        revisions.approve(stored(incident.ref), users["reviewer"])
    assert stored(incident.ref).title == "Del revisor"


def test_only_another_reviewer_may_decide(app, users):
    incident = public_published(users)
    revisions.propose(incident, incident_data(title=PROPOSED), users["admin"], incident.version)
    for who in ("admin", "monitor", "author", "viewer"):  # its author, and those who do not review
        with pytest.raises(PermissionDenied):
            revisions.approve(stored(incident.ref), users[who])
    assert revisions.may_decide(stored(incident.ref), users["reviewer"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IncidentRevision)) == 1


def test_reports_count_the_approved_content(app, users):
    from datetime import date

    from tracker.counts.service import build_report
    from tracker.filters import IncidentFilter

    incident = record(users, status="verified")
    revisions.propose(
        incident, incident_data(violations=["threat", "killing"], killed=1), users["monitor"], incident.version
    )
    report = build_report(date(2024, 1, 1), date(2024, 12, 31), IncidentFilter(), users["author"])
    protection = next(s for s in report.sections if s.key == "protection")
    assert protection.totals["killed"] == 0 and protection.totals["incidents"] == 1
