"""The /reports page: who may open it, and that every number it shows links to an incident
list showing that same number; downloads and charts."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from tests.factories import record
from tests.report_scenario import build_scenario
from tests.support import import_departments

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
    assert "Counted: incidents with status Verified or Published" in page and "33 incidents, 35 sources." in page
    figures = FIGURE.findall(page)
    assert len(figures) > 100
    shown = {name: int(number) for name, _, number in figures}
    assert shown["protection-total-incidents"] == 18 and shown["1.2-admin1-Apurímac"] == 1
    for name, href, number in figures:
        listed = client.get(href.replace("&amp;", "&")).text
        assert f'data-total="{number}"' in listed, (name, href)


def test_score_helper_and_its_errors(client, auth):
    auth.login("author")
    page = client.get(f"/reports/?{YEAR}&score=40").text
    assert "Score: 2.6 out of 5 (Repressed) — CIVICUS score 40/100, rebased" in page
    assert 'name="score" min="0" max="100" step="0.1" value="40"' in page  # kept as typed
    response = client.get(f"/reports/?{YEAR}&score=120")
    assert response.status_code == 400 and "between 0 and 100" in response.text
    assert "Choose the first and the last day" in client.get("/reports/?from=2024-01-01").text


def test_errors_are_said_in_the_readers_language(client, auth):
    auth.login("author")
    client.post("/language", data={"lang": "es", "next": "/reports/"})
    assert "Elija el primer y el último día del periodo." in client.get("/reports/?from=2024-01-01").text
    page = client.get("/reports/?from=2024-02-01&to=2024-01-01&score=12,5x").text
    assert "El período termina antes de empezar." in page and "El puntaje debe ser un número entre 0 y 100." in page
    assert (
        "Un puntaje del CIVICUS Monitor está entre 0 y 100, no 120,5."
        in client.get(f"/reports/?{YEAR}&score=120,5").text
    )


def test_downloads_and_charts(client, auth, scenario):
    auth.login("reviewer")
    markdown = client.get(f"/reports/export?{YEAR}&format=md")
    assert markdown.mimetype == "application/zip" and markdown.data[:2] == b"PK"
    assert 'filename="report-2024-01-01-2024-12-31.zip"' in markdown.headers["Content-Disposition"]
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


def sentences_of(page: str) -> list[str]:
    return [html.unescape(s) for s in re.findall(r'<p class="sentence"><span lang="\w\w">([^<]+)</span>', page)]


def test_sentences_are_in_one_language_with_a_switch_to_the_other(client, auth, scenario):
    auth.login("author")
    page = client.get(f"/reports/?{YEAR}&admin1=Puno").text
    sentences = sentences_of(page)
    assert (
        "Between January and December 2024, in Puno, at least 1 attack on human rights defenders was recorded."
        in sentences
    )
    assert not any("Entre" in s for s in sentences)
    switch = page[page.index('id="report-language"') :].split("</p>", 1)[0]
    assert 'href="/reports/?from=2024-01-01&amp;to=2024-12-31&amp;admin1=Puno&amp;lang=es"' in switch
    assert re.search(r'hreflang="en" aria-current="true">English<', switch)

    spanish = client.get(f"/reports/?{YEAR}&admin1=Puno&lang=es").text
    assert '<html lang="en">' in spanish and "Show report" in spanish  # the interface stays as chosen
    assert sentences_of(spanish)[0] == (
        "Entre enero y diciembre de 2024, en Puno, no se registraron incidentes que afectaran "
        "la libertad de asociación."
    )
    assert '<input type="hidden" name="lang" value="es">' in spanish  # the form keeps the choice
    assert "format=docx&amp;lang=es" not in spanish and "lang=es&amp;format=docx" in spanish  # so do downloads
    svg = client.get(f"/reports/chart/1.2.svg?{YEAR}&admin1=Puno&lang=es&kind=month").text
    assert "ene 2024" in svg


def test_the_page_in_spanish_speaks_spanish_numbers_and_plurals(client, auth, scenario):
    auth.login("author")
    client.post("/language", data={"lang": "es", "next": "/reports/"})
    page = client.get(f"/reports/?{YEAR}&admin1=Puno&score=40&compare=1").text
    assert "Puntaje: 2,6 sobre 5 (Represivo) — puntaje CIVICUS 40/100 reescalado" in page
    assert "<th>Cambio</th>" in page and "Cambiar" not in page
    assert "2 incidentes, 3 fuentes." in page
    sentences = sentences_of(page)
    assert (
        "Entre enero y diciembre de 2024, en Puno, al menos 1 mujer defensora fue agredida en 1 incidente." in sentences
    )
    assert (
        "Entre enero y diciembre de 2024, en Puno, en incidentes que afectaron la libertad de reunión pacífica, "
        "al menos 3 personas fallecieron y 20 personas resultaron heridas." in sentences
    )
    assert not any("al menos 0" in s for s in sentences)
    assert ">enero de 2024<" in page  # the month breakdown names its months


def test_ready_made_periods_are_links_that_keep_the_filters(client, auth, monkeypatch):
    monkeypatch.setattr("tracker.reports.periods.today", lambda: date(2025, 5, 14))
    auth.login("author")
    presets = client.get("/reports/?admin1=Puno&compare=1").text
    start = presets.index('class="period-presets"')
    presets = presets[start : presets.index("</nav>", start)]
    links = {
        html.unescape(text): html.unescape(href)
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', presets)
    }
    assert links == {
        "This year (2025)": "/reports/?admin1=Puno&compare=1&from=2025-01-01&to=2025-05-14",
        "Last year (2024)": "/reports/?admin1=Puno&compare=1&from=2024-01-01&to=2024-12-31",
        "Last 12 months": "/reports/?admin1=Puno&compare=1&from=2024-05-15&to=2025-05-14",
        "Q1 2025": "/reports/?admin1=Puno&compare=1&from=2025-01-01&to=2025-03-31",
        "Q2 2025": "/reports/?admin1=Puno&compare=1&from=2025-04-01&to=2025-05-14",
    }
    page = client.get(links["Last year (2024)"]).text  # a year chosen: its quarters are offered
    assert 'name="from" required value="2024-01-01"' in page and 'name="to" required value="2024-12-31"' in page
    assert re.search(r'aria-current="true">Last year \(2024\)<', page)
    assert "from=2024-10-01&amp;to=2024-12-31" in page and ">Q4 2024<" in page


def test_the_map_by_department_says_the_filters(client, auth, users):
    record(users, date=date(2024, 5, 10), latitude=None, longitude=None, admin1="Puno", violations=["threat"])
    import_departments()
    auth.login("author")
    svg = client.get(f"/reports/chart/protection.svg?{YEAR}&admin1=Puno&kind=region").text
    assert "Filters: Department: Puno." in " ".join(html.unescape(svg).split())
