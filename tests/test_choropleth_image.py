"""Choropleth images (tracker/regions/choropleth_image.py): the map page's PNG/SVG download and
the reports' map by department, drawn from the imported boundaries."""

from __future__ import annotations

import html
import io
import re
import zipfile
from datetime import date

import pytest
from docx import Document
from PIL import Image

from tests.factories import record
from tests.report_scenario import PERIOD, build_scenario
from tests.support import EXPECTED, import_departments
from tracker.counts.service import build_report
from tracker.filters import IncidentFilter
from tracker.maps.captions import map_text
from tracker.maps.choropleth import region_features
from tracker.regions.choropleth_image import (
    COLOURS,
    NO_INCIDENTS,
    choropleth_figure,
    class_breaks,
    class_colour,
    counted_regions,
    period_text,
)
from tracker.reports.exports import export_report

YEAR = "from=2024-01-01&to=2024-12-31"
LIMA, CUSCO, PUNO = (-12.1, -77.0), (-13.53, -71.97), (-15.5, -70.13)
DARKEST = tuple(int(COLOURS[-1][i : i + 2], 16) for i in (1, 3, 5))


@pytest.fixture
def departments(app):
    assert import_departments() == 25


@pytest.fixture
def corpus(users, departments):
    """Lima 3, Cusco 1 for the public; a signed-in reviewer also counts a hidden, an internal
    and a verified (unpublished) incident."""
    public = dict(visibility="public", public_location="exact")
    for point, spec in [
        (LIMA, public),
        (LIMA, public),
        (LIMA, public),
        (CUSCO, dict(visibility="public", public_location="admin1")),
        (PUNO, dict(visibility="public", public_location="hidden")),
        (LIMA, dict(visibility="internal", public_location="exact")),
    ]:
        record(users, latitude=point[0], longitude=point[1], **spec)
    record(users, status="verified", latitude=CUSCO[0], longitude=CUSCO[1], **public)


def png_image(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(data))
    assert image.width >= 500 and image.height >= 500
    return image.convert("RGB")


def svg_words(svg: str) -> str:
    """The text an SVG shows, its lines joined by spaces (matplotlib writes a <text> per line)."""
    return " ".join(html.unescape(" ".join(re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S))).split())


def words(text: str) -> str:
    return " ".join(text.split())


def darkest_pixels(image: Image.Image) -> int:
    return sum(count for count, colour in image.getcolors(image.width * image.height) if colour == DARKEST)


def test_the_busiest_region_gets_the_darkest_colour():
    assert class_breaks(12) == [3, 5, 8, 10, 12]
    assert [class_colour(n, class_breaks(12)) for n in (0, 1, 3, 4, 9, 12)] == [
        NO_INCIDENTS,
        COLOURS[0],
        COLOURS[0],
        COLOURS[1],
        COLOURS[3],
        COLOURS[4],
    ]
    assert class_breaks(2) == [1, 2]  # few incidents: fewer classes, still ending at the darkest
    assert class_colour(2, [1, 2]) == COLOURS[-1] and class_colour(1, [1, 2]) == COLOURS[-2]
    assert class_breaks(0) == []


def test_region_names_match_whatever_their_accents_and_case(departments):
    frame = counted_regions({"APURIMAC": 2, "LIMA": 3, "Lima": 1, "Atlantis": 9}, "admin1")
    counts = dict(zip(frame["name"], frame["count"], strict=True))
    assert len(counts) == 25 and counts["Apurímac"] == 2 and counts["Lima"] == 4
    assert sum(counts.values()) == 6  # a name no boundary has is left out


def test_map_download_draws_what_the_map_page_counts(client, auth, corpus):
    auth.login("reviewer")
    page = client.get("/map?violation=threat&level=admin1").text
    link = page.split('id="map-downloads"')[1].split('href="')[1].split('"')[0].replace("&amp;", "&")
    assert link.startswith("/map/choropleth.png?") and "violation=threat" in link and "level=admin1" in link
    response = client.get(link)
    assert response.mimetype == "image/png"
    assert darkest_pixels(png_image(response.data)) > 1000  # Lima, the busiest department, is filled darkest
    svg = client.get(f"/map/choropleth.svg?{YEAR}&level=admin1")
    assert svg.mimetype == "image/svg+xml" and "<svg" in svg.text
    for text in (">Incidents</text>", ">0</text>", ">4</text>"):  # the legend
        assert text in svg.text, text
    shown = svg_words(svg.text)
    for text in (
        "Incidents by department",
        "Period: January 1, 2024 to December 31, 2024. 7 incidents on the map. Filters: none.",
        "Source: Civic space tracker, incidents of any status",
        "Boundaries: peru_departamental_simple.geojson.",  # imported without a source: its file
    ):
        assert text in shown, text
    provinces = client.get("/map/choropleth.svg?level=admin2")  # only departments are imported
    assert provinces.status_code == 404 and "No region boundaries are imported" in provinces.text
    assert client.get("/map/choropleth.png?level=admin9").status_code == 400


def test_public_download_counts_only_what_the_public_map_shows(client, corpus):
    public = region_features(IncidentFilter(), None, "admin1", public=True)["features"]
    assert sum(f["properties"]["count"] for f in public) == 4
    assert client.get("/map/choropleth.png").status_code == 302  # the signed-in map needs login
    svg = svg_words(client.get("/public/map/choropleth.svg?status=verified&status=published&q=Amenazas").text)
    assert "Period: all dates. 4 incidents on the map. Filters: none." in svg  # no text search for the public
    assert "with status Published;" in svg
    assert darkest_pixels(png_image(client.get("/public/map/choropleth.png").data)) > 1000
    page = client.get("/public/map?q=Amenazas").text
    assert 'href="/public/map/choropleth.png?level=admin1"' in page  # no text search for the public


def test_without_boundaries_there_is_no_map_to_download(client, auth, users):
    auth.login("reviewer")
    response = client.get("/map/choropleth.png")
    assert response.status_code == 404 and "No region boundaries are imported" in response.text
    assert "Download PNG" not in client.get("/map").text
    record(users, latitude=None, longitude=None, admin1="Lima")
    page = client.get(f"/reports/?{YEAR}").text
    assert "kind=month" in page and 'class="region-map"' not in page  # the other charts, no map
    response = client.get(f"/reports/chart/protection.svg?{YEAR}&kind=region")
    assert response.status_code == 404 and "No region boundaries are imported" in response.text
    assert client.get(f"/reports/chart/protection.svg?{YEAR}&kind=month").mimetype == "image/svg+xml"


@pytest.fixture
def scenario_mapped(users):
    """The report scenario, then the departments: typed names such as "Apurímac" keep their
    accents and meet the boundary file's "APURIMAC" through name_key."""
    build_scenario(users["monitor"], users["reviewer"])
    import_departments()


def test_report_sections_show_a_map_by_department(client, auth, scenario_mapped):
    auth.login("author")
    page = client.get(f"/reports/?{YEAR}").text
    assert page.count('class="region-map"') == 4
    assert 'href="/reports/chart/protection.svg?from=2024-01-01&amp;to=2024-12-31&amp;kind=region"' in page
    protection = sum(EXPECTED["protection"]["admin1"].values())
    svg = client.get(f"/reports/chart/protection.svg?{YEAR}&kind=region")
    assert svg.mimetype == "image/svg+xml"
    for text in (
        "Protection of human rights defenders: Department",
        f"{protection} incidents on the map.",
        "Period: January 1, 2024 to December 31, 2024.",
        "with status Verified, Published;",
        "Boundaries: peru_departamental_simple.geojson.",
    ):
        assert text in svg_words(svg.text), text
    png = client.get(f"/reports/chart/protection.png?{YEAR}&kind=region")
    assert darkest_pixels(png_image(png.data)) > 1000  # Loreto, five incidents


def test_report_documents_embed_the_map(users, scenario_mapped):
    report = build_report(*PERIOD, IncidentFilter(), users["author"])
    doc = Document(io.BytesIO(export_report(report, "docx", users["author"], "en")))
    assert len(doc.inline_shapes) == 12  # a bar chart, a trend and a map per section
    with zipfile.ZipFile(io.BytesIO(export_report(report, "md", users["author"], "es"))) as archive:
        markdown = next(archive.read(name).decode() for name in archive.namelist() if name.endswith(".md"))
        maps = re.findall(r"!\[[^\]]*: Departamento\]\((images/[^)]+)\)", markdown)
        assert len(maps) == 4 and all(archive.read(path).startswith(b"\x89PNG") for path in maps)
    assert markdown.split("### Departamento\n\n")[1].startswith("![1.1 Libertad de asociación: Departamento](")


def test_period_of_an_open_filter(app):
    assert period_text(date(2024, 3, 1), None) == "Period: from March 1, 2024."
    assert period_text(None, date(2024, 3, 31)) == "Period: until March 31, 2024."


def test_image_downloads_say_their_filters_in_words(client, auth, corpus):
    auth.login("reviewer")
    query = "violation=threat&violation=harassment&victim_group=hrd&admin1=Lima&country=PE&q=Juliaca&status=published"
    shown = svg_words(client.get(f"/map/choropleth.svg?{query}&from=2024-01-01").text)
    assert (
        "Period: from January 1, 2024. 0 incidents on the map. Filters: Violation: Threat or Harassment; Victim "
        "group: Human rights defender; Country: Peru; Department: Lima; Text: “Juliaca”."
    ) in shown
    assert "incidents with status Published;" in shown  # the statuses are said once, with the source


def test_the_png_figure_carries_title_period_filters_legend_and_credits(app, departments):
    filters = IncidentFilter(date_from=date(2024, 1, 1), date_to=date(2024, 6, 30), violation=["threat"])
    with app.test_request_context():
        fig = choropleth_figure({"Lima": 3, "Cusco": 1}, "admin1", map_text(filters, "admin1", public=True))
    ax = fig.axes[0]
    assert fig.get_suptitle() == "Incidents by department"
    assert words(ax.get_title()) == (
        "Period: January 1, 2024 to June 30, 2024. 4 incidents on the map. Filters: Violation: Threat."
    )
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "Incidents"
    assert [t.get_text() for t in legend.get_texts()] == ["0", "1", "2", "3"]
    credits = words(fig.texts[-1].get_text())  # the foot line; the suptitle is a figure text too
    assert credits.startswith("Source: Civic space tracker, incidents with status Published; generated on ")
    assert credits.endswith("Boundaries: peru_departamental_simple.geojson.")
