"""Where people read an incident's changes, they read words in their language: the history,
the merge table and the changes waiting for review show labels, not codes or Python lists
(tracker/incidents/changes.py); the form's error summary links to each field."""

from __future__ import annotations

import re

import pytest

from tests.factories import form_fields, incident_data
from tracker.incidents.data import PerpetratorData, VictimData
from tracker.incidents.service import create_incident, update_incident

CODES = ("arbitrary_detention", "environmental_defender", "illegal_mining", "likely", "confirmed", "'group'", "[{")


def history_rows(page: str) -> str:
    return page[page.index('id="history"') :]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Confidence", "Likely", "Confirmed", "Arbitrary detention", "Police", "Journalist, 2 people")),
        (
            "es",
            ("Grado de certeza", "Probable", "Confirmado", "Detención arbitraria", "Policía", "Periodista, 2 personas"),
        ),
    ],
)
def test_the_history_says_each_change_in_words(client, auth, users, language, words):
    incident = create_incident(incident_data(), users["monitor"])
    changed = incident_data(
        confidence="confirmed",
        violations=["threat", "arbitrary_detention"],
        victims=[VictimData(group="journalist", count=2)],
        perpetrators=[PerpetratorData(type="police")],
    )
    update_incident(incident, changed, users["reviewer"], incident.version)
    auth.login("reviewer")
    client.post("/language", data={"lang": language, "next": "/"})
    page = history_rows(client.get(f"/incidents/{incident.ref}/history").text)
    for word in words:
        assert word in page
    cells = " ".join(re.findall(r"<td>(.*?)</td>", page, re.S))
    for code in CODES:
        assert code not in cells


def test_the_error_summary_links_to_each_field(client, auth, users):
    auth.login("monitor")
    broken = form_fields(incident_data(), latitude="123", **{"victims-0-count": "0"})
    page = client.post("/incidents/new", data=broken).text
    summary = page[page.index('id="form-errors"') :]
    summary = summary[: summary.index("</section>")]
    assert '<a href="#latitude">Latitude: Latitude must be between -90 and 90.</a>' in summary
    assert '<a href="#victims-0-count">Victims 1: How many people: Enter a number of at least 1.</a>' in summary
    assert 'id="latitude"' in page and 'id="victims-0-count"' in page  # the targets exist
