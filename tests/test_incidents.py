"""Recording, editing and reviewing incidents through the web pages and the service."""

import pytest
import sqlalchemy as sa

from tests.factories import form_fields, incident_data, submit_incident
from tracker.errors import InvalidTransition, PermissionDenied
from tracker.extensions import db
from tracker.incidents.data import VictimData
from tracker.incidents.service import EditConflict, change_status, create_incident, update_incident
from tracker.models import AuditEntry, Incident


def stored(ref: str) -> Incident:
    db.session.expire_all()
    return db.session.scalar(sa.select(Incident).where(Incident.ref == ref))


def test_monitor_records_incident_with_two_victims_and_sources(client, auth):
    auth.login("monitor")
    data = incident_data(
        victims=[
            VictimData(group="journalist", gender="female", name="Ana Ficticia"),
            VictimData(group="family_member", count=2),
        ]
    )
    response = client.post("/incidents/new", data=form_fields(data, submit="1"))
    assert response.status_code == 302
    incident = db.session.scalar(sa.select(Incident))
    assert incident.ref == "PE-2024-00001"
    assert incident.status == "submitted"
    assert [v.group for v in incident.victims] == ["journalist", "family_member"]
    assert incident.victims[1].count == 2
    assert len(incident.sources) == 2
    assert incident.violation_codes == ["threat"]
    assert incident.perpetrators[0].type == "illegal_mining"


def test_saving_a_draft_needs_only_title_and_date(client, auth):
    auth.login("monitor")
    response = client.post(
        "/incidents/new",
        data={"title": "Borrador", "date": "2024-02-01", "country": "PE", "date_precision": "month", "save": "1"},
    )
    assert response.status_code == 302
    incident = db.session.scalar(sa.select(Incident))
    assert incident.status == "draft"
    assert incident.date_precision == "month"


def test_submitting_an_incomplete_incident_says_what_is_missing(client, auth):
    auth.login("monitor")
    response = client.post(
        "/incidents/new",
        data={"title": "Sin datos", "date": "2024-02-01", "country": "PE", "submit": "1"},
        follow_redirects=True,
    )
    assert "It was not submitted" in response.text and "at least one violation" in response.text
    assert 'value="Sin datos"' in response.text  # back on the edit form
    assert db.session.scalar(sa.select(Incident.status)) == "draft"


def test_invalid_form_keeps_input_and_shows_errors_by_field(client, auth):
    auth.login("monitor")
    fields = form_fields(incident_data(), latitude="123", **{"victims-0-count": "0"})
    response = client.post("/incidents/new", data=fields)
    assert response.status_code == 400
    page = response.text
    assert "Latitude must be between -90 and 90." in page
    assert "Enter a number of at least 1." in page
    assert 'value="Amenazas a dirigente ficticia"' in page
    assert 'value="Rosa Ficticia"' in page
    assert 'value="threat" checked' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_swapped_coordinates_are_explained(client, auth):
    auth.login("monitor")
    response = client.post("/incidents/new", data=form_fields(incident_data(latitude=-69.19, longitude=-12.59)))
    assert "look swapped" in response.text


def test_row_with_data_but_no_group_is_an_error(client, auth):
    auth.login("monitor")
    fields = form_fields(incident_data(), **{"victims-0-group": "", "victims-0-name": "Alguien"})
    response = client.post("/incidents/new", data=fields)
    assert response.status_code == 400
    assert "Choose one." in response.text


def test_monitor_cannot_publish(app, users):
    incident = submit_incident(incident_data(), users["monitor"])
    with pytest.raises(InvalidTransition):
        change_status(incident, "verified", users["monitor"], "looks fine")


def test_reviewer_verifies_and_publishes_with_comments(client, auth, users):
    incident = submit_incident(incident_data(), users["monitor"])
    auth.login("reviewer")
    client.post(
        f"/incidents/{incident.ref}/status",
        data={"to_status": "verified", "comment": "Two sources agree.", "version": incident.version},
    )
    incident = stored(incident.ref)
    assert incident.status == "verified"
    client.post(f"/incidents/{incident.ref}/status", data={"to_status": "published", "version": incident.version})
    incident = stored(incident.ref)
    assert incident.status == "published"
    assert [(c.from_status, c.to_status) for c in incident.status_changes] == [
        ("draft", "submitted"),
        ("submitted", "verified"),
        ("verified", "published"),
    ]
    assert incident.status_changes[1].comment == "Two sources agree."
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action == "status_changed")).all()
    assert len(actions) == 3


def test_rejecting_needs_a_comment(app, users):
    incident = submit_incident(incident_data(), users["monitor"])
    with pytest.raises(InvalidTransition, match="say why"):
        change_status(incident, "rejected", users["reviewer"], "")
    change_status(incident, "rejected", users["reviewer"], "Duplicate of another record.")
    assert incident.status == "rejected"


def test_monitor_edits_own_incidents_and_once_verified_only_through_review(app, users, client, auth):
    own = create_incident(incident_data(), users["monitor"])
    other_monitor = _second_monitor()
    others = create_incident(incident_data(title="De otra persona"), other_monitor)
    auth.login("monitor")
    assert client.get(f"/incidents/{own.ref}/edit").status_code == 200
    assert client.get(f"/incidents/{others.ref}").status_code == 404  # others' drafts are invisible
    change_status(own, "submitted", users["monitor"])
    change_status(own, "verified", users["reviewer"], "ok")
    assert client.get(f"/incidents/{own.ref}/edit").status_code == 200  # a proposal (tests/test_revisions.py)
    with pytest.raises(PermissionDenied):  # never stored directly
        update_incident(own, incident_data(title="Directo"), users["monitor"], own.version)
    change_status(own, "rejected", users["reviewer"], "no")
    assert client.get(f"/incidents/{own.ref}/edit").status_code == 403


def _second_monitor():
    from tracker.auth.service import create_user

    return create_user("monitor2@example.org", "monitor", "another-password")


def test_every_change_is_kept_as_a_version(client, auth, users):
    incident = create_incident(incident_data(), users["monitor"])
    auth.login("monitor")
    edited = form_fields(incident_data(title="Título corregido", killed=1), version=str(incident.version))
    assert client.post(f"/incidents/{incident.ref}/edit", data=edited).status_code == 302
    incident = stored(incident.ref)
    assert incident.title == "Título corregido"
    assert [v.version for v in incident.versions] == [1, 2]
    assert incident.versions[1].changes["title"] == ["Amenazas a dirigente ficticia", "Título corregido"]
    assert incident.versions[1].changes["killed"] == [0, 1]
    page = client.get(f"/incidents/{incident.ref}/history").text
    assert "Título corregido" in page and "Monitor" in page


def test_saving_without_changes_adds_no_version(client, auth, users):
    incident = create_incident(incident_data(), users["monitor"])
    update_incident(incident, incident_data(), users["monitor"], incident.version)
    assert stored(incident.ref).version == 1


def test_second_concurrent_save_is_refused_with_what_changed(client, auth, users):
    incident = submit_incident(incident_data(), users["monitor"])
    opened_at = incident.version
    update_incident(incident, incident_data(title="Cambio del revisor"), users["reviewer"], opened_at)
    auth.login("monitor")
    mine = form_fields(incident_data(title="Cambio de la monitora"), version=str(opened_at))
    response = client.post(f"/incidents/{incident.ref}/edit", data=mine)
    assert response.status_code == 409
    assert "changed this incident while you were editing" in response.text
    assert "Cambio del revisor" in response.text  # what the other person saved
    assert 'value="Cambio de la monitora"' in response.text  # the user's input is kept
    assert stored(incident.ref).title == "Cambio del revisor"


def test_conflict_detected_by_service_names_the_version_it_started_from(app, users):
    incident = create_incident(incident_data(), users["monitor"])
    base = incident.version
    update_incident(incident, incident_data(killed=3), users["reviewer"], base)
    with pytest.raises(EditConflict) as caught:
        update_incident(incident, incident_data(title="x"), users["monitor"], base)
    assert (caught.value.base_version, caught.value.incident.version) == (base, base + 1)
    assert stored(incident.ref).title != "x"


def test_refs_are_sequential_per_year(app, users):
    from datetime import date

    a = create_incident(incident_data(), users["monitor"])
    b = create_incident(incident_data(), users["monitor"])
    c = create_incident(incident_data(date=date(2023, 1, 2)), users["monitor"])
    assert (a.ref, b.ref, c.ref) == ("PE-2024-00001", "PE-2024-00002", "PE-2023-00001")


def test_empty_counts_stay_unknown(app, users):
    incident = create_incident(incident_data(killed=None, injured=None), users["monitor"])
    assert stored(incident.ref).killed is None


def test_rows_added_in_the_browser_are_numbered_like_the_first(app):
    from tracker.incidents.forms import row_templates

    with app.test_request_context():
        templates = row_templates()
    assert templates["victims"].group.name == "victims-__index__-group"
    assert templates["sources"].url.name == "sources-__index__-url"


def test_status_buttons_post_the_chosen_status(client, auth, users):
    incident = submit_incident(incident_data(), users["monitor"])
    auth.login("reviewer")
    page = client.get(f"/incidents/{incident.ref}").text
    assert 'name="to_status" value=""' not in page
    assert 'data-status="verified"' in page
