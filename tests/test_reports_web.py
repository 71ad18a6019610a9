"""The /reports page: who may open it, and that every number it shows links to an incident
list showing that same number; downloads and charts."""

from __future__ import annotations

import re

import pytest

from tests.report_scenario import build_scenario

YEAR = "from=2024-01-01&to=2024-12-31"
FIGURE = re.compile(r'data-figure="([^"]+)"><a href="([^"]+)">(\d+)</a>')


@pytest.fixture
def scenario(users):
    build_scenario(users["monitor"], users["reviewer"])


@pytest.mark.parametrize("role,code", [("monitor", 403), ("viewer", 403), ("author", 200), ("reviewer", 200)])
def test_only_authors_and_staff_open_reports(client, auth, role, code):
    auth.login(role)
    assert client.get("/reports/").status_code == code
    assert ('href="/reports/"' in client.get("/incidents/").text) == (code == 200)


def test_anonymous_visitors_are_sent_to_log_in(client, app):
    response = client.get("/reports/")
    assert (response.status_code, response.location) == (302, "/auth/login?next=/reports/")


def test_every_number_on_the_page_lists_the_same_number_of_incidents(client, auth, scenario):
    auth.login("author")
    page = client.get(f"/reports/?{YEAR}&compare=1&optional=1").text
    assert "Counted: incidents with status Verified, Published" in page
    figures = FIGURE.findall(page)
    assert len(figures) > 100
    shown = {name: int(number) for name, _, number in figures}
    assert shown["protection-total-incidents"] == 18 and shown["1.2-admin1-Apurímac"] == 1
    for name, href, number in figures:
        listed = client.get(href.replace("&amp;", "&")).text
        assert f'data-total="{number}"' in listed, (name, href)


def test_score_helper_and_its_errors(client, auth):
    auth.login("author")
    assert "Score: 2.6 (Repressed)" in client.get(f"/reports/?{YEAR}&score=40").text
    response = client.get(f"/reports/?{YEAR}&score=120")
    assert response.status_code == 400 and "between 0 and 100" in response.text
    assert "Choose the first and the last day" in client.get("/reports/?from=2024-01-01").text


def test_downloads_and_charts(client, auth, scenario):
    auth.login("reviewer")
    csv_file = client.get(f"/reports/export?{YEAR}&format=csv")
    assert csv_file.mimetype == "text/csv" and csv_file.text.startswith("section,dimension,key,count")
    assert "protection,total,incidents,18" in csv_file.text
    docx = client.get(f"/reports/export?{YEAR}&format=docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK" and "attachment" in docx.headers["Content-Disposition"]
    assert client.get(f"/reports/export?{YEAR}&format=pdf").status_code == 400
    assert client.get("/reports/export?format=csv").status_code == 400
    for kind in ("violation", "month"):
        png = client.get(f"/reports/chart/protection.png?{YEAR}&kind={kind}")
        assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert client.get(f"/reports/chart/9.9.png?{YEAR}").status_code == 404


def test_form_offers_the_list_filters_and_a_country_filters_the_counts(client, auth, users):
    """The report form is the list's filter form (templates/_filters.html) plus the report's
    own fields; an incident recorded in Colombia is not counted in a report on Peru."""
    from tests.factories import incident_data
    from tracker.incidents.service import change_status, create_incident

    for country in ("PE", "CO"):
        incident = create_incident(incident_data(country=country), users["monitor"])
        change_status(incident, "submitted", users["monitor"])
        change_status(incident, "verified", users["reviewer"], "checked")
    auth.login("author")

    def protection_incidents(query: str) -> int:
        page = client.get(f"/reports/?{YEAR}{query}").text
        return {name: int(number) for name, _, number in FIGURE.findall(page)}["protection-total-incidents"]

    page = client.get("/reports/").text
    start = page.index('<form method="get" action="/reports/"')
    form = page[start : page.index("</form>", start)]
    assert 'id="report-form"' in form and "Show report" in form
    assert 'name="from" required' in form and 'name="to" required' in form
    assert re.search(r'<select name="country" id="filter-country">\s*<option value="">All countries</option>', form)
    assert '<option value="CO">' in form and '<option value="PE">' in form
    assert '<select name="admin1" id="filter-admin1">' in form and '<option value="Madre de Dios">' in form
    assert '<select name="admin2" id="filter-admin2">' in form
    assert '<option value="">Verified and published</option>' in form
    for name in (
        "score",
        "compare",
        "optional",
        "section",
        "violation",
        "victim_group",
        "perpetrator",
        "confidence",
        "q",
    ):
        assert f'name="{name}"' in form

    assert protection_incidents("") == 2
    assert protection_incidents("&country=PE") == 1
    assert protection_incidents("&country=co") == 1
    assert protection_incidents("&country=PE&country=CO") == 2
    page = client.get(f"/reports/?{YEAR}&country=PE").text
    assert '<option value="PE" selected>' in page and "country=PE" in page  # kept in the form and the links
