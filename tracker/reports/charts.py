"""Charts of a section, as PNG or SVG: incidents by violation code, the monthly trend and a
map by department (drawn by regions.choropleth_image). matplotlib is imported inside the
functions, with the Agg backend (no display on a server)."""

from __future__ import annotations

from datetime import date

from ..counts.model import SectionReport
from ..regions.choropleth_image import MapText, choropleth_image, save_figure

# chart kind -> the breakdown it draws
CHARTS = {"violation": "violation", "region": "admin1", "month": "month"}


def months_of(start: date, end: date) -> list[str]:
    """Every month of the period as YYYY-MM (a trend shows months without incidents as 0)."""
    first, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last + 1)]


def chart_image(
    section: SectionReport, kind: str, labels: dict[str, str], title: str, period: tuple[date, date], fmt: str = "png"
) -> bytes:
    """A bar chart ("violation") or trend ("month") in `fmt` ("png" or "svg"); `labels`:
    key → text to show (taxonomy labels in the reader's language)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rows = section.breakdowns[kind]
    fig = Figure(figsize=(7, 0.9 + 0.35 * max(len(rows), 3)) if kind == "violation" else (7, 3.2), dpi=110)
    ax = fig.subplots()
    if kind == "violation":
        ax.barh([labels.get(r.key, r.key) for r in reversed(rows)], [r.count for r in reversed(rows)], color="#0b5cad")
    else:
        counts, months = {r.key: r.count for r in rows}, months_of(*period)
        ax.plot(range(len(months)), [counts.get(m, 0) for m in months], marker="o", color="#0b5cad")
        step = max(1, len(months) // 12)  # at most ~12 labels, however long the period
        ax.set_xticks(range(0, len(months), step), months[::step])
        ax.set_ylim(bottom=0)
        ax.tick_params(axis="x", labelrotation=45)
    locator = (ax.xaxis if kind == "violation" else ax.yaxis).get_major_locator()
    if isinstance(locator, MaxNLocator):  # matplotlib's default (AutoLocator) is one
        locator.set_params(integer=True)  # incidents are whole
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return save_figure(fig, fmt)


def region_chart(section: SectionReport, text: MapText, fmt: str = "png") -> bytes | None:
    """The section's incidents by department as a map; None while no departments are imported."""
    counts = {row.key: row.count for row in section.breakdowns[CHARTS["region"]]}
    return choropleth_image(counts, CHARTS["region"], text, fmt)
