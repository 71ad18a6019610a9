"""Whatever stops a save of the incident form, nothing the monitor typed is lost: the form comes
back with their words when the app can say what is wrong (invalid values, someone else's edit,
a refusal of the service), and when the database fails the error page leaves the browser's
copy of the form (static/js/form-keeper.js, tests/browser/) in place, with nothing stored."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from tests.factories import form_fields, incident_data
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.incidents.service import create_incident, update_incident
from tracker.models import Incident

TYPED = {
    "title": "Radio comunitaria clausurada en Juliaca",
    "description": "La policía selló la emisora tras un reportaje sobre la mina.",
}


def kept(page: str) -> bool:
    return f'value="{TYPED["title"]}"' in page and TYPED["description"] in page


def stored_titles() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Incident.title)))


@pytest.fixture(params=["new", "edit"])
def form_url(request, users, auth):
    """The address of the form a monitor saves (a new incident, or an edit of their own), and
    the hidden fields it carries."""
    auth.login("monitor")
    if request.param == "new":
        return "/incidents/new", {}
    incident = create_incident(incident_data(), users["monitor"])
    return f"/incidents/{incident.ref}/edit", {"version": str(incident.version)}


def test_invalid_values_come_back_with_what_was_typed(client, form_url):
    url, hidden = form_url
    response = client.post(url, data=form_fields(incident_data(**TYPED), latitude="123", **hidden))
    assert response.status_code == 400 and "Latitude must be between -90 and 90." in response.text
    assert kept(response.text)
    assert TYPED["title"] not in stored_titles()


def test_someone_elses_edit_comes_back_with_what_was_typed(client, auth, users):
    incident = create_incident(incident_data(), users["monitor"])
    opened_at = incident.version
    update_incident(incident, incident_data(title="Cambio del revisor"), users["reviewer"], opened_at)
    auth.login("monitor")
    response = client.post(
        f"/incidents/{incident.ref}/edit", data=form_fields(incident_data(**TYPED), version=opened_at)
    )
    assert response.status_code == 409 and kept(response.text)
    assert stored_titles() == ["Cambio del revisor"]


def test_a_refusal_of_the_service_comes_back_with_the_reason_and_what_was_typed(client, form_url, monkeypatch):
    def refused(*args, **kwargs):
        raise ServiceError("The regions are being replaced; save again in a minute.")

    monkeypatch.setattr("tracker.incidents.service.placed_names", refused)
    url, hidden = form_url
    response = client.post(url, data=form_fields(incident_data(**TYPED), **hidden))
    assert response.status_code == 400 and "The regions are being replaced; save again in a minute." in response.text
    assert kept(response.text)
    assert TYPED["title"] not in stored_titles()


def unreachable(*args, **kwargs):
    raise sa.exc.OperationalError("INSERT INTO incidents", {}, ConnectionRefusedError())


def test_a_database_outage_during_a_save_leaves_the_browsers_copy(client, form_url, monkeypatch):
    monkeypatch.setattr("tracker.incidents.service.placed_names", unreachable)
    url, hidden = form_url
    response = client.post(url, data=form_fields(incident_data(**TYPED), **hidden))
    assert response.status_code == 503 and "Go back, keep what you typed" in response.text
    assert "data-clear-kept" not in response.text  # the form keeper's copy stays
    assert TYPED["title"] not in stored_titles()


def test_a_database_error_during_a_save_leaves_the_browsers_copy_and_logs_no_values(
    client, auth, users, monkeypatch, caplog
):
    taken = create_incident(incident_data(), users["monitor"]).ref
    auth.login("monitor")
    monkeypatch.setattr("tracker.incidents.service.allocate_refs", lambda prefix, years: [taken])
    with caplog.at_level(logging.INFO):
        response = client.post("/incidents/new", data=form_fields(incident_data(**TYPED)))
    assert response.status_code == 500 and "Nothing you typed was saved" in response.text
    assert "data-clear-kept" not in response.text
    assert TYPED["title"] not in stored_titles()
    assert "Request failed: POST /incidents/new (IntegrityError" in caplog.text
    assert TYPED["title"] not in caplog.text and "Juliaca" not in caplog.text
