"""The words a downloaded map carries (the PNG, SVG and HTML of the map page's download menu),
so that it still says what it shows once pasted into a report or sent on: a title, the period
and the filters in words, and the credits. In the reader's language, public or signed in."""

from __future__ import annotations

import html
import re

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _

from ..filters import IncidentFilter
from ..i18n import select_locale, term_label
from ..location_privacy import public_filters
from ..regions.choropleth_image import MapText, boundaries_text, period_text, source_text
from ..taxonomy import CONFIDENCES, GENDERS, PERPETRATOR_TYPES, SECTION_BY_KEY, VICTIM_GROUPS, VIOLATIONS
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
        filters_text(filters),
    )


def filters_text(filters: IncidentFilter) -> str:
    """The filters besides the period and the statuses (the source line states those), in
    words: "Filters: Violation: Threat or Harassment; Department: Junín." or "Filters: none."."""
    locale = get_locale()
    said = [
        f"{label}: {format_list(values, style='or', locale=locale)}"
        for label, values in _filter_values(filters)
        if values
    ]
    return _("Filters: %(filters)s.", filters="; ".join(said) or _("none"))


def _filter_values(f: IncidentFilter) -> list[tuple[str, list[str]]]:
    """(label, values in words) per filter parameter, as the filter form and its chips say them
    (templates/_filters.html)."""
    locale, territories = select_locale(), get_locale().territories
    return [
        (_("Section"), [SECTION_BY_KEY[key].label(locale) for key in f.section]),
        (_("Violation"), [term_label(VIOLATIONS, code) for code in f.violation]),
        (_("Victim group"), [term_label(VICTIM_GROUPS, code) for code in f.victim_group]),
        (_("Gender"), [term_label(GENDERS, code) for code in f.gender]),
        (_("Perpetrator"), [term_label(PERPETRATOR_TYPES, code) for code in f.perpetrator]),
        (_("Country"), [territories.get(code, code) for code in f.country]),
        (_("Department"), f.admin1),
        (_("Province"), f.admin2),
        (_("Confidence"), [term_label(CONFIDENCES, code) for code in f.confidence]),
        (_("Text"), [f"“{f.q}”"] if f.q else []),
    ]


def credit_lines(text: MapText, level: str, tile_attribution: str = "") -> list[str]:
    """The credits of a map, one line each: the tracker, the boundaries' source, the tiles'
    attribution (operators write it as HTML for Leaflet: here it is plain text)."""
    tiles = " ".join(html.unescape(TAG.sub(" ", tile_attribution)).split())
    lines = [text.source, boundaries_text(level), _("Map tiles: %(attribution)s.", attribution=tiles) if tiles else ""]
    return [line for line in lines if line]
