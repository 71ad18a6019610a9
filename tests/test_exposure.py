"""The form warns before an incident shown beyond staff gets a title or description that
names a victim, an organisation or a restricted place typed in the same form
(tracker/incidents/exposure.py; the browser's live warning: tests/browser/test_merge_and_warning.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import form_fields, incident_data
from tracker.extensions import db
from tracker.incidents.data import VictimData
from tracker.incidents.exposure import exposed
from tracker.models import Incident

VICTIM = VictimData(group="journalist", name="Rosa Yupanqui", organisation="Radio Sachawasi")


def named(**overrides):
    values = dict(visibility="partners", victims=[VICTIM], place="Caserío Chontabamba")
    return incident_data(**(values | overrides))


@pytest.mark.parametrize(
    ("title", "description", "found"),
    [
        ("Amenazas a YUPANQUI", "", ["Rosa Yupanqui"]),  # a word of the name, any case
        ("Amenazas a periodista", "Cerraron radio sachawasi", ["Radio Sachawasi"]),  # the organisation
        ("Ataque en caserio Chontabamba", "", ["Caserío Chontabamba"]),  # the place, without accents
        ("Amenazas a periodista", "La radio fue cerrada", []),  # "radio" alone is not the organisation
        ("Amenazas a Ro", "", []),  # shorter than four letters: too common to mean the name
    ],
)
def test_what_counts_as_naming(title, description, found):
    assert exposed(named(title=title, description=description)) == found


def test_only_incidents_shown_beyond_staff_and_only_restricted_places():
    title = "Amenazas a Yupanqui en Chontabamba caserío"
    assert exposed(named(title=title, visibility="internal")) == []
    assert exposed(named(title=title, visibility="public", public_location="exact")) == ["Rosa Yupanqui"]
    assert exposed(named(title="Ataque en Caserío Chontabamba", visibility="public", public_location="admin1")) == [
        "Caserío Chontabamba"
    ]


def titles() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Incident.title)))


def test_saving_asks_for_a_confirmation_and_stores_nothing_until_then(client, auth, users):
    auth.login("monitor")
    form = form_fields(named(title="Amenazas a Rosa Yupanqui"))
    warned = client.post("/incidents/new", data=form)
    assert warned.status_code == 400 and 'id="exposure-confirm"' in warned.text
    assert "Rosa Yupanqui" in warned.text[warned.text.index('id="exposure-confirm"') :][:600]
    assert 'value="Amenazas a Rosa Yupanqui"' in warned.text  # what was typed is kept
    assert titles() == []
    assert client.post("/incidents/new", data={**form, "exposure_ok": "1"}).status_code == 302
    assert titles() == ["Amenazas a Rosa Yupanqui"]


def test_an_internal_incident_saves_without_asking(client, auth, users):
    auth.login("monitor")
    form = form_fields(named(title="Amenazas a Rosa Yupanqui", visibility="internal"))
    assert client.post("/incidents/new", data=form).status_code == 302
