"""Writing a report as CSV (tidy long format), Markdown, DOCX and XLSX. Every export is
written to the audit log (period, filters, format and counts; never names)."""

from __future__ import annotations

import base64
import csv
import re
from collections.abc import Iterator
from io import BytesIO, StringIO

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .. import audit
from ..cells import neutralise
from ..counts.model import DIMENSIONS, TOTAL_KEYS, Report
from ..extensions import db
from ..filters import filtered_incidents
from ..i18n import term_label
from ..models import Incident
from ..regions.choropleth_image import MapText, period_text, source_text
from ..security import incident_access
from ..taxonomy import VIOLATIONS
from .charts import CHARTS, chart_image, region_chart
from .outline import Block, build_outline, dimension_titles, key_label, total_titles
from .scores import Score

# format -> (MIME type, file extension)
FORMATS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
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


def tidy_rows(report: Report) -> Iterator[tuple[str, str, str, int]]:
    """(section, dimension, key, count): totals first, then every breakdown."""
    for section in report.sections:
        for key in TOTAL_KEYS:
            yield section.key, "total", key, section.totals[key]
        for dimension in DIMENSIONS:
            for row in section.breakdowns[dimension]:
                yield section.key, dimension, row.key, row.count


def to_csv(report: Report, user, locale: str, score: Score | None) -> bytes:
    out = StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    # a key may be a region name as typed: a spreadsheet must not take it for a formula
    writer.writerows((section, dimension, neutralise(key), n) for section, dimension, key, n in tidy_rows(report))
    return out.getvalue().encode("utf-8")


# Inline Markdown and HTML syntax; what opens a list, quote or heading at the start of a paragraph.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&~|])")
_MD_BLOCK_START = re.compile(r"^([#+-])")


def _md_text(text: str) -> str:
    """Outline text (which holds region names, places and victims' names) as Markdown that
    shows it as written: `[x](javascript:…)`, `<script>` or `**` stay characters, never a
    link, HTML or emphasis, and a line break cannot start a heading or leave a table row."""
    return _MD_INLINE.sub(r"\\\1", " ".join(text.splitlines()))


def _md_paragraph(text: str) -> str:
    return _MD_BLOCK_START.sub(r"\\\1", _md_text(text))


def _md_image(alt: str, png: bytes) -> str:
    alt = alt.replace("[", "(").replace("]", ")")
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def to_markdown(report: Report, user, locale: str, score: Score | None) -> bytes:
    """Tables carry the figures; of the charts only the map, which a table cannot show, is
    embedded (as a data: URI, so the file stays one self-contained document)."""
    lines: list[str] = []
    with force_locale(locale):
        for block in build_outline(report, locale, score, charts=("region",)):
            if block.kind == "heading":
                lines += ["#" * block.level + " " + _md_text(block.text), ""]
            elif block.kind == "paragraph":
                lines += [_md_paragraph(block.text), ""]
            elif block.kind == "table":
                lines.append("| " + " | ".join(map(_md_text, block.headers)) + " |")
                lines.append("|" + "|".join("---" for _ in block.headers) + "|")
                lines += ["| " + " | ".join(map(_md_text, row)) + " |" for row in block.rows]
                lines.append("")
            elif image := chart_for(report, block, locale):
                lines += [_md_image(chart_title(report, block, locale), image), ""]
    return "\n".join(lines).encode("utf-8")


def chart_title(report: Report, block: Block, locale: str) -> str:
    key, kind = block.chart
    return f"{report.section(key).spec.label(locale)}: {dimension_titles()[CHARTS[kind]]}"


def chart_for(report: Report, block: Block, locale: str, fmt: str = "png") -> bytes | None:
    """A chart block as an image in `fmt` ("png" or "svg"); None for the map while no
    departments are imported, so documents leave it out."""
    key, kind = block.chart
    section, title = report.section(key), chart_title(report, block, locale)
    if kind == "region":
        text = MapText(
            title, period_text(report.period_from, report.period_to), source_text(report.statuses, report.generated_on)
        )
        return region_chart(section, text, fmt)
    labels = {code: term_label(VIOLATIONS, code) for code in VIOLATIONS} if kind == "violation" else {}
    return chart_image(section, kind, labels, title, (report.period_from, report.period_to), fmt)


def to_docx(report: Report, user, locale: str, score: Score | None) -> bytes:
    from docx import Document
    from docx.shared import Inches

    doc = Document()
    with force_locale(locale):
        for block in build_outline(report, locale, score, charts=CHARTS):
            if block.kind == "heading":
                doc.add_heading(block.text, block.level)
            elif block.kind == "paragraph":
                doc.add_paragraph(block.text)
            elif block.kind == "chart":
                if image := chart_for(report, block, locale):
                    doc.add_picture(BytesIO(image), width=Inches(6))
            else:
                table = doc.add_table(rows=1, cols=len(block.headers), style="Table Grid")
                for cell, text in zip(table.rows[0].cells, block.headers, strict=True):
                    cell.text = text
                for row in block.rows:
                    for cell, text in zip(table.add_row().cells, row, strict=False):
                        cell.text = text
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def to_xlsx(report: Report, user, locale: str, score: Score | None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    with force_locale(locale):
        totals, titles = total_titles(), dimension_titles()
        for section in report.sections:
            sheet = book.create_sheet(section.key)
            _append(sheet, [_("Dimension"), _("Key"), _("Label"), _("Incidents"), _("Persons"), _("Previous period")])
            for key in TOTAL_KEYS:
                before = (section.previous_totals or {}).get(key)
                _append(sheet, ["total", key, totals[key], section.totals[key], None, before])
            for dimension in DIMENSIONS:
                for row in section.breakdowns[dimension]:
                    _append(
                        sheet,
                        [
                            dimension,
                            row.key,
                            f"{titles[dimension]}: {key_label(dimension, row.key)}",
                            row.count,
                            row.persons,
                            row.previous,
                        ],
                    )
        _incident_sheet(book.create_sheet(_("Incidents")), report, user)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _append(sheet, values: list) -> None:
    """Add a row whose text stays text: openpyxl stores a string starting with "=" as a
    formula, and an incident titled `=HYPERLINK(…)` would run in the reader's spreadsheet."""
    from openpyxl.cell import Cell

    def text(value: str) -> Cell:
        cell = Cell(sheet, value=value)
        cell.data_type = "s"
        return cell

    sheet.append([text(value) if isinstance(value, str) else value for value in values])


def _incident_sheet(sheet, report: Report, user) -> None:
    """The incidents behind the report that `user` may see; place and names only where
    their access allows (security.incident_access)."""
    _append(
        sheet,
        [
            _("Reference"),
            _("Date"),
            _("Date precision"),
            _("Title"),
            _("Status"),
            _("Department"),
            _("Province"),
            _("District"),
            _("Place"),
            _("Violations"),
            _("Victim groups"),
            _("Victims"),
            _("Perpetrators"),
            _("Killed"),
            _("Injured"),
            _("Detained"),
            _("Names"),
        ],
    )
    stmt = filtered_incidents(report.filters, user, "date_asc").options(
        selectinload(Incident.violations), selectinload(Incident.victims), selectinload(Incident.perpetrators)
    )
    for incident in db.session.scalars(stmt):
        access = incident_access(user, incident)
        victims = incident.victims
        _append(
            sheet,
            [
                incident.ref,
                incident.date,
                incident.date_precision,
                incident.title,
                incident.status,
                incident.admin1,
                incident.admin2,
                incident.admin3,
                incident.place if access.exact_location else "",
                ";".join(incident.violation_codes),
                ";".join(v.group for v in victims),
                sum(v.count for v in victims),
                ";".join(p.type for p in incident.perpetrators),
                incident.killed,
                incident.injured,
                incident.detained,
                ";".join(v.name for v in victims if v.name) if access.identities else "",
            ],
        )


WRITERS = {"csv": to_csv, "md": to_markdown, "docx": to_docx, "xlsx": to_xlsx}
