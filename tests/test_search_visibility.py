"""Text search finds an incident only by what its reader is shown (docs/architecture.md, "Privacy"):
on every surface that takes `q`, a restricted value finds it only for those who may read it."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from tests.factories import restricted_incident
from tests.support import PASSWORD
from tracker.auth.service import create_user
from tracker.auth.tokens import issue_token
from tracker.exchange.exporter import export_rows
from tracker.filters import count_incidents, parse_filters

# a word of each field -> may a reader who sees no identities nor the exact place find it by it?
WORDS = {
    "title": ("Kallpa", True),
    "source title": ("Wayra", True),
    "victim name": ("Yupanqui", False),
    "organisation": ("Sachawasi", False),
    "perpetrator name": ("Merino", False),
    "confidential source title": ("Ollanta", False),
    "place": ("Chontabamba", False),
}
ROLES = ("viewer", "author", "other monitor", "monitor", "reviewer", "admin")
SEE_EVERYTHING = {"monitor", "reviewer", "admin"}  # staff, and the monitor who recorded it
REPORT_READERS = {"author", "reviewer", "admin"}


@pytest.fixture
def readers(users):
    return users | {"other monitor": create_user("other@example.org", "monitor", PASSWORD, name="Other")}


def _list(client, word, token):
    return 'data-total="1"' in client.get("/incidents/", query_string={"q": word}).text


def _api(client, word, token):
    response = client.get("/api/v1/incidents", query_string={"q": word}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return len(response.json["items"]) == 1


def _map(client, word, token):
    return client.get("/map/data", query_string={"q": word}).get_json()["properties"]["total"] == 1


def _csv(client, word, token):
    return "PE-2024-00001" in client.get("/incidents/export.csv", query_string={"q": word}).text


def _report(client, word, token):
    """The report's figure for the section, and the list it links to."""
    page = client.get("/reports/", query_string={"from": "2024-01-01", "to": "2024-12-31", "q": word}).text
    link = re.search(r'data-figure="protection-total-incidents"><a href="([^"]+)">(\d+)</a>', page)
    assert link, "the report links its figure to the list"
    listed = "PE-2024-00001" in client.get(link[1].replace("&amp;", "&")).text
    assert listed == (link[2] == "1")
    return listed


SURFACES = {"list": _list, "api": _api, "map": _map, "csv": _csv, "report": _report}
MATRIX = [(role, surface) for role in ROLES for surface in SURFACES if surface != "report" or role in REPORT_READERS]


@pytest.mark.parametrize("role,surface", MATRIX)
def test_search_finds_an_incident_only_by_what_the_reader_may_read(client, auth, readers, role, surface):
    incident = restricted_incident(readers)
    assert incident.ref == "PE-2024-00001"
    auth.login(readers[role].email)
    token = issue_token(readers[role], "search").plaintext
    found = {field: SURFACES[surface](client, word, token) for field, (word, _public) in WORDS.items()}
    assert found == {field: public or role in SEE_EVERYTHING for field, (_word, public) in WORDS.items()}
    assert not SURFACES[surface](client, "Inexistente", token)


@pytest.mark.parametrize("role", ["viewer", "author", "other monitor"])
def test_readers_find_a_public_incident_by_its_place_but_not_by_names(client, auth, readers, role):
    """Signed-in readers are shown the place of a public incident, not its identities."""
    restricted_incident(readers, visibility="public")
    auth.login(readers[role].email)
    assert _list(client, "Chontabamba", None) and not _list(client, "Yupanqui", None)


@pytest.mark.parametrize("public_location,found", [("exact", True), ("admin1", False), ("hidden", False)])
def test_the_public_finds_a_place_only_where_it_is_shown_exactly(readers, public_location, found):
    restricted_incident(readers, visibility="public", public_location=public_location)
    filters, _errors = parse_filters(MultiDict({"q": "Chontabamba"}))
    assert count_incidents(filters, None) == (1 if found else 0)
    filters, _errors = parse_filters(MultiDict({"q": "Kallpa"}))
    assert count_incidents(filters, None) == 1


def test_the_command_line_export_searches_every_field(readers):
    """`tracker export` runs as the system, which reads every field."""
    restricted_incident(readers)
    for word, _public in WORDS.values():
        filters, _errors = parse_filters(MultiDict({"q": word}))
        assert [row.ref for row in export_rows(filters)] == ["PE-2024-00001"], word
