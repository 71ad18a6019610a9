"""The words a downloaded map carries (the PNG, SVG and HTML of the map page's download menu),
so that it still says what it shows once pasted into a report or sent on: a title, the period
and the filters in words, and the credits. In the reader's language, public or signed in."""

from __future__ import annotations

import html
import re

from flask_babel import gettext as _

from ..filter_words import filters_sentence
from ..filters import IncidentFilter
from ..location_privacy import public_filters
from ..regions.choropleth_image import MapText, boundaries_text, period_text, source_text
from ..timeutil import utcnow

TAG = re.compile(r"<[^>]*>")


def map_text(filters: IncidentFilter, level: str, public: bool) -> MapText:
    """Title, period, filters and source line of the map of `level` drawn for these filters;
    the public's map counts published incidents only, and says so, without a text search."""
    if public:
        filters = public_filters(filters)
    title = _("Incidents by department") if level == "admin1" else _("Incidents by province")
    statuses = ("published",) if public else filters.status
    return MapText(
        title,
        period_text(filters.date_from, filters.date_to),
        source_text(statuses, utcnow()),
        filters_sentence(filters, leave_out=("from", "to", "status")),  # the period and source lines say those
    )


def credit_lines(text: MapText, level: str, tile_attribution: str = "") -> list[str]:
    """The credits of a map, one line each: the tracker, the boundaries' source, the tiles'
    attribution (operators write it as HTML for Leaflet: here it is plain text)."""
    tiles = " ".join(html.unescape(TAG.sub(" ", tile_attribution)).split())
    lines = [text.source, boundaries_text(level), _("Map tiles: %(attribution)s.", attribution=tiles) if tiles else ""]
    return [line for line in lines if line]
