"""Helpers templates use: taxonomy labels in the current language, role checks, dates
shown with their precision, links that keep the current filters."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Flask, url_for
from flask_babel import format_date, get_locale, gettext
from flask_login import current_user

from . import filter_words, security, taxonomy
from .i18n import select_locale, term_label
from .incidents.changes import readable as readable_changes


def incident_date(value: date | None, precision: str = "day") -> str:
    """A date as precise as it is known: a day, "week of …", a month or a year."""
    if value is None:
        return ""
    if precision == "year":
        return str(value.year)
    if precision == "month":
        return format_date(value, "LLLL y")
    if precision == "week":
        return gettext("week of %(date)s", date=format_date(value, "medium"))
    return format_date(value, "medium")


def url_with_args(endpoint: str, args: list[tuple[str, str]], **values) -> str:
    """URL for an endpoint (with its path `values`) and repeated query parameters kept
    (url_for drops repeats)."""
    query = urlencode(args)
    return url_for(endpoint, **values) + (f"?{query}" if query else "")


def country_choices() -> list[tuple[str, str]]:
    """(code, name in the reader's language) for the countries incidents are recorded in;
    for anonymous visitors, those of public incidents only."""
    from .regions.service import country_codes

    names = get_locale().territories
    public = not current_user.is_authenticated
    return [(code, f"{names.get(code, code)} ({code})") for code in country_codes(public)]


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(incident_date)
    app.add_template_global(readable_changes, "readable_changes")
    app.add_template_global(url_with_args)
    app.add_template_global(filter_words.filter_label)
    app.add_template_global(filter_words.value_text, "filter_value_text")
    app.add_template_global(country_choices)
    app.add_template_global(security.csp_nonce)  # for the rare inline <script> (the map page's)

    @app.context_processor
    def inject():
        return {
            "taxonomy": taxonomy,
            "security": security,
            "locale": select_locale,
            "label": term_label,
            "tile_url": app.config["TILE_URL"],
            "tile_attribution": app.config["TILE_ATTRIBUTION"],
        }
