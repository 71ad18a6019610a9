"""The protection section's persons at risk and requests for protection, against numbers worked
out by hand from tests/protection_scenario.py, on SQLite and PostgreSQL: the figures, the
report's CSV rows, the page with its links, every export, the sentence, and that a reader who
may not see identities gets the figures but never a name or a key."""

from __future__ import annotations

import html
import io
import re
import zipfile
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from tests.protection_scenario import FIRST_HALF, NAMES, ORGANISATION, PERIOD, REFERENCE, build_protection_scenario
from tracker.counts.service import build_report
from tracker.filters import IncidentFilter, parse_filters
from tracker.reports.exports import export_report
from tracker.reports.sentences import build_sentences

# The working, over K1–K20 (the N rows never count):
# persons (DEF keys on defender rows) and their counted incidents:
#   001 K1 K2 (Loreto) K3 (Ucayali) · 002 K4 (Cusco) K5 (Puno) · 003 K6 (Madre de Dios; N1 is a
#   draft, N4 of 2023) · 004 K7 K8 (Lima; N2 submitted) · 005 K9 (San Martín) K10 (Lima) ·
#   006 K11 (Puno; N3 rejected) · 007 K12 (Amazonas; N5 of 2025) · 009 K14 (Ayacucho; N8 has no
#   protection code) · 010 K15 (Junín, two rows) · 011 K18 (Madre de Dios) K20 (Ucayali).
#   008 is only ever a family member, 012 only in a draft: 10 persons.
# other defender rows, their counts: K2 3 (Loreto) + K4 5 (Cusco) + K7 2 (Lima) + K13 4 (Loreto,
#   the organisation ORG-001) + K16 1 (Lima) + K17 2 (Loreto; not its 2 family members) + K18 1
#   (Madre de Dios) + K19 1 (no department) = 19.
AT_RISK = 10 + 19
REPEAT = 5  # 001 (3 incidents), 002, 004, 005, 011 (2 each)
BY_ADMIN1 = {
    "Loreto": 1 + 3 + 4 + 2,  # 001; K2, K13, K17
    "Cusco": 1 + 5,  # 002; K4
    "Lima": 2 + 2 + 1,  # 004, 005; K7, K16
    "Madre de Dios": 2 + 1,  # 003, 011; K18
    "Ucayali": 2,  # 001, 011
    "Puno": 2,  # 002, 006
    "Amazonas": 1,  # 007
    "Ayacucho": 1,  # 009
    "Junín": 1,  # 010
    "San Martín": 1,  # 005
    "": 1,  # K19
}
# Amazonía: 001, 003, 005, 007, 011; and K2 3 + K13 4 + K17 2 (Loreto) + K18 1 (Madre de Dios)
AMAZONIA = 5 + 10  # 15 of 29: 51.7%, said 52%
# requests: K1 granted (10 days), K2 refused (5 days) and pending, K4 granted (20 days),
# K5 refused (7 days), K7 pending, K11 granted on a day not recorded
REQUESTS = {"requested": 6, "granted": 3, "refused": 2, "pending": 2}
MEDIAN_DAYS = 8.5  # of 5, 7, 10, 20

# January to June: K1 K2 K3 K4 K6 K7 K12 K13 K14 K17. Persons 001 (K1 K2 K3), 002, 003, 004, 007,
# 009; other rows K2 3 + K4 5 + K7 2 + K13 4 + K17 2 = 16.
FIRST_HALF_FIGURES = {
    "at_risk": 6 + 16,
    "repeat": 1,
    "admin1": {
        "Loreto": 1 + 9,
        "Cusco": 6,
        "Lima": 1 + 2,
        "Ucayali": 1,
        "Madre de Dios": 1,
        "Amazonas": 1,
        "Ayacucho": 1,
    },
    "amazonia": 3 + 9,  # 001, 003, 007; Loreto's 9
    "requests": {"requested": 4, "granted": 2, "refused": 1, "pending": 2},  # K1, K2, K4, K7
    "median_days": 10,  # of 5, 10, 20
}

KEYS = [*NAMES, ORGANISATION[0]]
SECRETS = [*NAMES.values(), ORGANISATION[1], REFERENCE]


@pytest.fixture
def scenario(users):
    return build_protection_scenario(users["monitor"], users["reviewer"])


def report_for(user, period=PERIOD, filters: IncidentFilter | None = None, **kwargs):
    return build_report(*period, filters or IncidentFilter(), user, **kwargs)


def persons_of(report) -> dict:
    p = report.section("protection").persons
    return {
        "at_risk": p.at_risk.count,
        "repeat": p.repeat.count,
        "admin1": {r.key: r.count for r in p.by_admin1},
        "amazonia": {r.key: r.count for r in p.by_region_group}["amazonia"],
        "requests": {r.key: r.count for r in p.requests},
        "median_days": p.median_days,
    }


def test_persons_at_risk_and_requests_match_the_hand_count(scenario, users):
    expected = {
        "at_risk": AT_RISK,
        "repeat": REPEAT,
        "admin1": BY_ADMIN1,
        "amazonia": AMAZONIA,
        "requests": REQUESTS,
        "median_days": MEDIAN_DAYS,
    }
    for role in ("admin", "reviewer", "author"):  # the same aggregate figures for each reader of reports
        assert persons_of(report_for(users[role])) == expected, role
    assert persons_of(report_for(users["reviewer"], FIRST_HALF)) == FIRST_HALF_FIGURES
    # most persons first, the blank department last
    assert [r.key for r in report_for(users["author"]).section("protection").persons.by_admin1][:3] == [
        "Loreto",
        "Cusco",
        "Lima",
    ]


def test_filters_narrow_the_persons_and_a_previous_period_is_compared(scenario, users):
    loreto, _ = parse_filters(MultiDict([("admin1", "Loreto")]))
    # K1 K2 K13 K17: 001 twice (a repeat victim) + 3 + 4 + 2; requests of K1 and K2
    assert persons_of(report_for(users["reviewer"], filters=loreto)) == {
        "at_risk": 10,
        "repeat": 1,
        "admin1": {"Loreto": 10},
        "amazonia": 10,
        "requests": {"requested": 2, "granted": 1, "refused": 1, "pending": 1},
        "median_days": 7.5,  # of 5 and 10
    }
    # 2023 holds N4 alone: DEF-003 in Madre de Dios, a request granted in 10 days
    p = report_for(users["reviewer"], compare_previous=True).section("protection").persons
    assert (p.at_risk.previous, p.repeat.previous, p.previous_median_days) == (1, 0, 10)
    assert {r.key: r.previous for r in p.by_admin1}["Madre de Dios"] == 1
    assert {r.key: r.previous for r in p.by_admin1}["Loreto"] == 0
    assert {r.key: r.previous for r in p.by_region_group} == {"amazonia": 1}
    assert {r.key: r.previous for r in p.requests} == {"requested": 1, "granted": 1, "refused": 0, "pending": 0}


def test_report_csv_rows(scenario, users):
    rows = export_report(report_for(users["reviewer"]), "csv", users["reviewer"], "en").decode().splitlines()
    persons = [line for line in rows if line.split(",")[1] in ("persons", "persons_admin1", "persons_region_group")]
    requests = [line for line in rows if line.split(",")[1] == "requests"]
    assert persons == [
        "protection,persons,at_risk,29",
        "protection,persons_admin1,Loreto,10",
        "protection,persons_admin1,Cusco,6",
        "protection,persons_admin1,Lima,5",
        "protection,persons_admin1,Madre de Dios,3",
        "protection,persons_admin1,Puno,2",
        "protection,persons_admin1,Ucayali,2",
        "protection,persons_admin1,Amazonas,1",
        "protection,persons_admin1,Ayacucho,1",
        "protection,persons_admin1,Junín,1",
        "protection,persons_admin1,San Martín,1",
        "protection,persons_admin1,,1",
        "protection,persons_region_group,amazonia,15",
        "protection,persons,repeat,5",
    ]
    assert requests == [
        "protection,requests,requested,6",
        "protection,requests,granted,3",
        "protection,requests,refused,2",
        "protection,requests,pending,2",
        "protection,requests,median_days,8.5",
    ]
    none_decided = export_report(
        report_for(users["reviewer"], (date(2024, 9, 1), date(2024, 12, 31))), "csv", users["reviewer"], "en"
    )
    assert "protection,requests,median_days,\r\n" in none_decided.decode()  # K11: granted, no day


def test_the_sentence_for_authors(app, scenario, users):
    report = report_for(users["author"])
    english = [s for s in build_sentences(report, "en") if "at risk" in s.text]
    assert [s.text for s in english] == [
        "Between January and December 2024, at least 29 human rights defenders were at risk, "
        "52% of them in Amazonian regions."
    ]
    assert report.list_args(english[0].section, english[0].dimension, english[0].key) == report.list_args("protection")
    # no persons at risk, no sentence
    empty = report_for(users["author"], (date(2022, 1, 1), date(2022, 12, 31)))
    assert not [s for s in build_sentences(empty, "en") if "at risk" in s.text]


def test_the_sentence_in_spanish_as_seed_001_writes_it(app, scenario, users):
    """Needs the Spanish catalogue's entries for the sentence (tracker/reports/sentences.py, `_at_risk`)."""
    spanish = [s.text for s in build_sentences(report_for(users["author"]), "es") if "riesgo" in s.text]
    assert spanish == [
        "Entre enero y diciembre de 2024, al menos 29 personas defensoras estuvieron en situación de riesgo, "
        "52\u00a0% en regiones amazónicas."
    ]


def test_region_groups_come_from_the_configuration_and_match_names_in_any_spelling(app, scenario, users):
    app.config["REGION_GROUPS"] = [
        {"key": "amazonia", "en": "Amazonian regions", "es": "regiones amazónicas",
         "admin1": ["LORETO", "ucayali", "San Martin", "Amazonas", "madre de dios"]},
        {"key": "sur", "en": "the southern Andes", "es": "los Andes del sur", "admin1": ["Cusco", "Puno", "Ayacucho"]},
    ]  # fmt: skip
    report = report_for(users["reviewer"])
    p = report.section("protection").persons
    # the south: 002 (Cusco, Puno), 006 (Puno), 009 (Ayacucho); K4's 5
    assert {r.key: r.count for r in p.by_region_group} == {"amazonia": AMAZONIA, "sur": 3 + 5}
    assert p.group_departments["amazonia"] == ["Amazonas", "Loreto", "Madre de Dios", "San Martín", "Ucayali"]
    (sentence,) = [s.text for s in build_sentences(report, "en") if "at risk" in s.text]
    assert sentence.endswith(
        "29 human rights defenders were at risk, 52% of them in Amazonian regions "
        "and 28% of them in the southern Andes."
    )
    args = report.list_args("protection", "region_group", "sur")
    assert [v for k, v in args if k == "admin1"] == ["Ayacucho", "Cusco", "Puno"]  # as the incidents store them


YEAR = "from=2024-01-01&to=2024-12-31"
PERSONS = re.compile(r'data-persons="([^"]+)">(?:<a href="([^"]+)">)?([^<]+)')


def shown_figures(page: str) -> dict[str, tuple[str, str | None]]:
    """data-persons name → (the number shown, the incident list it links to or None)."""
    return {name: (number, html.unescape(href) if href else None) for name, href, number in PERSONS.findall(page)}


def listed(client, href: str) -> int:
    return int(re.search(r'data-total="(\d+)"', client.get(href).text).group(1))


def test_the_page_shows_the_figures_with_links_to_the_incidents_they_count(client, auth, scenario):
    auth.login("reviewer")
    page = client.get(f"/reports/?{YEAR}&compare=1").text
    figures = shown_figures(page)
    assert {name: number for name, (number, _) in figures.items()} == {
        "protection-persons-at_risk": "29",
        "protection-persons-repeat": "5",
        "protection-persons-requested": "6",
        "protection-persons-granted": "3",
        "protection-persons-refused": "2",
        "protection-persons-pending": "2",
        "protection-requests-median_days": "8.5",
        **{f"protection-persons_admin1-{k}": str(n) for k, n in BY_ADMIN1.items()},
        "protection-persons_region_group-amazonia": "15",
    }
    assert "Persons at risk by region group" not in page  # a table's heading on the page is its column
    assert "<td>Amazonian regions</td>" in page and "<td>52%</td>" in page
    # each link lists the incidents the figure counts persons in
    assert listed(client, figures["protection-persons-at_risk"][1]) == 20  # K1–K20
    assert listed(client, figures["protection-persons_admin1-Loreto"][1]) == 4  # K1 K2 K13 K17
    assert listed(client, figures["protection-persons_admin1-Ucayali"][1]) == 2  # K3 K20
    # K1 K2 K3 K6 K9 K12 K13 K17 K18 K20
    assert listed(client, figures["protection-persons_region_group-amazonia"][1]) == 10
    assert figures["protection-persons_admin1-"][1] is None  # no department: the list cannot say it
    assert figures["protection-persons-repeat"][1] is None
    assert all(figures[f"protection-persons-{k}"][1] is None for k in REQUESTS)  # see test_request_figures_…


def test_request_figures_do_not_link_to_a_list_that_would_say_which_incidents_had_one(client, auth, scenario):
    """Whether an incident's defenders asked for protection is restricted: the list has no
    filter for it, so the request figures stay plain numbers for every reader."""
    auth.login("author")
    figures = shown_figures(client.get(f"/reports/?{YEAR}").text)
    assert figures["protection-persons-requested"] == ("6", None)
    assert figures["protection-persons-at_risk"][1] is not None


def unpacked_text(data: bytes) -> str:
    """Every file of a zip (Markdown, DOCX, XLSX) as one text; the bytes themselves otherwise."""
    if not data.startswith(b"PK"):
        return data.decode("utf-8")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


@pytest.mark.parametrize("role", ["admin", "reviewer", "monitor", "author", "viewer", None])
def test_every_reader_of_reports_gets_the_figures_and_no_key_and_names_only_if_they_may(
    client, auth, users, scenario, role
):
    if role:
        auth.login(role)
    page = client.get(f"/reports/?{YEAR}")
    downloads = [client.get(f"/reports/export?{YEAR}&format={fmt}") for fmt in ("csv", "md", "docx", "xlsx")]
    if role in ("monitor", "viewer"):  # the recording monitor too: reports are not theirs to read
        assert [r.status_code for r in [page, *downloads]] == [403] * 5
        return
    if role is None:
        assert all(r.status_code == 302 and r.location.startswith("/auth/login") for r in [page, *downloads])
        return
    texts = {"page": page.text} | {
        fmt: unpacked_text(r.data) for fmt, r in zip(("csv", "md", "docx", "xlsx"), downloads, strict=True)
    }
    assert shown_figures(page.text)["protection-persons-at_risk"][0] == "29"
    assert "protection,persons,at_risk,29" in texts["csv"]
    for where, text in texts.items():
        assert not [key for key in KEYS if key in text], (role, where)  # keys: in no report
        assert ORGANISATION[1] not in text and REFERENCE not in text, (role, where)
        # names: only where the report lists killings, and only for those who may see identities
        names = [name for name in NAMES.values() if name in text]
        if role == "author" or where == "csv":
            assert names == [], (role, where)
        elif where != "xlsx":  # the workbook's sheet of incidents has a column of names
            assert names == [NAMES["DEF-003"]], (role, where)  # K6, the killing of DEF-003


def test_markdown_docx_and_xlsx_have_the_persons_at_risk(scenario, users):
    from docx import Document
    from openpyxl import load_workbook

    reviewer = users["reviewer"]
    report = report_for(reviewer)
    markdown = unpacked_text(export_report(report, "md", reviewer, "en"))
    for line in (
        "### Persons at risk",
        "| Persons at risk | 29 |",
        "| Persons attacked in two or more incidents | 5 |",
        "| Incidents with a request granted | 3 |",
        "| Median days from a request to its decision | 8.5 |",
        "### Persons at risk by department",
        "| Loreto | 10 |",
        "| Not recorded | 1 |",
        "### Persons at risk by region group",
        "| Amazonian regions | 15 | 52% |",
        "Persons at risk are the defender victims of the protection section's incidents.",
    ):
        assert line in markdown, line
    doc = Document(io.BytesIO(export_report(report, "docx", reviewer, "es")))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    (groups,) = [t for t in tables if len(t[0]) == 3 and t[1][0] == "Regiones amazónicas"]
    assert groups[1][1:] == ["15", "52 %"]
    book = load_workbook(io.BytesIO(export_report(report, "xlsx", reviewer, "en")))
    assert book.sheetnames[-2:] == ["Persons at risk", "Incidents"]
    header, *rows = book["Persons at risk"].iter_rows(values_only=True)
    cells = {(r[0], r[2] or ""): r[4] for r in rows}
    assert cells == {
        ("persons", "at_risk"): 29,
        ("persons", "repeat"): 5,
        **{("persons_admin1", k): n for k, n in BY_ADMIN1.items()},
        ("persons_region_group", "amazonia"): 15,
        **{("requests", k): n for k, n in REQUESTS.items()},
        ("requests", "median_days"): 8.5,
    }
    assert ("persons_region_group", "Persons at risk by region group", "amazonia", "Amazonian regions") in [
        r[:4] for r in rows
    ]
