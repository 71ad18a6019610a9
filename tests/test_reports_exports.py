"""Report exports read back: CSV, Markdown (a zip with its images), DOCX (python-docx) and XLSX
(openpyxl) carry the report's figures and say, in the reader's language, what they count; the
CLI writes them and the audit log records each export."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from tests.report_scenario import PERIOD, build_scenario, unzip_markdown
from tests.support import EXPECTED, HEADINGS
from tracker.counts.service import build_report
from tracker.exchange.exporter import Export
from tracker.extensions import db
from tracker.filters import IncidentFilter, parse_filters
from tracker.models import AuditEntry
from tracker.reports.exports import export_report
from tracker.reports.scores import civicus_score

TITLE = "Civic space incidents report"
SCORE = "Score: 2.6 out of 5 (Repressed) — CIVICUS score 40/100, rebased"


@pytest.fixture
def report(users):
    build_scenario(users["monitor"], users["reviewer"])
    return build_report(*PERIOD, IncidentFilter(), users["reviewer"])


def expected_tidy() -> dict[tuple[str, str, str], int]:
    return {
        (section, dimension, key): count
        for section, dims in EXPECTED.items()
        for dimension, counts in dims.items()
        for key, count in counts.items()
    }


def rows_by_header(sheet) -> list[dict[str, object]]:
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def check_markdown(data: bytes) -> str:
    text, files = unzip_markdown(data)
    assert "base64" not in text and "data:" not in text
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == 8 and set(links) == set(files)  # a bar chart and a trend per section
    assert all(files[link].startswith(b"\x89PNG") for link in links)
    assert [line[2:] for line in text.splitlines() if line.startswith("# ")] == [TITLE, HEADINGS[0]]
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == HEADINGS[1:] + ["Methodology"]
    assert SCORE in text
    assert "| Incidents | 18 |" in text and "| Women defenders | 9 | 10 |" in text
    assert "all of them in Loreto and Ucayali" in text
    assert "Filters: none." in text and "Only incidents with status Verified or Published are counted." in text
    assert "33 incidents and 35 sources were counted." in text
    return text


def check_docx(data: bytes) -> None:
    doc = Document(io.BytesIO(data))
    paragraphs = doc.paragraphs
    assert (paragraphs[0].text, paragraphs[0].style.name) == (TITLE, "Title")
    assert (paragraphs[1].text, paragraphs[1].style.name) == ("Between January and December 2024", "Subtitle")
    title_page = [p.text for p in paragraphs[: [p.style.name for p in paragraphs].index("TOC Heading")]]
    for line in ("Filters: none.", "Only incidents with status Verified or Published are counted."):
        assert line in title_page
    assert any(line.startswith("Generated on ") for line in title_page)
    # the table of contents: a TOC field whose entries are written too
    body = doc.element.body.xml
    assert 'w:fldCharType="begin"' in body and "TOC \\o" in body and 'w:fldCharType="end"' in body
    contents = [p.text for p in paragraphs if p.style.name == "Normal"]
    start = contents.index(HEADINGS[0])
    assert contents[start : start + 6] == HEADINGS + ["Methodology"]
    assert doc.settings.element.find(qn("w:updateFields")) is not None
    headings = [p.text for p in paragraphs if p.style.name.startswith("Heading")]
    assert [h for h in headings if h in HEADINGS] == HEADINGS
    assert SCORE in [p.text for p in paragraphs]
    totals = [t for t in doc.tables if t.rows[0].cells[0].text == "Figure" and len(t.rows) == 6]
    assert [[c.text for c in t.rows[1].cells] for t in totals] == [
        ["Incidents", "5"],
        ["Incidents", "8"],
        ["Incidents", "10"],
        ["Incidents", "18"],
    ]
    assert len(doc.inline_shapes) == 8  # a bar chart and a trend per section


def check_xlsx(data: bytes) -> None:
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Report", "1.1", "1.2", "1.3", "protection", "Persons at risk", "Incidents"]
    about = [row[0] for row in book["Report"].iter_rows(values_only=True)]
    assert about[:2] == [TITLE, "Between January and December 2024"]
    assert "Filters: none." in about and "33 incidents and 35 sources were counted." in about
    for key, dims in EXPECTED.items():
        rows = rows_by_header(book[key])
        cells = {(r["dimension (code)"], r["key (code)"] or ""): r["Incidents"] for r in rows}
        assert cells == {(d, k): n for d, counts in dims.items() for k, n in counts.items()}
    labels = {
        (r["dimension (code)"], r["key (code)"]): (r["Dimension"], r["Label"]) for r in rows_by_header(book["1.2"])
    }
    assert labels["violation", "protest_ban"] == ("Violation", "Ban on a protest")
    assert labels["month", "2024-03"] == ("Month", "March 2024")
    assert labels["total", "incidents"] == ("Total", "Incidents")
    incidents = rows_by_header(book["Incidents"])
    assert len(incidents) == 33
    (first,) = [row for row in incidents if row["Title"] == "P1"]  # a published killing known to the day
    assert (first["Status"], first["status (code)"]) == ("Published", "published")
    assert (first["Date precision"], first["date_precision (code)"]) == ("Day", "day")
    assert (first["Violations"], first["violations (code)"]) == ("Killing", "killing")
    assert (first["Victim groups"], first["victim_groups (code)"]) == (
        "Environmental defender",
        "environmental_defender",
    )
    assert (first["Perpetrators"], first["perpetrators (code)"]) == ("Illegal logging", "illegal_logging")
    assert any("Juan Ficticio" in (row["Names"] or "") for row in incidents)


def test_exports(report, users):
    """One scenario, every format (building the scenario is the slow part)."""
    reviewer = users["reviewer"]
    rows = list(csv.reader(io.StringIO(export_report(report, "csv", reviewer, "en").decode())))
    assert rows[0] == ["section", "dimension", "key", "count"]
    persons = ("persons", "persons_admin1", "persons_region_group", "requests")  # tests/test_protection_figures.py
    tidy = [row for row in rows[1:] if row[1] not in persons]
    assert {(s, d, k): int(n) for s, d, k, n in tidy} == expected_tidy()
    assert len(tidy) == len(expected_tidy())
    assert ["protection", "persons", "at_risk", "24"] in rows  # no person named: each defender victim

    markdown = check_markdown(export_report(report, "md", reviewer, "en", civicus_score(40)))
    assert "Juan Ficticio" in markdown  # reviewers may see names
    check_docx(export_report(report, "docx", reviewer, "en", civicus_score(40)))
    check_xlsx(export_report(report, "xlsx", reviewer, "en"))

    # the canonical CSV export (tracker export) of a section's link lists as many incidents
    for section in report.sections:
        export = Export("csv", parse_filters(MultiDict(report.list_args(section.key)))[0])
        assert export.write_to(io.BytesIO()) == section.totals["incidents"]

    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert [e.details["format"] for e in entries] == ["csv", "md", "docx", "xlsx"] + ["csv"] * 4
    assert all("Ficticio" not in str(e.details) for e in entries)


@pytest.fixture
def puno(users):
    """The scenario's report on Puno: one protest (3 killed, 20 injured, none detained) and one
    attack on a woman defender."""
    build_scenario(users["monitor"], users["reviewer"])
    filters, _ = parse_filters(MultiDict([("admin1", "Puno")]))
    return build_report(*PERIOD, filters, users["reviewer"])


def document_texts(report, user, locale: str) -> dict[str, str]:
    """The Markdown, the DOCX paragraphs and the XLSX first sheet of a report, each as one text."""
    markdown, _ = unzip_markdown(export_report(report, "md", user, locale))
    docx = "\n".join(p.text for p in Document(io.BytesIO(export_report(report, "docx", user, locale))).paragraphs)
    book = load_workbook(io.BytesIO(export_report(report, "xlsx", user, locale)))
    xlsx = "\n".join(str(row[0]) for row in book.worksheets[0].iter_rows(values_only=True))
    return {"md": markdown, "docx": docx, "xlsx": xlsx}


def test_a_filtered_report_says_its_scope_in_english(puno, users):
    texts = document_texts(puno, users["reviewer"], "en")
    for fmt, text in texts.items():
        assert "Filters: Department: Puno." in text, fmt
        assert "admin1" not in text, fmt
    for fmt in ("md", "docx"):
        text = texts[fmt]
        assert (
            "Between January and December 2024, in Puno, at least 1 incident affecting freedom of peaceful "
            "assembly was recorded." in text
        ), fmt
        assert (
            "in Puno, in incidents affecting freedom of peaceful assembly, at least 3 people killed and 20 people"
            in text
        )
        assert "in Puno, at least 1 woman defender was attacked in 1 incident." in text
        assert "in Puno, no killings of human rights defenders were recorded." in text
        assert "at least 0" not in text and " 1 incidents" not in text


def test_a_filtered_report_says_its_scope_in_spanish(puno, users):
    texts = document_texts(puno, users["reviewer"], "es")
    for fmt, text in texts.items():
        assert "Filtros: Departamento: Puno." in text, fmt
        assert "Solo se cuentan los incidentes con estado Verificado o Publicado." in text, fmt
    for fmt in ("md", "docx"):
        text = texts[fmt]
        assert (
            "Entre enero y diciembre de 2024, en Puno, se registró al menos 1 incidente que afectó la libertad "
            "de reunión pacífica." in text
        ), fmt
        assert "al menos 3 personas fallecieron y 20 personas resultaron heridas." in text
        assert "en Puno, al menos 1 mujer defensora fue agredida en 1 incidente." in text
        assert "en Puno, no se registraron asesinatos de personas defensoras" in text
        assert "al menos 0" not in text
    book = load_workbook(io.BytesIO(export_report(puno, "xlsx", users["reviewer"], "es")))
    assert book.sheetnames[0] == "Informe" and book.sheetnames[-1] == "Incidentes"
    (incident,) = [r for r in rows_by_header(book["Incidentes"]) if r["Título"] == "A1"]
    assert (incident["Estado"], incident["status (código)"]) == ("Publicado", "published")
    assert "Muerte durante una protesta" in incident["Vulneraciones"]


def test_xlsx_of_an_author_has_no_names(users):
    build_scenario(users["monitor"], users["reviewer"])
    author = users["author"]
    report = build_report(*PERIOD, IncidentFilter(), author)
    book = load_workbook(io.BytesIO(export_report(report, "xlsx", author, "en")))
    rows = rows_by_header(book["Incidents"])
    assert len(rows) == 33 and all(not row["Names"] and not row["Place"] for row in rows)  # no names, no exact place
    markdown, _ = unzip_markdown(export_report(report, "md", author, "en"))
    assert "Ficticio" not in markdown and "restricted" in markdown


def test_cli_writes_the_report(users, runner, tmp_path):
    build_scenario(users["monitor"], users["reviewer"])
    out = tmp_path / "report.csv"
    result = runner.invoke(
        args=[
            "report",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--section",
            "protection",
            "--admin1",
            "Loreto",
            "--format",
            "csv",
            "-o",
            str(out),
            "--compare",
        ]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert ["protection", "total", "incidents", "5"] in rows and {r[0] for r in rows[1:]} == {"protection"}

    period = ["report", "--from", "2024-01-01", "--to", "2024-12-31"]
    folder = tmp_path / "markdown"
    folder.mkdir()
    result = runner.invoke(args=[*period, "--format", "md", "-o", str(folder / "report.md")])
    assert result.exit_code == 0, result.output
    text = (folder / "report.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links and all((folder / link).read_bytes().startswith(b"\x89PNG") for link in links)
    result = runner.invoke(args=[*period, "--format", "md", "-o", str(tmp_path / "report.zip")])
    assert result.exit_code == 0 and unzip_markdown((tmp_path / "report.zip").read_bytes())[0] == text

    docx_out = tmp_path / "report.docx"
    result = runner.invoke(args=[*period, "--format", "docx", "-o", str(docx_out), "--score", "40", "--lang", "es"])
    assert result.exit_code == 0, result.output
    paragraphs = [p.text for p in Document(str(docx_out)).paragraphs]
    assert "Puntaje: 2,6 sobre 5 (Represivo) — puntaje CIVICUS 40/100 reescalado" in paragraphs
    assert "Informe de incidentes en el espacio cívico" in paragraphs


def test_cli_refuses_a_report_without_a_period(app, runner, tmp_path):
    result = runner.invoke(args=["report", "--format", "md", "-o", str(tmp_path / "r.md")])
    assert result.exit_code != 0 and "--from and --to are required" in result.output
    result = runner.invoke(
        args=[
            "report",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--format",
            "md",
            "-o",
            str(tmp_path / "r.md"),
            "--score",
            "120",
        ]
    )
    assert result.exit_code != 0 and "between 0 and 100" in result.output
