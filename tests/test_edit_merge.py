"""Two people edit one incident at once (tracker/incidents/merge.py): the fields only one of
them changed are both kept; the fields both changed wait for the second saver's choice, and
nothing is saved until every one is chosen. The other person's edits are never lost silently."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import form_fields, incident_data
from tracker.extensions import db
from tracker.incidents.merge import three_way
from tracker.incidents.service import create_incident, update_incident
from tracker.models import Incident


def stored(ref: str) -> Incident:
    db.session.expire_all()
    return db.session.scalar(sa.select(Incident).where(Incident.ref == ref))


def opened_by_both(users):
    """A monitor's draft that the reviewer changes (killed 0 → 3, confidence likely → confirmed)
    while the monitor has it open at its first version."""
    incident = create_incident(incident_data(), users["monitor"])
    opened_at = incident.version
    update_incident(incident, incident_data(killed=3, confidence="confirmed"), users["reviewer"], opened_at)
    return incident, opened_at


def test_fields_only_one_side_changed_are_both_kept(client, auth, users):
    incident, opened_at = opened_by_both(users)
    auth.login("monitor")
    mine = form_fields(incident_data(title="Título de la monitora"), version=str(opened_at))
    answer = client.post(f"/incidents/{incident.ref}/edit", data=mine, follow_redirects=True)
    assert answer.status_code == 200 and "their changes were kept with yours" in answer.text
    now = stored(incident.ref)
    assert (now.title, now.killed, now.confidence) == ("Título de la monitora", 3, "confirmed")


def test_fields_both_changed_are_chosen_before_anything_is_saved(client, auth, users):
    incident, opened_at = opened_by_both(users)
    auth.login("monitor")
    mine = form_fields(incident_data(title="Título de la monitora", confidence="possible"), version=str(opened_at))
    answer = client.post(f"/incidents/{incident.ref}/edit", data=mine)
    assert answer.status_code == 409
    table = answer.text[answer.text.index('id="merge"') :]
    rows = re.findall(r'<tr data-field="([a-z_0-9]+)">', table)
    assert rows == ["confidence"]  # the only field both changed
    row = table[: table.index("</tr>", table.index('data-field="confidence"'))]
    assert "Likely" in row and "Confirmed" in row and "Possible" in row  # in words, not codes
    assert 'value="Título de la monitora"' in answer.text  # yours, kept in the form
    assert 'name="killed" type="number" value="3"' in answer.text or 'value="3"' in answer.text  # theirs, taken
    assert stored(incident.ref).title == "Amenazas a dirigente ficticia"  # nothing saved yet

    form = form_fields(incident_data(title="Título de la monitora", confidence="possible", killed=3))
    undecided = client.post(f"/incidents/{incident.ref}/edit", data={**form, "merge_from": str(opened_at)})
    assert undecided.status_code == 409 and stored(incident.ref).title == "Amenazas a dirigente ficticia"

    chosen = {**form, "merge_from": str(opened_at), "merge-confidence": "theirs"}
    assert client.post(f"/incidents/{incident.ref}/edit", data=chosen).status_code == 302
    now = stored(incident.ref)
    assert (now.title, now.killed, now.confidence) == ("Título de la monitora", 3, "confirmed")


def test_choosing_yours_keeps_your_value(client, auth, users):
    incident, opened_at = opened_by_both(users)
    auth.login("monitor")
    form = form_fields(incident_data(confidence="possible", killed=3))
    chosen = {**form, "merge_from": str(opened_at), "merge-confidence": "yours"}
    assert client.post(f"/incidents/{incident.ref}/edit", data=chosen).status_code == 302
    assert (stored(incident.ref).confidence, stored(incident.ref).killed) == ("possible", 3)


def test_a_third_save_while_choosing_is_kept_too(client, auth, users):
    incident, opened_at = opened_by_both(users)
    auth.login("monitor")
    form = form_fields(incident_data(confidence="possible", killed=3))
    update_incident(  # the reviewer saves again while the monitor chooses
        incident,
        incident_data(killed=3, confidence="confirmed", description="Nueva descripción del revisor"),
        users["reviewer"],
        stored(incident.ref).version,
    )
    chosen = {**form, "merge_from": str(opened_at), "merge-confidence": "yours"}
    assert client.post(f"/incidents/{incident.ref}/edit", data=chosen).status_code == 302
    now = stored(incident.ref)
    assert (now.description, now.confidence) == ("Nueva descripción del revisor", "possible")


def test_three_way_takes_each_side_and_flags_what_both_changed():
    base = {"title": "a", "killed": 0, "violations": ["threat"], "status": "draft"}
    theirs = {"title": "a", "killed": 3, "violations": ["threat", "harassment"], "status": "verified"}
    yours = {"title": "b", "killed": 0, "violations": ["threat", "stigmatisation"], "status": "draft"}
    merge = three_way(base, theirs, yours)
    assert merge.merged == {"title": "b", "killed": 3, "violations": ["threat", "stigmatisation"]}
    assert merge.conflicts == ("violations",)
    same = three_way(base, theirs, {**yours, "violations": ["threat", "harassment"]})
    assert same.conflicts == ()  # both made the same change
