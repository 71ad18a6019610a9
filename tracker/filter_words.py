"""The incident filters in words, as a reader knows them: the parameter's label and each value
as a label in their language, a date or a country's name. The active-filter chips of the list
and the map (templates/_filters.html), the captions of downloaded maps (maps/captions.py) and
the reports' title pages and methodology (reports/) say them alike."""

from __future__ import annotations

from datetime import date

from babel.lists import format_list
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .filters import IncidentFilter
from .i18n import term_label
from .taxonomy import (
    CONFIDENCES,
    GENDERS,
    PERPETRATOR_TYPES,
    SECTION_BY_KEY,
    STATUSES,
    VICTIM_GROUPS,
    VIOLATIONS,
    Term,
)

LABELS = {  # in the order they are said
    "from": _l("From"),
    "to": _l("To"),
    "section": _l("Section"),
    "violation": _l("Violation"),
    "victim_group": _l("Victim group"),
    "gender": _l("Victim gender"),
    "perpetrator": _l("Perpetrator"),
    "country": _l("Country"),
    "admin1": _l("Department"),
    "admin2": _l("Province"),
    "status": _l("Status"),
    "confidence": _l("Confidence"),
    "q": _l("Text"),
}
# What a report states apart: the period opens every sentence, the statuses have a line of
# their own, the sections are its headings.
STATED_APART = ("from", "to", "status", "section")
_TERMS: dict[str, dict[str, Term]] = {
    "violation": VIOLATIONS,
    "victim_group": VICTIM_GROUPS,
    "gender": GENDERS,
    "perpetrator": PERPETRATOR_TYPES,
    "status": STATUSES,
    "confidence": CONFIDENCES,
}


def filter_label(name: str) -> str:
    return str(LABELS.get(name, name))


def value_text(filters: IncidentFilter, name: str, value: str) -> str:
    """One value of the filter parameter `name` in words."""
    if name in ("from", "to"):
        return format_date(date.fromisoformat(value), "medium")
    if name == "q":
        return f"“{value}”"
    if name == "country":
        return get_locale().territories.get(value, value)
    if name == "section":
        return SECTION_BY_KEY[value].label(str(get_locale())) if value in SECTION_BY_KEY else value
    if name in _TERMS:
        return term_label(_TERMS[name], value)
    return value


def filter_values(filters: IncidentFilter, leave_out: tuple[str, ...] = ()) -> list[tuple[str, list[str]]]:
    """(label, values in words) per active parameter, in the form's order, but for `leave_out`."""
    grouped: dict[str, list[str]] = {}
    for name, value in filters.to_args():
        if name not in leave_out:
            grouped.setdefault(name, []).append(value_text(filters, name, value))
    return [(filter_label(name), grouped[name]) for name in LABELS if name in grouped]


def filter_lines(filters: IncidentFilter, leave_out: tuple[str, ...] = STATED_APART) -> list[str]:
    """One labelled line per filter, its values as alternatives: "Perpetrator: Police or Military"."""
    locale = get_locale()
    return [
        f"{label}: {format_list(values, style='or', locale=locale)}"
        for label, values in filter_values(filters, leave_out)
    ]


def filters_sentence(filters: IncidentFilter, leave_out: tuple[str, ...] = STATED_APART) -> str:
    """ "Filters: Department: Puno; Victim group: Journalist." or "Filters: none."."""
    return _("Filters: %(filters)s.", filters="; ".join(filter_lines(filters, leave_out)) or _("none"))
