"""PNG charts of a section: incidents by violation code, and the monthly trend.
matplotlib is imported here only, with the Agg backend (no display on a server)."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from .model import SectionReport

CHARTS = ("violation", "month")


def months_of(start: date, end: date) -> list[str]:
    """Every month of the period as YYYY-MM (a trend shows months without incidents as 0)."""
    first, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last + 1)]


def chart_png(section: SectionReport, kind: str, labels: dict[str, str], title: str,
              period: tuple[date, date]) -> bytes:
    """`labels`: key → text to show (taxonomy labels in the reader's language)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

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
    (ax.xaxis if kind == "violation" else ax.yaxis).get_major_locator().set_params(integer=True)  # incidents are whole
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
