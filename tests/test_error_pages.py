"""Error pages that cannot fail: a failed save gives the app's own page with the form's words
kept in the browser (tracker/error_pages.py), and an unreachable database gives a 503 that
asks the client to come back, on the pages and in the API, without a trace of what was sent."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from tests.factories import form_fields, incident_data
from tracker.auth.tokens import issue_token
from tracker.extensions import db
from tracker.incidents.service import create_incident
from tracker.models import Event, Incident


def unreachable(*args, **kwargs):
    raise sa.exc.OperationalError("SELECT users.id", {"name": "Rosa Ficticia"}, ConnectionRefusedError())


def test_a_failed_save_gets_the_apps_error_page_with_the_user_still_signed_in(client, auth, users, monkeypatch):
    taken = create_incident(incident_data(), users["monitor"]).ref
    client.application.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page answers
    auth.login("monitor")
    monkeypatch.setattr("tracker.incidents.service.allocate_refs", lambda prefix, years: [taken])
    response = client.post("/incidents/new", data=form_fields(incident_data(title="Second"), submit="1"))
    assert response.status_code == 500
    assert "Something went wrong on our side. Nothing you typed was saved" in response.text
    assert "Monitor" in response.text  # the header still knows who is signed in
    assert db.session.scalar(sa.select(sa.func.count(Incident.id))) == 1  # nothing half-stored


def test_an_unreachable_database_gives_a_503_page_in_the_users_language(client, auth, users, monkeypatch, caplog):
    auth.login("monitor")
    client.post("/language", data={"lang": "es", "next": "/"})
    monkeypatch.setattr("tracker.incidents.views.count_incidents", unreachable)
    with caplog.at_level(logging.INFO):
        response = client.get("/incidents/?q=Rosa")
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert "No se puede acceder a la base de datos" in response.text
    assert "Rosa" not in caplog.text and "Database unreachable: GET /incidents/" in caplog.text


def test_the_api_says_503_in_json_when_the_database_is_unreachable(client, users, monkeypatch, caplog):
    token = issue_token(users["viewer"], "dashboard").plaintext
    monkeypatch.setattr("tracker.api.views.incident_page", unreachable)
    with caplog.at_level(logging.INFO):
        response = client.get("/api/v1/incidents?q=Rosa", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert response.json["error"] == "service_unavailable"
    assert "Rosa" not in caplog.text and "Database unreachable: GET /api/v1/incidents" in caplog.text


def stored_event() -> None:
    db.session.add(Event(name="Ola ficticia"))
    db.session.flush()


@pytest.mark.parametrize(("failure", "status"), [(stored_event, 500), (unreachable, 503)])
def test_a_failed_api_request_leaves_nothing_half_stored(client, users, monkeypatch, failure, status):
    token = {"Authorization": f"Bearer {issue_token(users['viewer'], 'dashboard').plaintext}"}

    def stores_then_fails(*args, **kwargs):
        stored_event()
        failure()  # a second event of the same name breaks the transaction; or the line goes down

    monkeypatch.setattr("tracker.api.views.incident_page", stores_then_fails)
    response = client.get("/api/v1/incidents", headers=token)
    assert response.status_code == status and response.json["message"]
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0  # the session was rolled back
    monkeypatch.undo()
    assert client.get("/api/v1/incidents", headers=token).status_code == 200
