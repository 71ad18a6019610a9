"""Report outputs carry what monitors typed as text and never run it: an incident titled like a
spreadsheet formula, a place written as a Markdown link, a region named like an HTML tag reach
every export and the report page as the characters typed."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from docx import Document
from markdown_it import MarkdownIt
from openpyxl import load_workbook

from tests.factories import record
from tests.report_scenario import unzip_markdown
from tracker.incidents.data import VictimData

YEAR = "from=2024-01-01&to=2024-12-31"
TITLE = '=HYPERLINK("http://evil.example","clic")'
PLACE = "[pulse aquí](javascript:alert(1))"
ADMIN1 = "<script>alert(1)</script>"
ADMIN2 = "**Maynas** `x` ~~y~~ &amp;"
NAME = "-<img src=x onerror=alert(1)>"
HOSTILE = (TITLE, PLACE, ADMIN1, ADMIN2, NAME)


@pytest.fixture
def hostile(users):
    """A published killing of a defender (so the protection section lists its place and names)."""
    record(
        users,
        title=TITLE,
        date=date(2024, 5, 10),
        place=PLACE,
        latitude=None,
        longitude=None,
        admin1=ADMIN1,
        admin2=ADMIN2,
        violations=["killing"],
        victims=[VictimData(group="environmental_defender", gender="male", name=NAME)],
        killed=1,
    )


def export(client, fmt: str) -> bytes:
    response = client.get(f"/reports/export?{YEAR}&format={fmt}")
    assert response.status_code == 200
    return response.data


def test_xlsx_writes_incident_text_as_text_cells(client, auth, hostile):
    auth.login("reviewer")
    book = load_workbook(io.BytesIO(export(client, "xlsx")))
    header, row = book["Incidents"].iter_rows(max_row=2)
    cells = {h.value: c for h, c in zip(header, row, strict=True)}
    for column, text in (("Title", TITLE), ("Department", ADMIN1), ("Province", ADMIN2), ("Place", PLACE)):
        assert (cells[column].value, cells[column].data_type) == (text, "s")
    assert cells["Names"].value == NAME
    keys = {c.value: c.data_type for c in book["protection"]["C"]}  # the key (code) column
    assert keys[ADMIN1] == keys[ADMIN2] == "s"
    formulas = [c.coordinate for sheet in book for line in sheet.iter_rows() for c in line if c.data_type == "f"]
    assert formulas == []


def test_markdown_shows_incident_text_without_links_or_markup(client, auth, hostile):
    auth.login("reviewer")
    markdown, _images = unzip_markdown(export(client, "md"))
    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)
    assert html.count("<img") == 2  # the section's two charts, and no other image
    html = re.sub(r'<img src="images/protection-(violation|month)\.png" alt="[^"<>]*" />', "", html)
    for tag in ("<a", "<script", "<img", "<strong", "<em", "<code", "<s>", "<del"):
        assert tag not in html
    escaped = html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    for text in (PLACE, ADMIN1, ADMIN2, NAME):
        assert text in escaped  # shown as typed, every character kept


def test_docx_writes_incident_text_as_plain_runs(client, auth, hostile):
    auth.login("reviewer")
    doc = Document(io.BytesIO(export(client, "docx")))
    cells = {cell.text for table in doc.tables for row in table.rows for cell in row.cells}
    assert f"{PLACE}, {ADMIN2}, {ADMIN1}" in cells and NAME in cells
    assert ADMIN1 in cells and ADMIN2 in cells  # the breakdowns by department and province
    assert any(ADMIN1 in p.text for p in doc.paragraphs)  # "… killed …, in <script>…"


def test_report_page_escapes_incident_text(client, auth, hostile):
    auth.login("reviewer")
    page = client.get(f"/reports/?{YEAR}").text
    assert "<script>alert" not in page and "<img src=x" not in page and "<strong>Maynas" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_csv_writes_a_region_named_like_a_formula_as_text(client, auth, users):
    record(users, title="Amenaza", date=date(2024, 5, 10), latitude=None, longitude=None, admin1="=HYPERLINK(1)")
    auth.login("reviewer")
    rows = list(csv.reader(io.StringIO(export(client, "csv").decode("utf-8"))))
    keys = {key for _section, dimension, key, _count in rows[1:] if dimension == "admin1"}
    assert keys == {"'=HYPERLINK(1)"}


def test_charts_draw_a_text_search_with_dollars_as_typed(client, auth, hostile):
    """matplotlib typesets text between dollar signs as a formula, and fails on a bad one."""
    auth.login("reviewer")
    search = r"$\frac$ y $5 o $6"
    query = {"from": "2024-01-01", "to": "2024-12-31", "kind": "violation", "q": search}
    response = client.get("/reports/chart/protection.svg", query_string=query)
    assert response.status_code == 200
    assert "“$\\frac$ y $5 o $6”" in " ".join(response.text.split())
