"""The report as a workbook: a first sheet that says what it counts (the title page and the
methodology), a sheet of figures per section and the incidents behind them.

Codes stay for machines, each in a column headed as a code column ("status (code)"), with a
column of labels in the reader's language beside it."""

from __future__ import annotations

from io import BytesIO

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..counts.model import DIMENSIONS, TOTAL_KEYS, Report
from ..extensions import db
from ..filters import filtered_incidents
from ..i18n import term_label
from ..models import Incident
from ..security import incident_access
from ..taxonomy import DATE_PRECISIONS, PERPETRATOR_TYPES, STATUSES, VICTIM_GROUPS, VIOLATIONS, Term
from .outline import (
    dimension_titles,
    front_matter,
    group_label,
    key_label,
    methodology,
    persons_titles,
    total_titles,
)
from .scores import Score


def code_column(name: str) -> str:
    """The header of a column of codes: "status (code)" / "status (código)"."""
    return _("%(column)s (code)", column=name)


def xlsx_file(report: Report, user, locale: str, score: Score | None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    front = front_matter(report, locale)
    with force_locale(locale):
        about = book.create_sheet(_("Report"))  # the methodology repeats the title page's lines
        lines = [front.title, front.subtitle] + ([score.heading()] if score else [])
        for text in lines + [block.text for block in methodology(report, score)[1:]]:
            _append(about, [text])
        _section_sheets(book, report)
        _persons_sheets(book, report)
        _incident_sheet(book.create_sheet(_("Incidents")), report, user)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _section_sheets(book, report: Report) -> None:
    totals, titles = total_titles(), dimension_titles()
    header = [
        code_column("dimension"),
        _("Dimension"),
        code_column("key"),
        _("Label"),
        _("Incidents"),
        _("Persons"),
        _("Previous period"),
    ]
    for section in report.sections:
        sheet = book.create_sheet(section.key)
        _append(sheet, header)
        for key in TOTAL_KEYS:
            before = (section.previous_totals or {}).get(key)
            _append(sheet, ["total", _("Total"), key, totals[key], section.totals[key], None, before])
        for dimension in DIMENSIONS:
            for row in section.breakdowns[dimension]:
                label = key_label(dimension, row.key)
                _append(sheet, [dimension, titles[dimension], row.key, label, row.count, row.persons, row.previous])


def _persons_sheets(book, report: Report) -> None:
    """The persons at risk and the requests for protection (the protection section's), with the
    same codes as the report's CSV rows."""
    header = [
        code_column("dimension"),
        _("Dimension"),
        code_column("key"),
        _("Label"),
        _("Count"),
        _("Previous period"),
    ]
    titles = persons_titles()
    dimensions = {
        "persons": _("Persons at risk"),
        "persons_admin1": _("Persons at risk by department"),
        "persons_region_group": _("Persons at risk by region group"),
        "requests": _("Requests for protection"),
    }
    for figures in (s.persons for s in report.sections if s.persons):
        sheet = book.create_sheet(_("Persons at risk"))  # the protection section's: only it has them
        _append(sheet, header)
        rows = [
            ("persons", figures.at_risk, titles["at_risk"]),
            *(("persons_admin1", r, key_label("admin1", r.key)) for r in figures.by_admin1),
            *(("persons_region_group", r, group_label(figures, r.key)) for r in figures.by_region_group),
            ("persons", figures.repeat, titles["repeat"]),
            *(("requests", r, titles[r.key]) for r in figures.requests),
        ]
        for dimension, row, label in rows:
            _append(sheet, [dimension, dimensions[dimension], row.key, label, row.count, row.previous])
        _append(
            sheet,
            [
                "requests",
                dimensions["requests"],
                "median_days",
                titles["median_days"],
                figures.median_days,
                figures.previous_median_days,
            ],
        )


def _append(sheet, values: list) -> None:
    """Add a row whose text stays text: openpyxl stores a string starting with "=" as a
    formula, and an incident titled `=HYPERLINK(…)` would run in the reader's spreadsheet."""
    from openpyxl.cell import Cell

    def text(value: str) -> Cell:
        cell = Cell(sheet, value=value)
        cell.data_type = "s"
        return cell

    sheet.append([text(value) if isinstance(value, str) else value for value in values])


def _labels(terms: dict[str, Term], codes: list[str]) -> str:
    return "; ".join(term_label(terms, code) for code in codes)


def _incident_sheet(sheet, report: Report, user) -> None:
    """The incidents behind the report that `user` may see; place and names only where
    their access allows (security.incident_access)."""
    _append(
        sheet,
        [
            _("Reference"),
            _("Date"),
            _("Date precision"),
            code_column("date_precision"),
            _("Title"),
            _("Status"),
            code_column("status"),
            _("Department"),
            _("Province"),
            _("District"),
            _("Place"),
            _("Violations"),
            code_column("violations"),
            _("Victim groups"),
            code_column("victim_groups"),
            _("Victims"),
            _("Perpetrators"),
            code_column("perpetrators"),
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
        groups, perpetrators = [v.group for v in victims], [p.type for p in incident.perpetrators]
        _append(
            sheet,
            [
                incident.ref,
                incident.date,
                term_label(DATE_PRECISIONS, incident.date_precision),
                incident.date_precision,
                incident.title,
                term_label(STATUSES, incident.status),
                incident.status,
                incident.admin1,
                incident.admin2,
                incident.admin3,
                incident.place if access.exact_location else "",
                _labels(VIOLATIONS, incident.violation_codes),
                ";".join(incident.violation_codes),
                _labels(VICTIM_GROUPS, groups),
                ";".join(groups),
                sum(v.count for v in victims),
                _labels(PERPETRATOR_TYPES, perpetrators),
                ";".join(perpetrators),
                incident.killed,
                incident.injured,
                incident.detained,
                ";".join(v.name for v in victims if v.name) if access.identities else "",
            ],
        )
