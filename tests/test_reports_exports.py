"""Report exports read back: CSV, Markdown, DOCX (python-docx) and XLSX (openpyxl) carry the
report's figures; the CLI writes them and the audit log records each export."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from tests.report_scenario import PERIOD, build_scenario
from tests.support import EXPECTED, HEADINGS
from tracker.counts.service import build_report
from tracker.exchange.exporter import Export
from tracker.extensions import db
from tracker.filters import IncidentFilter, parse_filters
from tracker.models import AuditEntry
from tracker.reports.exports import export_report
from tracker.reports.scores import civicus_score


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


def test_exports(report, users):
    """One scenario, every format (building the scenario is the slow part)."""
    reviewer = users["reviewer"]
    rows = list(csv.reader(io.StringIO(export_report(report, "csv", reviewer, "en").decode())))
    assert rows[0] == ["section", "dimension", "key", "count"]
    assert {(s, d, k): int(n) for s, d, k, n in rows[1:]} == expected_tidy()
    assert len(rows) - 1 == len(expected_tidy())

    markdown = export_report(report, "md", reviewer, "en", civicus_score(40)).decode()
    assert [line[2:] for line in markdown.splitlines() if line.startswith("# ")] == [HEADINGS[0]]
    assert [line[3:] for line in markdown.splitlines() if line.startswith("## ")] == HEADINGS[1:] + ["Methodology"]
    assert "Score: 2.6 (Repressed)" in markdown
    assert "| Incidents | 18 |" in markdown and "| Women defenders | 9 | 10 |" in markdown
    assert "all of them in Loreto and Ucayali" in markdown
    assert "Only incidents with status Verified, Published are counted." in markdown
    assert "Incidents: 33. Sources: 35." in markdown
    assert "Juan Ficticio" in markdown  # reviewers may see names
    assert "## 1.1 Libertad de asociación" in export_report(report, "md", reviewer, "es").decode()

    doc = Document(io.BytesIO(export_report(report, "docx", reviewer, "en")))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert [h for h in headings if h in HEADINGS] == HEADINGS
    totals = [t for t in doc.tables if t.rows[0].cells[0].text == "Figure" and len(t.rows) == 6]
    assert [[c.text for c in t.rows[1].cells] for t in totals] == [
        ["Incidents", "5"],
        ["Incidents", "8"],
        ["Incidents", "10"],
        ["Incidents", "18"],
    ]
    assert len(doc.inline_shapes) == 8  # a bar chart and a trend per section

    book = load_workbook(io.BytesIO(export_report(report, "xlsx", reviewer, "en")))
    assert book.sheetnames == ["1.1", "1.2", "1.3", "protection", "Incidents"]
    for key, dims in EXPECTED.items():
        cells = {(r[0], r[1] or ""): r[3] for r in book[key].iter_rows(min_row=2, values_only=True)}
        assert cells == {(d, k): n for d, counts in dims.items() for k, n in counts.items()}
    incidents = list(book["Incidents"].iter_rows(min_row=2, values_only=True))
    assert len(incidents) == 33
    assert any("Juan Ficticio" in (row[-1] or "") for row in incidents)

    # the canonical CSV export (tracker export) of a section's link lists as many incidents
    for section in report.sections:
        export = Export("csv", parse_filters(MultiDict(report.list_args(section.key)))[0])
        assert export.write_to(io.BytesIO()) == section.totals["incidents"]

    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert [e.details["format"] for e in entries] == ["csv", "md", "md", "docx", "xlsx"] + ["csv"] * 4
    assert all("Ficticio" not in str(e.details) for e in entries)


def test_xlsx_of_an_author_has_no_names(users):
    build_scenario(users["monitor"], users["reviewer"])
    author = users["author"]
    report = build_report(*PERIOD, IncidentFilter(), author)
    book = load_workbook(io.BytesIO(export_report(report, "xlsx", author, "en")))
    rows = list(book["Incidents"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 33 and all(not row[-1] and not row[8] for row in rows)  # no names, no exact place
    markdown = export_report(report, "md", author, "en").decode()
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
    docx_out = tmp_path / "report.docx"
    result = runner.invoke(
        args=[
            "report",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--format",
            "docx",
            "-o",
            str(docx_out),
            "--score",
            "40",
            "--lang",
            "es",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Puntaje: 2.6 (Represivo)" in [p.text for p in Document(str(docx_out)).paragraphs]


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
