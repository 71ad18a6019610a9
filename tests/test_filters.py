"""The shared filter builder: what each parameter means, as users see it in the list."""

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from tests.factories import incident_data, submit_incident
from tracker.filters import count_incidents, parse_filters
from tracker.incidents.data import PerpetratorData, VictimData
from tracker.incidents.service import change_status


@pytest.fixture
def corpus(users):
    """Five verified incidents touching different sections, regions and groups."""
    specs = [
        dict(title="Defensora amenazada", violations=["threat"], admin1="Madre de Dios"),
        dict(
            title="Protesta reprimida en Juliaca",
            violations=["protest_excessive_force"],
            latitude=None,
            longitude=None,
            admin1="Puno",
            admin2="San Román",
            date=date(2023, 1, 9),
            killed=3,
            victims=[VictimData(group="protester", count=20)],
            perpetrators=[PerpetratorData(type="police")],
        ),
        dict(
            title="Periodista agredido",
            violations=["journalist_attack", "physical_assault"],
            latitude=None,
            longitude=None,
            admin1="Lima",
            victims=[VictimData(group="journalist")],
        ),
        dict(
            title="Familiar amenazado",
            violations=["threat"],
            latitude=None,
            longitude=None,
            admin1="Loreto",
            victims=[VictimData(group="family_member")],
        ),
        dict(
            title="Cierre de ONG",
            violations=["org_closure"],
            latitude=None,
            longitude=None,
            admin1="Lima",
            date=date(2025, 2, 1),
            victims=[VictimData(group="organisation")],
            perpetrators=[],
        ),
    ]
    for spec in specs:
        incident = submit_incident(incident_data(**spec), users["monitor"])
        change_status(incident, "verified", users["reviewer"], "ok")


def count(args, user):
    filters, errors = parse_filters(MultiDict(args))
    assert errors == []
    return count_incidents(filters, user)


@pytest.mark.parametrize(
    "args,expected",
    [
        ([], 5),
        ([("section", "1.2")], 1),
        ([("section", "1.3")], 1),
        ([("section", "protection")], 2),  # the family member alone does not make a defender case
        ([("section", "1.1"), ("section", "1.2")], 2),
        ([("violation", "threat")], 2),
        ([("victim_group", "journalist")], 1),
        ([("perpetrator", "police")], 1),
        ([("admin1", "Lima")], 2),
        ([("admin1", "Lima"), ("section", "1.1")], 1),
        ([("from", "2024-01-01"), ("to", "2024-12-31")], 3),
        ([("q", "JULIACA")], 1),
        ([("q", "100%")], 0),
        ([("status", "verified")], 5),
        ([("status", "draft")], 0),
    ],
    ids=lambda v: str(v),
)
def test_filters_count_what_they_say(corpus, users, args, expected):
    assert count(args, users["reviewer"]) == expected


def test_unknown_values_are_reported_not_ignored():
    filters, errors = parse_filters(MultiDict([("violation", "tortura"), ("from", "2024-13-01")]))
    assert any("tortura" in e for e in errors)
    assert any("2024-13-01" in e for e in errors)
    assert filters.violation == []


def test_list_page_shows_the_filtered_count_and_keeps_filters_in_links(client, auth, corpus):
    auth.login("reviewer")
    page = client.get("/incidents/?section=protection&sort=date_asc").text
    assert 'data-total="2"' in page
    assert "Defensora amenazada" in page and "Juliaca" not in page


def test_list_is_paginated(client, auth, corpus, app):
    app.config["INCIDENTS_PER_PAGE"] = 2
    auth.login("reviewer")
    first = client.get("/incidents/?sort=date_asc").text
    assert "Page 1 of 3" in first and "page=2" in first
    last = client.get("/incidents/?sort=date_asc&page=3").text
    assert "Cierre de ONG" in last


def test_a_nul_character_is_reported_and_its_value_left_out():
    filters, errors = parse_filters(MultiDict([("q", "\x00abc"), ("admin1", "Lima\x00"), ("admin1", "Puno")]))
    assert errors == ["Parameters may not contain NUL characters."]
    assert filters.q == "" and filters.admin1 == ["Puno"]


@pytest.mark.parametrize("query", ["q=%00abc", "admin1=%00", "violation=threat%00"])
def test_list_page_survives_a_nul_character_in_a_filter(client, auth, corpus, query):
    """PostgreSQL refuses NUL in text: the value is left out and the page says why."""
    auth.login("reviewer")
    response = client.get(f"/incidents/?{query}")
    assert response.status_code == 200
    assert "Parameters may not contain NUL characters." in response.text
    assert 'data-total="5"' in response.text


def test_public_country_choices_name_only_countries_of_public_incidents(client, auth, users):
    """A draft's country is not public: an anonymous visitor's country select lists only
    countries of published public incidents, while staff see every country recorded."""
    published = submit_incident(incident_data(country="PE", visibility="public"), users["monitor"])
    for step in ("verified", "published"):
        change_status(published, step, users["reviewer"], "ok")
    submit_incident(incident_data(country="BO", visibility="public"), users["monitor"])  # a draft

    public = client.get("/public/map").text
    assert '<option value="PE">' in public and 'value="BO"' not in public
    auth.login("reviewer")
    assert '<option value="BO">' in client.get("/map").text


def test_region_filters_read_names_in_any_spelling(app):
    """An old link or a script that writes "Junin" or "SAN MARTIN" still finds Junín and San Martín."""
    filters, errors = parse_filters(MultiDict([("admin1", "JUNIN"), ("admin1", "san martin"), ("admin2", "Canete")]))
    assert (filters.admin1, filters.admin2, errors) == (["Junín", "San Martín"], ["Cañete"], [])
