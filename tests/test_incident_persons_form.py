"""The incident form and page for persons at risk and protection requests (issue 18): a victim
row links to a record of the register by its key, a new key adds a record, a person's row
counts one; the requests for protection are a repeating block whose dates must make sense;
both are restricted, carried through edits, merges, held drafts and proposals, and told in
words in the history."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import form_fields, incident_data, record
from tests.support import PASSWORD
from tracker.auth.service import create_user
from tracker.extensions import db
from tracker.incidents import held
from tracker.incidents.data import RequestData, VictimData
from tracker.incidents.forms import IncidentForm, initial_data
from tracker.incidents.service import create_incident, snapshot, update_incident
from tracker.incidents.service import incident_data as stored_data
from tracker.models import Incident, Person, ProtectionRequest
from tracker.persons.service import PersonData, create_person, merge
from tracker.security import incident_access

GRANTED = RequestData(
    filed_on=date(2024, 5, 12),
    authority="mechanism",
    reference="EXP-2024-0917",
    decision="granted",
    decided_on=date(2024, 6, 3),
    measures=["police_patrols", "escort"],
    measures_end=date(2024, 12, 3),
    notes="Rondas dos veces por semana",
)


def stored(ref: str) -> Incident:
    db.session.expire_all()
    return db.session.scalar(sa.select(Incident).where(Incident.ref == ref))


def only_incident() -> Incident:
    db.session.expire_all()
    return db.session.scalar(sa.select(Incident))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def request_fields(*requests: RequestData) -> dict:
    """The form's fields for protection requests (tests.factories.form_fields leaves them out)."""
    fields: dict = {}
    for i, r in enumerate(requests):
        for name, value in vars(r).items():
            if name == "measures":
                fields[f"requests-{i}-measures"] = list(value)
            elif isinstance(value, date):
                fields[f"requests-{i}-{name}"] = value.isoformat()
            else:
                fields[f"requests-{i}-{name}"] = "" if value is None else str(value)
    return fields


def posted(data, *requests: RequestData, **extra) -> dict:
    return {**form_fields(data, exposure_ok="1"), **request_fields(*requests), **extra}


def a_person(user, key="DEF-0042", name="Rosa Ficticia", kind="person") -> Person:
    person = create_person(PersonData(key=key, name=name, kind=kind), user)
    db.session.commit()
    return person


# --- keys ----------------------------------------------------------------------------------------


def test_a_new_key_creates_the_person_and_links_the_row(client, auth, users):
    auth.login("monitor")
    data = incident_data(victims=[VictimData(group="environmental_defender", name="Rosa Ficticia", person="def-0100")])
    assert client.post("/incidents/new", data=posted(data)).status_code == 302
    (victim,) = only_incident().victims
    assert victim.person.key == "DEF-0100"  # typed in lower case, stored as keys are
    assert victim.person.name == "Rosa Ficticia" and victim.person.created_by_id == users["monitor"].id
    assert victim.count == 1


def test_an_existing_key_links_and_a_persons_row_counts_one(client, auth, users):
    person = a_person(users["reviewer"])
    auth.login("monitor")
    three = incident_data(victims=[VictimData(group="environmental_defender", count=3, person="DEF-0042")])
    answer = client.post("/incidents/new", data=posted(three))
    assert answer.status_code == 400
    assert "A row linked to one person counts one person." in answer.text
    assert count(Incident) == 0

    one = incident_data(victims=[VictimData(group="environmental_defender", count=1, person="DEF-0042")])
    assert client.post("/incidents/new", data=posted(one)).status_code == 302
    (victim,) = only_incident().victims
    assert victim.person_id == person.id and count(Person) == 1  # linked, not created again


def test_an_organisation_keeps_its_count_and_a_new_persons_key_counts_one(client, auth, users):
    a_person(users["reviewer"], key="ORG-0007", name="Comunidad Nativa Ficticia", kind="organisation")
    auth.login("monitor")
    data = incident_data(victims=[VictimData(group="community", count=120, person="ORG-0007")])
    assert client.post("/incidents/new", data=posted(data)).status_code == 302
    assert only_incident().victims[0].count == 120

    new_person = incident_data(victims=[VictimData(group="journalist", count=2, person="DEF-0200")])
    answer = client.post("/incidents/new", data=posted(new_person))
    assert answer.status_code == 400 and "A row linked to one person counts one person." in answer.text


def test_a_merged_key_links_to_the_record_it_was_merged_into(client, auth, users):
    absorbed = a_person(users["reviewer"], key="DEF-0001", name="Rosa F.")
    kept = a_person(users["reviewer"], key="DEF-0002", name="Rosa Ficticia")
    merge(absorbed, kept, users["reviewer"])
    auth.login("reviewer")
    data = incident_data(victims=[VictimData(group="environmental_defender", person="DEF-0001")])
    assert client.post("/incidents/new", data=posted(data)).status_code == 302
    incident = only_incident()
    assert incident.victims[0].person_id == kept.id
    page = client.get(f"/incidents/{incident.ref}").text
    assert "DEF-0002" in page and "DEF-0001" not in page


PROBLEMS = [
    ({"victims-0-person": "DEF 42"}, "is not a person's key: use up to 40 letters"),
    ({"victims-0-person": "X" * 41}, "is not a person's key"),
    (
        request_fields(RequestData(filed_on=date(2024, 6, 1), decision="refused", decided_on=date(2024, 5, 1))),
        "The decision date is before the date the request was filed.",
    ),
    (
        request_fields(RequestData(filed_on=date(2024, 6, 1), decision="pending", decided_on=date(2024, 6, 9))),
        "A pending request has no decision date: choose the decision, or clear the date.",
    ),
    (
        request_fields(RequestData(filed_on=date(2024, 6, 1), decision="refused", measures=["escort"])),
        "Measures are recorded only for a granted request.",
    ),
    (
        request_fields(RequestData(filed_on=date(2024, 6, 1), decision="pending", measures_end=date(2024, 9, 1))),
        "An end date for measures goes only with a granted request.",
    ),
    (
        request_fields(
            RequestData(
                filed_on=date(2024, 6, 1),
                decision="granted",
                decided_on=date(2024, 6, 9),
                measures_end=date(2024, 6, 2),
            )
        ),
        "The measures end before the decision date.",
    ),
    (
        request_fields(RequestData(filed_on=date.today() + timedelta(days=2))),
        "This date is in the future.",
    ),
    (
        {"requests-0-reference": "EXP-1", "requests-0-decision": "pending", "requests-0-authority": "mechanism"},
        "Enter the date the request was filed.",
    ),
]


@pytest.mark.parametrize(("fields", "message"), PROBLEMS)
def test_a_bad_key_or_request_is_refused_in_words_and_nothing_is_stored(client, auth, fields, message):
    auth.login("monitor")
    answer = client.post("/incidents/new", data=posted(incident_data(), **fields))
    assert answer.status_code == 400
    assert message in html.unescape(answer.text)
    assert 'id="form-errors"' in answer.text
    assert count(Incident) == 0 and count(Person) == 0 and count(ProtectionRequest) == 0


def test_measures_may_end_in_the_future(client, auth):
    auth.login("monitor")
    later = RequestData(
        filed_on=date(2024, 5, 1),
        decision="granted",
        decided_on=date(2024, 5, 20),
        measures=["relocation"],
        measures_end=date.today() + timedelta(days=200),
    )
    assert client.post("/incidents/new", data=posted(incident_data(), later)).status_code == 302
    (stored_request,) = only_incident().requests
    assert stored_request.measures == "relocation" and stored_request.measures_end > date.today()


# --- requests through the form -------------------------------------------------------------------


def test_requests_and_keys_are_stored_and_fill_the_edit_form_again(client, auth, users):
    auth.login("monitor")
    data = incident_data(victims=[VictimData(group="environmental_defender", name="Rosa Ficticia", person="DEF-0042")])
    pending = RequestData(filed_on=date(2024, 7, 1), authority="prosecutor")
    assert client.post("/incidents/new", data=posted(data, GRANTED, pending)).status_code == 302
    incident = only_incident()
    assert [(r.authority, r.decision, r.decided_on, r.measures) for r in incident.requests] == [
        ("mechanism", "granted", date(2024, 6, 3), "police_patrols;escort"),
        ("prosecutor", "pending", None, ""),
    ]
    assert incident.requests[0].reference == "EXP-2024-0917"

    form = client.get(f"/incidents/{incident.ref}/edit").text
    assert re.search(r'id="victims-0-person"[^>]*value="DEF-0042"', form)
    assert re.search(r'id="requests-0-filed_on"[^>]*value="2024-05-12"', form)
    assert re.search(r'value="escort"[^>]*checked|checked[^>]*value="escort"', form)
    assert 'value="Rondas dos veces por semana"' in form or "Rondas dos veces por semana</textarea>" in form

    # saving the form as it was opened changes nothing
    version = incident.version
    same = posted(stored_data(incident), *stored_data(incident).requests, version=str(version))
    assert client.post(f"/incidents/{incident.ref}/edit", data=same).status_code == 302
    assert stored(incident.ref).version == version


def test_the_form_reads_back_what_a_snapshot_holds(app, users):
    data = incident_data(
        victims=[VictimData(group="environmental_defender", name="Rosa Ficticia", person="DEF-0042")],
        requests=[GRANTED],
    )
    incident = create_incident(data, users["monitor"])
    with app.test_request_context():
        form = IncidentForm(formdata=None, data=initial_data(snapshot(incident)), meta={"csrf": False})
        assert form.to_data() == stored_data(incident)


def test_a_row_left_blank_is_not_a_request(client, auth):
    auth.login("monitor")
    blank = {"requests-0-authority": "mechanism", "requests-0-decision": "pending", "requests-0-filed_on": ""}
    assert client.post("/incidents/new", data=posted(incident_data(), **blank)).status_code == 302
    assert only_incident().requests == []


def test_a_held_draft_opens_with_its_request(client, auth, users):
    fields = posted(
        incident_data(),
        RequestData(filed_on=date(2024, 6, 1), decision="pending", decided_on=date(2024, 6, 9)),
    )
    pairs = [[name, v] for name, value in fields.items() for v in (value if isinstance(value, list) else [value])]
    draft = held.hold(users["monitor"], "6a1f0c2e-8d4b-4c3e-9f0a-1b2c3d4e5f61", pairs, [])
    db.session.commit()
    auth.login("monitor")
    page = client.get(f"/incidents/new?held={draft.id}").text
    assert re.search(r'id="requests-0-decided_on"[^>]*value="2024-06-09"', page)
    assert "A pending request has no decision date" in page


def test_an_edit_conflict_keeps_the_request_the_other_side_added(client, auth, users):
    incident = create_incident(incident_data(), users["monitor"])
    opened = incident.version
    update_incident(incident, incident_data(requests=[GRANTED]), users["reviewer"], opened)
    auth.login("monitor")
    mine = posted(incident_data(title="Amenazas y seguimiento a dirigente ficticia"), version=str(opened))
    assert client.post(f"/incidents/{incident.ref}/edit", data=mine).status_code == 302
    now = stored(incident.ref)
    assert now.title == "Amenazas y seguimiento a dirigente ficticia"
    assert [r.reference for r in now.requests] == ["EXP-2024-0917"]


def test_a_monitors_proposal_with_a_request_and_a_new_key_shows_once_approved(client, auth, users):
    incident = record(users, status="verified", visibility="public")
    auth.login("monitor")
    data = incident_data(
        visibility="public",
        victims=[VictimData(group="environmental_defender", name="Rosa Ficticia", person="DEF-0300")],
    )
    answer = client.post(
        f"/incidents/{incident.ref}/edit", data=posted(data, GRANTED, version=str(stored(incident.ref).version))
    )
    assert answer.status_code == 302
    waiting = stored(incident.ref)
    assert waiting.requests == [] and waiting.victims[0].person is None and waiting.pending_revision is not None
    assert count(Person) == 0  # the record comes with the approved change

    auth.login("reviewer")
    client.post(f"/incidents/{incident.ref}/revision/approve")
    now = stored(incident.ref)
    assert [r.reference for r in now.requests] == ["EXP-2024-0917"]
    assert now.victims[0].person.key == "DEF-0300"
    assert now.victims[0].person.created_by_id == users["monitor"].id
    page = client.get(f"/incidents/{incident.ref}").text
    assert 'id="requests"' in page and "EXP-2024-0917" in page and "DEF-0300" in page


# --- who sees them on the page -------------------------------------------------------------------

SECRETS = ("DEF-0042", "EXP-2024-0917", "Rondas dos veces por semana", "Protection requests", "Police patrols")


@pytest.fixture
def linked_incident(users):
    """Verified, public and published, so every signed-in role may open it."""
    return record(
        users,
        status="published",
        visibility="public",
        victims=[VictimData(group="environmental_defender", name="Rosa Ficticia", person="DEF-0042")],
        requests=[GRANTED],
    )


@pytest.mark.parametrize("role", ["admin", "reviewer", "monitor"])
def test_staff_and_the_recording_monitor_see_keys_and_requests(client, auth, linked_incident, role):
    auth.login(role)
    page = client.get(f"/incidents/{linked_incident.ref}").text
    for secret in SECRETS:
        assert secret in page
    person = linked_incident.victims[0].person
    assert f'href="/persons/{person.id}"' in page  # the monitor recorded the person: all three may open it
    assert "Intersectoral Mechanism (MINJUSDH)" in page and "Granted" in page


@pytest.mark.parametrize("role", ["other monitor", "author", "viewer", "anonymous"])
def test_no_one_else_sees_keys_or_requests(client, auth, users, linked_incident, role):
    if role == "other monitor":
        create_user("monitor2@example.org", "monitor", PASSWORD, name="Monitor Two")
        auth.login("monitor2@example.org")
    elif role != "anonymous":
        auth.login(role)
    answer = client.get(f"/incidents/{linked_incident.ref}")
    if role == "anonymous":
        assert answer.status_code == 302  # sent to log in
    else:
        assert answer.status_code == 200 and linked_incident.title in answer.text
    person = linked_incident.victims[0].person
    for secret in (*SECRETS, f'href="/persons/{person.id}"', 'id="requests"', "Measures granted"):
        assert secret not in answer.text


def test_a_key_the_reader_may_not_open_is_shown_without_a_link(client, auth, users):
    create_user("monitor2@example.org", "monitor", PASSWORD, name="Monitor Two")
    auth.login("monitor2@example.org")
    client.post("/incidents/new", data=posted(incident_data(victims=[VictimData(group="hrd", person="DEF-0500")])))
    auth.login("monitor")  # the first monitor names the other's record in an incident of their own
    data = incident_data(victims=[VictimData(group="hrd", person="DEF-0500")])
    assert client.post("/incidents/new", data=posted(data)).status_code == 302
    mine = db.session.scalars(sa.select(Incident).order_by(Incident.id)).all()[-1]
    assert incident_access(users["monitor"], mine).identities
    page = client.get(f"/incidents/{mine.ref}").text
    assert "DEF-0500" in page and f'href="/persons/{mine.victims[0].person_id}"' not in page


# --- the history -----------------------------------------------------------------------------------


def test_the_history_tells_a_request_and_a_key_in_words(client, auth, users):
    incident = create_incident(incident_data(), users["monitor"])
    changed = incident_data(
        victims=[VictimData(group="environmental_defender", name="Rosa Ficticia", person="DEF-0042")],
        requests=[GRANTED],
    )
    update_incident(incident, changed, users["reviewer"], incident.version)
    auth.login("reviewer")
    page = client.get(f"/incidents/{incident.ref}/history").text
    page = page[page.index('id="history"') :]
    row = re.search(r'<tr data-field="requests">(.*?)</tr>', page, re.S).group(1)
    for words in (
        "Protection requests",
        "Intersectoral Mechanism (MINJUSDH)",
        "filed on May 12, 2024",
        "reference EXP-2024-0917",
        "Granted on Jun 3, 2024",
        "measures: Police patrols, Personal escort",
        "measures end on Dec 3, 2024",
    ):
        assert words in row
    victims = re.search(r'<tr data-field="victims">(.*?)</tr>', page, re.S).group(1)
    assert "key DEF-0042" in victims
    cells = " ".join(re.findall(r"<td>(.*?)</td>", page, re.S))
    for code in ("police_patrols", "granted", "mechanism", "'filed_on'", "[{"):
        assert code not in cells
