"""Choropleth images: incident counts per region drawn on the imported boundaries as a PNG or
SVG file with a title, the period (and the filters, when the caller gives them), a legend and
the credits (the tracker with the date, the boundaries' source), so the image still says what it
shows once it is pasted into a report. The map page's download (tracker/maps/choropleth.py) and
the reports' region chart both draw with `choropleth_image`.

geopandas and matplotlib are imported inside the functions (matplotlib with the Agg backend),
so the web app pays for them only when an image is asked for.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from ..i18n import term_label
from ..taxonomy import STATUSES
from .names import name_key
from .service import boundary_sources, outlines_geojson
from .spatial import fingerprints

# Simplification of the outlines drawn, in degrees, per level (finer for provinces).
OUTLINE_TOLERANCE = {"admin1": 0.01, "admin2": 0.005}
IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
# Light to dark, as the map page fills its regions (static/js/map.js), so both look alike.
COLOURS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
NO_INCIDENTS = "#ffffff"
BORDER = "#445566"
LINE_LENGTHS = {"title": 55, "subtitle": 90, "source": 110}  # characters that fit the figure's width
CREDIT_LINE_HEIGHT = 0.017  # of the figure's height, for one line of the credits


@dataclass(frozen=True)
class MapText:
    title: str
    period: str
    source: str  # `source_text`
    filters: str = ""  # the other filters in words (tracker/maps/captions.py); "" when not said


def has_boundaries(level: str) -> bool:
    """Whether a choropleth of `level` can be drawn (its boundaries are imported)."""
    return level in fingerprints()


def missing_boundaries_message() -> str:
    return _(
        "No region boundaries are imported, so there is no map to draw. "
        "An administrator can import them with “tracker regions import”."
    )


def period_text(start: date | None, end: date | None) -> str:
    """The period counted, for the subtitle; open ends are said as such."""
    if start and end:
        return _("Period: %(start)s to %(end)s.", start=format_date(start, "long"), end=format_date(end, "long"))
    if start:
        return _("Period: from %(start)s.", start=format_date(start, "long"))
    if end:
        return _("Period: until %(end)s.", end=format_date(end, "long"))
    return _("Period: all dates.")


def source_text(statuses: Sequence[str], generated: date) -> str:
    """Where the figures come from; no statuses means whatever the reader may see."""
    app, when = _("Civic space tracker"), format_date(generated, "long")
    if not statuses:
        return _(
            "Source: %(app)s, incidents of any status the reader may see; generated on %(date)s.", app=app, date=when
        )
    return _(
        "Source: %(app)s, incidents with status %(statuses)s; generated on %(date)s.",
        app=app,
        statuses=", ".join(term_label(STATUSES, s) for s in statuses),
        date=when,
    )


def boundaries_text(level: str) -> str:
    """Credit for the boundaries a map of `level` is drawn on; "" if their import named no source."""
    sources = boundary_sources(level)
    return _("Boundaries: %(source)s.", source="; ".join(sources)) if sources else ""


def class_breaks(maximum: int) -> list[int]:
    """Upper bounds of up to five equal-width classes over 1..maximum (fewer when maximum is
    small), as the map page's legend has them."""
    breaks: list[int] = []
    for i in range(1, len(COLOURS) + 1):
        upper = -(-maximum * i // len(COLOURS))
        if upper > 0 and upper not in breaks:
            breaks.append(upper)
    return breaks


def class_colour(count: int, breaks: Sequence[int]) -> str:
    """The fill of a region with `count` incidents: white for none, the darkest for the top class."""
    if not count:
        return NO_INCIDENTS
    index = next(i for i, upper in enumerate(breaks) if count <= upper)
    return COLOURS[len(COLOURS) - len(breaks) + index]


def counted_regions(counts: Mapping[str, int], level: str):
    """The simplified boundaries of `level` as a GeoDataFrame (columns name, key, count,
    geometry), or None without boundaries. Names are matched by `name_key`, so counts under a
    typed "APURIMAC" land in the region "Apurímac"; names no boundary has are left out."""
    import geopandas

    features = outlines_geojson(level, OUTLINE_TOLERANCE[level])["features"]
    if not features:
        return None
    by_key: Counter[str] = Counter()
    for name, count in counts.items():
        by_key[name_key(name)] += count
    frame = geopandas.GeoDataFrame.from_features(features, crs="EPSG:4326")
    frame["key"] = [name_key(name) for name in frame["name"]]
    frame["count"] = [by_key[key] for key in frame["key"]]
    return frame


def choropleth_image(counts: Mapping[str, int], level: str, text: MapText, fmt: str = "png") -> bytes | None:
    """`counts` (region name → incidents) as a map image in `fmt` ("png" or "svg"); None
    when no boundaries of `level` are imported."""
    fig = choropleth_figure(counts, level, text)
    return None if fig is None else save_figure(fig, fmt)


def choropleth_figure(counts: Mapping[str, int], level: str, text: MapText):
    """The matplotlib Figure `choropleth_image` saves: the regions filled by class under a title
    and a subtitle (period and incidents shown, then the filters), a legend, the credits below."""
    frame = counted_regions(counts, level)
    if frame is None:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    breaks = class_breaks(int(frame["count"].max()))
    credits = "\n".join(
        textwrap.fill(line, LINE_LENGTHS["source"]) for line in (text.source, boundaries_text(level)) if line
    )
    foot = 0.01 + CREDIT_LINE_HEIGHT * (credits.count("\n") + 1)
    # constrained layout, with room for the credits below
    fig = Figure(figsize=(6.4, 8), dpi=110, layout=ConstrainedLayoutEngine(rect=(0, foot, 1, 1 - foot)))
    ax = fig.subplots()
    frame.plot(ax=ax, color=[class_colour(n, breaks) for n in frame["count"]], edgecolor=BORDER, linewidth=0.4)
    ax.set_axis_off()
    fig.suptitle(textwrap.fill(text.title, LINE_LENGTHS["title"]), fontsize=12, fontweight="bold")
    # counts are per name: a name drawn as several features counts once
    total = int(frame.drop_duplicates("key")["count"].sum())
    shown = ngettext("%(num)d incident on the map.", "%(num)d incidents on the map.", total)
    lines = [f"{text.period} {shown}", text.filters]
    ax.set_title("\n".join(textwrap.fill(line, LINE_LENGTHS["subtitle"]) for line in lines if line), fontsize=9)
    ax.legend(
        handles=_legend_entries(breaks),
        title=_("Incidents"),
        loc="lower left",
        fontsize=8,
        title_fontsize=9,
        frameon=False,
    )
    fig.text(0.01, 0.01, credits, fontsize=7, color="#555555")
    return fig


def _legend_entries(breaks: Sequence[int]) -> list:
    """ "0", then one entry per class: "1–3", "4–5", … ("4" for a class of one number)."""
    from matplotlib.patches import Patch

    bounds = [(0, 0)] + [(previous + 1, upper) for previous, upper in zip([0, *breaks], breaks, strict=False)]
    return [
        Patch(
            facecolor=class_colour(upper, breaks),
            edgecolor=BORDER,
            linewidth=0.4,
            label=str(upper) if start == upper else f"{start}–{upper}",
        )
        for start, upper in bounds
    ]


def save_figure(fig, fmt: str) -> bytes:
    """A matplotlib figure as PNG or SVG bytes; SVG text stays text, so titles and legends
    can be searched, selected and edited."""
    import matplotlib

    out = BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(out, format=fmt)
    return out.getvalue()
