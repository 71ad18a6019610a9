"""The report as a Word document: a title page (title, period, filters in words, the statuses
counted, the date), a table of contents, then the outline with every chart.

The table of contents is a Word TOC field whose entries are written too: a reader sees them at
once, Word offers to refresh them (with page numbers) on opening, and LibreOffice keeps them.
"""

from __future__ import annotations

from io import BytesIO

from flask_babel import force_locale
from flask_babel import gettext as _

from ..counts.model import Report
from .charts import CHARTS, chart_for
from .outline import Block, build_outline, front_matter
from .scores import Score

TOC_LEVELS = 2  # Principle 1 and its sections; the breakdowns' headings would crowd it


def docx_file(report: Report, user, locale: str, score: Score | None) -> bytes:
    """`user` is not needed: the report was built for them."""
    from docx import Document
    from docx.shared import Inches

    doc = Document()
    _title_page(doc, report, locale)
    with force_locale(locale):
        blocks = build_outline(report, locale, score, charts=CHARTS)
        doc.add_paragraph(_("Contents"), style="TOC Heading")
        _table_of_contents(doc, [b for b in blocks if b.kind == "heading" and b.level <= TOC_LEVELS])
        doc.add_page_break()
        for block in blocks:
            if block.kind == "heading":
                doc.add_heading(block.text, block.level)
            elif block.kind == "paragraph":
                doc.add_paragraph(block.text)
            elif block.kind == "chart":
                if image := chart_for(report, *block.chart):
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


def _title_page(doc, report: Report, locale: str) -> None:
    front = front_matter(report, locale)
    doc.core_properties.title = front.title
    doc.core_properties.subject = front.subtitle
    doc.core_properties.language = locale
    doc.add_paragraph(front.title, style="Title")
    doc.add_paragraph(front.subtitle, style="Subtitle")
    for line in front.lines:
        doc.add_paragraph(line)
    doc.add_page_break()


def _table_of_contents(doc, headings: list[Block]) -> None:
    """A TOC field over the headings of levels 1–TOC_LEVELS, its result already written: one
    paragraph per heading, indented by level. Word updates it when the document opens."""
    from docx.shared import Inches

    first = doc.add_paragraph()
    _field_char(first.add_run(), "begin")
    _instruction(first.add_run(), f' TOC \\o "1-{TOC_LEVELS}" \\h \\z \\u ')
    _field_char(first.add_run(), "separate")
    paragraph = first
    for i, heading in enumerate(headings):
        paragraph = first if i == 0 else doc.add_paragraph()
        paragraph.paragraph_format.left_indent = Inches(0.3 * (heading.level - 1))
        paragraph.add_run(heading.text)
    _field_char(paragraph.add_run(), "end")
    _update_fields_on_open(doc)


def _field_char(run, kind: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    run._r.append(element)


def _instruction(run, text: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement("w:instrText")
    element.set(qn("xml:space"), "preserve")
    element.text = text
    run._r.append(element)


def _update_fields_on_open(doc) -> None:
    """<w:updateFields w:val="true"/>, where the schema wants it in settings: before <w:compat>."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    settings = doc.settings.element
    element = OxmlElement("w:updateFields")
    element.set(qn("w:val"), "true")
    compat = settings.find(qn("w:compat"))
    if compat is not None:
        compat.addprevious(element)
    else:
        settings.append(element)
