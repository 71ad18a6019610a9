"""The DOCX and XLSX reports open in LibreOffice: each is converted headless to PDF and to the
OpenDocument format (ODT/ODS), and the converted text is read back for the report's headings and
figures. A file LibreOffice cannot load gives no output file (soffice often still exits 0).

Conversion does not depend on the database, so this runs on SQLite only (an `app` fixture of
its own, not conftest's, which would run it on PostgreSQL too). Without LibreOffice (`soffice`)
it is skipped, or fails under TRACKER_REQUIRE_ALL=1.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from docx import Document

from tests.report_scenario import PERIOD, build_scenario
from tests.support import EXPECTED, HEADINGS, make_app, missing, schema_created
from tracker.counts.service import build_report
from tracker.filters import IncidentFilter
from tracker.reports.exports import export_report
from tracker.reports.scores import civicus_score

TIMEOUT = 120  # seconds per conversion; a first start of LibreOffice takes a few
ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


@pytest.fixture
def app(tmp_path):
    with schema_created(make_app(f"sqlite:///{tmp_path / 'test.db'}", tmp_path / "instance")) as app:
        yield app


@pytest.fixture(scope="module")
def soffice():
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        missing("LibreOffice (soffice)")
    return path


@pytest.fixture
def files(users, tmp_path):
    """The scenario's report as report.docx and report.xlsx (one scenario for both formats)."""
    build_scenario(users["monitor"], users["reviewer"])
    reviewer = users["reviewer"]
    report = build_report(*PERIOD, IncidentFilter(), reviewer)
    folder = tmp_path / "exports"
    folder.mkdir()
    docx = folder / "report.docx"
    docx.write_bytes(export_report(report, "docx", reviewer, "en", civicus_score(40)))
    xlsx = folder / "report.xlsx"
    xlsx.write_bytes(export_report(report, "xlsx", reviewer, "en"))
    return docx, xlsx


def convert(soffice: str, tmp_path: Path, target: str, *sources: Path) -> list[Path]:
    """Convert `sources` with headless LibreOffice to format `target`; the converted files.

    A profile folder of its own per call keeps parallel runs (and the user's own LibreOffice)
    apart; without it a second soffice hands its work to the first one and returns at once."""
    profile = tmp_path / f"lo-profile-{target}"
    out = tmp_path / f"converted-{target}"
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        target,
        "--outdir",
        str(out),
        *map(str, sources),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"LibreOffice took more than {TIMEOUT} s to convert to {target}")
    log = f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, log
    converted = [out / f"{source.stem}.{target}" for source in sources]
    for path in converted:
        assert path.is_file() and path.stat().st_size > 0, f"{path.name} was not written:\n{log}"
    return converted


def content_text(path: Path) -> str:
    """The text of an OpenDocument file: its content.xml without the markup, one space
    between paragraphs and cells (so that the cells "Incidents" and "18" read "Incidents 18")."""
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("content.xml").decode("utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", xml)).replace("&amp;", "&").strip()


def sheets(path: Path) -> dict[str, list[list[str]]]:
    """An ODS file's sheets: name -> rows of cell texts (trailing empty cells dropped)."""
    with zipfile.ZipFile(path) as archive:
        # our own report, converted by the local LibreOffice: not untrusted input
        root = ElementTree.fromstring(archive.read("content.xml"))  # noqa: S314
    result = {}
    for table in root.iter(f"{{{ODF_TABLE}}}table"):
        rows = []
        for row in table.iter(f"{{{ODF_TABLE}}}table-row"):
            cells = []
            for cell in row.findall(f"{{{ODF_TABLE}}}table-cell"):
                text = "\n".join("".join(p.itertext()) for p in cell.findall(f"{{{ODF_TEXT}}}p"))
                cells += [text] * int(cell.get(f"{{{ODF_TABLE}}}number-columns-repeated", "1"))
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                rows.append(cells)
        result[table.get(f"{{{ODF_TABLE}}}name")] = rows
    return result


def test_docx_and_xlsx_open_in_libreoffice(soffice, files, tmp_path):
    docx, xlsx = files

    pdfs = convert(soffice, tmp_path, "pdf", docx, xlsx)
    assert all(pdf.read_bytes().startswith(b"%PDF") for pdf in pdfs)

    (odt,) = convert(soffice, tmp_path, "odt", docx)
    text = content_text(odt)
    for heading in HEADINGS + ["Methodology"]:
        assert heading in text
    assert "Civic space incidents report" in text and "Contents" in text  # the title page, the table of contents
    assert "Score: 2.6 out of 5 (Repressed) — CIVICUS score 40/100, rebased" in text
    # each section's totals table starts with its incidents (as in test_reports_exports)
    assert re.findall(r"Figure Count Incidents (\d+)", text) == ["5", "8", "10", "18"]
    assert "Women defenders 9 10" in text
    assert "Juan Ficticio" in text
    with zipfile.ZipFile(odt) as archive:  # every chart came through
        pictures = [name for name in archive.namelist() if name.startswith("Pictures/")]
    assert len(pictures) == len(Document(str(docx)).inline_shapes) >= 8

    (ods,) = convert(soffice, tmp_path, "ods", xlsx)
    book = sheets(ods)
    assert list(book) == ["Report", "1.1", "1.2", "1.3", "protection", "Persons at risk", "Incidents"]
    for key, dims in EXPECTED.items():
        cells = {(row[0], row[2]): int(row[4]) for row in book[key][1:]}  # codes, then the count
        assert cells == {(d, k): n for d, counts in dims.items() for k, n in counts.items()}
    incidents = book["Incidents"][1:]
    assert len(incidents) == 33
    assert any("Juan Ficticio" in row[-1] for row in incidents)
