"""Charts of a section, as PNG or SVG: incidents by violation code, the monthly trend and a
map by department (drawn by regions.choropleth_image). Each says what it shows: the section,
the period and the filters in words, and where the figures come from, wrapped to the width of
the figure, so a chart pasted into a report keeps its context. matplotlib is imported inside
the functions, with the Agg backend (no display on a server)."""

from __future__ import annotations

import textwrap
from datetime import date

from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _

from ..counts.model import Report, SectionReport
from ..filter_words import filters_sentence
from ..i18n import term_label
from ..regions.choropleth_image import MapText, choropleth_image, period_text, save_figure, source_text
from ..taxonomy import VIOLATIONS
from .scope import opening

# chart kind -> the breakdown it draws
CHARTS = {"violation": "violation", "region": "admin1", "month": "month"}
WIDTH = 7.0  # inches; the documents place charts 6 inches wide, the page scales them down
DPI = 110
FONT = {"title": 11.0, "caption": 8.0, "tick": 8.0}  # points
LINE = 1.35  # height of a line of text, in font sizes
CHAR_WIDTH = 0.62  # an average character of DejaVu Sans (matplotlib's font) is narrower, in ems


def wrapped(text: str, inches: float, points: float) -> str:
    """`text` broken into lines that fit `inches` at `points` (its own line breaks kept), as
    matplotlib shows it: a `$` stays a dollar sign and never starts a formula (a text search
    or a region name typed with dollars would otherwise be typeset, or fail to draw)."""
    columns = max(12, int(inches * 72 / (points * CHAR_WIDTH)))
    lines = ("\n".join(textwrap.wrap(line, columns)) or line for line in text.splitlines())
    return "\n".join(lines).replace("$", r"\$")


def months_of(start: date, end: date) -> list[str]:
    """Every month of the period as YYYY-MM (a trend shows months without incidents as 0)."""
    first, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last + 1)]


def month_label(key: str, skeleton: str = "yMMM") -> str:
    """ "2024-03" as "Mar 2024" / "mar 2024" ("yMMMM": "March 2024" / "marzo de 2024")."""
    year, month = map(int, key.split("-"))
    return format_skeleton(skeleton, date(year, month, 1), locale=str(get_locale()))


def chart_figure(section: SectionReport, kind: str, title: str, caption: str, period: tuple[date, date]):
    """A matplotlib Figure: a bar chart ("violation") or trend ("month") of the section, with
    `title` above and `caption` below, both wrapped to the figure's width."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    title = wrapped(title, WIDTH * 0.96, FONT["title"])
    caption = wrapped(caption, WIDTH * 0.96, FONT["caption"])
    text_height = LINE * (FONT["title"] * (title.count("\n") + 1) + FONT["caption"] * (caption.count("\n") + 1)) / 72
    rows = section.breakdowns[kind]
    plot_height = 0.5 + 0.38 * max(len(rows), 3) if kind == "violation" else 2.6
    fig = Figure(figsize=(WIDTH, plot_height + text_height), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    if kind == "violation":
        labels = [wrapped(term_label(VIOLATIONS, r.key), 2.4, FONT["tick"]) for r in reversed(rows)]
        ax.barh(labels, [r.count for r in reversed(rows)], color="#0b5cad")
    else:
        counts, months = {r.key: r.count for r in rows}, months_of(*period)
        ax.plot(range(len(months)), [counts.get(m, 0) for m in months], marker="o", color="#0b5cad")
        step = max(1, len(months) // 12)  # at most ~12 labels, however long the period
        ax.set_xticks(range(0, len(months), step), [month_label(m) for m in months[::step]])
        ax.set_ylim(bottom=0)
        ax.tick_params(axis="x", labelrotation=45)
    ax.tick_params(labelsize=FONT["tick"])
    locator = (ax.xaxis if kind == "violation" else ax.yaxis).get_major_locator()
    if isinstance(locator, MaxNLocator):  # matplotlib's default (AutoLocator) is one
        locator.set_params(integer=True)  # incidents are whole
    ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title, fontsize=FONT["title"])
    fig.supxlabel(caption, fontsize=FONT["caption"], color="#444444")
    return fig


def chart_title(report: Report, section_key: str, kind: str) -> str:
    what = {"violation": _("Incidents by violation"), "month": _("Incidents by month"), "region": _("Department")}
    return f"{report.section(section_key).spec.label(str(get_locale()))}: {what[kind]}"


def chart_for(report: Report, section_key: str, kind: str, fmt: str = "png") -> bytes | None:
    """A chart of the report in `fmt` ("png" or "svg"), in the current language; None for the
    map while no departments are imported, so documents leave it out."""
    section, title = report.section(section_key), chart_title(report, section_key, kind)
    source = source_text(report.statuses, report.generated_on)
    if kind == "region":
        period, filters = period_text(report.period_from, report.period_to), filters_sentence(report.filters)
        text = MapText(title, period, source, filters.replace("$", r"\$"))  # a dollar as `wrapped` keeps it
        counts = {row.key: row.count for row in section.breakdowns[CHARTS["region"]]}
        return choropleth_image(counts, CHARTS["region"], text, fmt)
    caption = f"{opening(report.period_from, report.period_to, report.filters)}.\n{source}"
    return save_figure(chart_figure(section, kind, title, caption, (report.period_from, report.period_to)), fmt)
