"""Report figures against numbers worked out by hand from tests/report_scenario.py, on
SQLite and PostgreSQL; and the promise that every figure's link lists exactly what it counts."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from tests.report_scenario import PERIOD, build_scenario
from tests.support import EXPECTED
from tracker.counts.service import build_report, previous_period
from tracker.extensions import db
from tracker.filters import IncidentFilter, count_incidents, parse_filters
from tracker.reports.sentences import build_sentences

# victims per victim group and gender (persons, not incidents)
EXPECTED_PERSONS = {
    "1.1": {"gender": {"unknown": 7, "male": 1}},
    "1.2": {"gender": {"unknown": 336, "male": 41, "female": 7}},
    "1.3": {"gender": {"male": 4, "non_binary": 1, "female": 5, "unknown": 34}},
    "protection": {
        "gender": {"male": 11, "female": 10, "non_binary": 1, "unknown": 2},
        "victim_group": {
            "environmental_defender": 4,
            "indigenous_leader": 1,
            "land_defender": 2,
            "community_leader": 1,
            "hrd": 4,
            "journalist": 4,
            "lgbtiq_activist": 1,
            "trade_unionist": 4,
            "cso_member": 3,
        },
    },
}


@pytest.fixture
def scenario(users):
    return build_scenario(users["monitor"], users["reviewer"])


def report_for(user, **kwargs):
    return build_report(*PERIOD, IncidentFilter(), user, **kwargs)


def figures(section):
    result = {"total": section.totals}
    result.update({dim: {r.key: r.count for r in rows} for dim, rows in section.breakdowns.items()})
    return result


def test_every_total_and_breakdown_matches_the_hand_count(scenario, users):
    for role in ("reviewer", "author"):
        report = report_for(users[role])
        assert [s.key for s in report.sections] == ["1.1", "1.2", "1.3", "protection"]
        assert {s.key: figures(s) for s in report.sections} == EXPECTED, role
        assert (report.incidents, report.sources) == (33, 35)
        assert report.statuses == ["verified", "published"]
        for key, dims in EXPECTED_PERSONS.items():
            for dim, persons in dims.items():
                assert {r.key: r.persons for r in report.section(key).breakdowns[dim]} == persons


def test_protection_figures_and_sentences(scenario, users):
    report = report_for(users["reviewer"])
    protection = report.section("protection")
    english = build_sentences(report, "en")
    sentences = {(s.section, s.dimension, s.key): s.text for s in english}
    assert sentences["protection", "violation", "killing"] == (
        "Between January and December 2024, at least 4 people were killed in attacks on human "
        "rights defenders, all of them in Loreto and Ucayali."
    )
    assert sentences["protection", "gender", "female"].endswith(
        "at least 10 women defenders were attacked in 9 incidents."
    )
    assert [s.text.split(", ", 1)[1] for s in english if s.section == "1.2"] == [
        "at least 8 incidents affecting freedom of peaceful assembly were recorded.",
        "in incidents affecting freedom of peaceful assembly, "
        "at least 3 people killed, 31 people injured, and 31 people detained.",
    ]
    spanish = {(s.section, s.dimension, s.key): s.text for s in build_sentences(report, "es")}
    assert spanish["protection", "violation", "killing"].startswith(
        "Entre enero y diciembre de 2024, al menos 4 personas fueron asesinadas"
    )
    assert (protection.women_defenders.count, protection.women_defenders.persons) == (9, 10)
    assert (protection.indigenous_defenders.count, protection.indigenous_defenders.persons) == (3, 3)
    assert protection.killing_incidents == 4
    assert {r.key: r.count for r in protection.killed_by_admin1} == {"Loreto": 2, "Ucayali": 2}
    killings = [(k.date, k.admin1, k.groups, k.killed, k.names) for k in protection.killings]
    assert killings == [
        (date(2024, 1, 15), "Loreto", ["environmental_defender"], 1, ["Juan Ficticio"]),
        (date(2024, 2, 20), "Ucayali", ["environmental_defender"], 2, ["Pedro Inventado"]),  # not the relative
        (date(2024, 3, 1), "Loreto", ["indigenous_leader"], 1, []),
        (date(2024, 10, 3), "Madre de Dios", ["environmental_defender"], None, []),
    ]


def test_names_of_killed_defenders_only_for_roles_that_may_see_identities(scenario, users):
    killings = report_for(users["author"]).section("protection").killings
    assert [k.names for k in killings] == [None] * 4
    assert all(k.place == "" for k in killings)  # internal incidents: no exact place either


def test_other_statuses_count_only_when_asked_for(scenario, users):
    report = report_for(users["reviewer"], statuses=("submitted",))
    assert report.section("1.2").totals["incidents"] == 2  # N2, and N8 on 31 December
    assert report.incidents == 2


def test_a_section_filter_chooses_the_sections_and_filters_narrow_every_figure(scenario, users):
    f, _ = parse_filters(MultiDict([("section", "protection"), ("admin1", "Loreto")]))
    report = build_report(*PERIOD, f, users["reviewer"])
    assert [s.key for s in report.sections] == ["protection"]
    assert report.section("protection").totals == {
        "incidents": 5,
        "killed": 2,
        "injured": 0,
        "detained": 0,
        "victims": 5,
    }
    assert report.incidents == 5  # every counted Loreto incident is a protection case


def test_optional_sections(scenario, users):
    report = report_for(users["reviewer"], optional_sections=True)
    assert [s.key for s in report.sections][-2:] == ["2.3", "6"]
    interference, digital = report.section("2.3"), report.section("6")
    assert interference.totals["incidents"] == 8
    assert {r.key: r.count for r in interference.breakdowns["violation"]} == {
        "org_admin_harassment": 1,
        "org_funding_restriction": 1,
        "org_closure": 1,
        "org_raid": 1,
        "org_registration_denied": 1,
        "judicial_harassment": 1,
        "surveillance": 1,
        "smear_campaign": 2,
    }
    assert digital.totals["incidents"] == 4
    assert {r.key: r.count for r in digital.breakdowns["violation"]} == {
        "online_harassment": 2,
        "surveillance": 1,
        "data_leak": 1,
        "internet_restriction": 1,
    }


def test_compare_with_the_previous_period(scenario, users):
    report = report_for(users["reviewer"], compare_previous=True)
    assert report.previous_period() == (date(2023, 1, 1), date(2023, 12, 31))
    protection = report.section("protection")
    assert protection.previous_totals["incidents"] == 2  # N4 and N9
    assert protection.previous_totals["killed"] == 1
    rows = {r.key: (r.count, r.previous) for r in protection.breakdowns["admin1"]}
    assert rows["Loreto"] == (5, 1) and rows["Apurímac"] == (2, 1) and rows["Lima"] == (3, 0)


def test_a_report_after_a_rolled_back_one(scenario, users):
    """A request that only reads ends with a rollback; the next report on that connection works,
    and counts what the first one counted."""
    first = report_for(users["author"])
    db.session.rollback()
    again = report_for(users["author"])
    assert (first.incidents, first.sources) == (again.incidents, again.sources) == (33, 35)
    assert {s.key: figures(s) for s in again.sections} == EXPECTED


def test_previous_period_has_equal_length():
    assert previous_period(date(2024, 3, 1), date(2024, 5, 31)) == (date(2023, 12, 1), date(2024, 2, 29))
    assert previous_period(date(2024, 1, 10), date(2024, 1, 19)) == (date(2023, 12, 31), date(2024, 1, 9))


def _links(report):
    """(figure, list args) for every incident count the report shows with a link."""
    for section in report.sections:
        yield section.totals["incidents"], report.list_args(section.key)
        for dimension, rows in section.breakdowns.items():
            for row in rows:
                yield row.count, report.list_args(section.key, dimension, row.key)
        if section.women_defenders:
            yield section.women_defenders.count, report.list_args(section.key, "gender", "female")


LINK_CASES = [
    ("reviewer", []),
    ("author", []),
    ("reviewer", [("admin1", "Lima"), ("admin1", "Loreto")]),
    ("reviewer", [("victim_group", "journalist")]),
    ("author", [("perpetrator", "police")]),
    ("reviewer", [("violation", "threat"), ("violation", "surveillance")]),
]


def test_every_link_lists_exactly_the_incidents_it_counts(scenario, users):
    for role, filters in LINK_CASES:
        f, _ = parse_filters(MultiDict(filters))
        report = build_report(*PERIOD, f, users[role], optional_sections=True)
        checked = unlinked = 0
        for number, args in _links(report):
            if args is None:
                unlinked += 1
                continue
            listed, errors = parse_filters(MultiDict(args))
            assert errors == []
            assert count_incidents(listed, users[role]) == number, (role, filters, args)
            checked += 1
        assert checked > 10
        if not filters:
            assert unlinked == 3  # blank provinces (O5 in 1.1 and 2.3, P4): the list cannot ask for "none"


def test_gender_filter_pairs_with_the_victim_group(scenario, users):
    """P2: a male defender killed, his female relative threatened. He is no woman defender."""

    def count(args):
        return count_incidents(parse_filters(MultiDict(args))[0], users["reviewer"])

    assert count([("q", "P2"), ("gender", "female")]) == 1
    assert count([("q", "P2"), ("gender", "female"), ("victim_group", "environmental_defender")]) == 0
    assert count([("q", "P2"), ("gender", "male"), ("victim_group", "environmental_defender")]) == 1
