"""Writing a report as CSV (tidy long format), Markdown (a zip with its images), DOCX and XLSX.
Every export is written to the audit log (period, filters, format and counts; never names)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from io import StringIO

from .. import audit
from ..cells import neutralise
from ..counts.model import DIMENSIONS, TOTAL_KEYS, ProtectionFigures, Report
from ..extensions import db
from .docx_file import docx_file
from .markdown_file import markdown_zip
from .scores import Score
from .xlsx_file import xlsx_file

# format -> (MIME type, file extension)
FORMATS = {
    "md": ("application/zip", "zip"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
FORMAT_NAMES = {"md": "Markdown (ZIP)", "docx": "DOCX", "xlsx": "XLSX", "csv": "CSV"}  # the download buttons
CSV_HEADER = ("section", "dimension", "key", "count")


def export_report(report: Report, fmt: str, user, locale: str, score: Score | None = None, target: str = "") -> bytes:
    """The report as a file of format `fmt`; records the export in the audit log."""
    data = WRITERS[fmt](report, user, locale, score)
    audit.record(
        "export",
        target[:120],
        user=user,
        format=fmt,
        kind="report",
        period=[report.period_from.isoformat(), report.period_to.isoformat()],
        filters=report.filters.to_args(),
        incidents=report.incidents,
        **_restricted(report),
    )
    db.session.commit()
    return data


def _restricted(report: Report) -> dict[str, list[str]]:
    """The kinds of restricted field the report's list of killings carries: defenders' names,
    and places that only some readers may see (no place is listed for the others)."""
    killings = [k for section in report.sections for k in section.killings]
    kinds = []
    if any(k.names for k in killings):
        kinds.append(audit.IDENTITIES)
    if any(k.place for k in killings):
        kinds.append(audit.EXACT_LOCATION)
    return {"fields": kinds} if kinds else {}


def tidy_rows(report: Report) -> Iterator[tuple[str, str, str, int | float | str]]:
    """(section, dimension, key, count): totals first, then every breakdown, then (protection)
    the persons at risk and the requests; the median days to a decision is a count of days,
    maybe with a half, and empty when no request was decided."""
    for section in report.sections:
        for key in TOTAL_KEYS:
            yield section.key, "total", key, section.totals[key]
        for dimension in DIMENSIONS:
            for row in section.breakdowns[dimension]:
                yield section.key, dimension, row.key, row.count
        if figures := section.persons:
            yield from _persons_rows(section.key, figures)


def _persons_rows(section: str, figures: ProtectionFigures) -> Iterator[tuple[str, str, str, int | float | str]]:
    yield section, "persons", "at_risk", figures.at_risk.count
    for row in figures.by_admin1:
        yield section, "persons_admin1", row.key, row.count
    for row in figures.by_region_group:
        yield section, "persons_region_group", row.key, row.count
    yield section, "persons", "repeat", figures.repeat.count
    for row in figures.requests:
        yield section, "requests", row.key, row.count
    yield section, "requests", "median_days", "" if figures.median_days is None else figures.median_days


def to_csv(report: Report, user, locale: str, score: Score | None) -> bytes:
    out = StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    # a key may be a region name as typed: a spreadsheet must not take it for a formula
    writer.writerows((section, dimension, neutralise(key), n) for section, dimension, key, n in tidy_rows(report))
    return out.getvalue().encode("utf-8")


WRITERS = {"csv": to_csv, "md": markdown_zip, "docx": docx_file, "xlsx": xlsx_file}
