"""Changes to an incident in words: the label a person reads for each stored field and value,
in the reader's language, for the history, the conflict and merge tables and the changes that
wait for review. Snapshots hold codes (`verified`, `day`, `arbitrary_detention`); people read
"Verified", "Day", "Arbitrary detention".

Only those who may read an incident's history or edit it see these tables: restricted values
(names, the place) are shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _

from .. import taxonomy as tx
from ..i18n import term_label
from .forms import IncidentForm

CODED = {
    "date_precision": tx.DATE_PRECISIONS,
    "geo_precision": tx.GEO_PRECISIONS,
    "confidence": tx.CONFIDENCES,
    "visibility": tx.VISIBILITIES,
    "public_location": tx.PUBLIC_LOCATIONS,
    "status": tx.STATUSES,
}
EMPTY = "–"


@dataclass(frozen=True)
class Change:
    field: str  # the snapshot's key, for machines (ids, merge choices)
    label: str
    before: str
    after: str


def field_label(name: str) -> str:
    """The incident form's label of a stored field (the status is set by the workflow, not the form)."""
    if name == "status":
        return _("Status")
    unbound = getattr(IncidentForm, name, None)
    if unbound is None:
        return name
    return str(unbound.kwargs.get("label") or unbound.args[0])


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _day(value: Any) -> str:
    return format_date(date.fromisoformat(value), "medium") if isinstance(value, str) and value else EMPTY


def _victim(row: dict) -> str:
    group = term_label(tx.VICTIM_GROUPS, row.get("group", ""))
    parts = [ngettext("%(group)s, %(num)d person", "%(group)s, %(num)d people", row.get("count") or 1, group=group)]
    if row.get("gender") and row["gender"] != "unknown":
        parts.append(term_label(tx.GENDERS, row["gender"]))
    parts += [row[key] for key in ("name", "organisation") if row.get(key)]
    if row.get("person"):
        parts.append(_("key %(key)s", key=row["person"]))
    flags = {"indigenous": _("indigenous"), "lgbtiq": _("LGBTIQ+"), "woman_defender": _("woman defender")}
    parts += [label for key, label in flags.items() if row.get(key)]
    return ", ".join(parts)


def _perpetrator(row: dict) -> str:
    parts = [term_label(tx.PERPETRATOR_TYPES, row.get("type", ""))]
    if row.get("name"):
        parts.append(row["name"])
    parts.append(_("involvement: %(how)s", how=term_label(tx.INVOLVEMENTS, row.get("involvement", "direct"))))
    return ", ".join(parts)


def _source(row: dict) -> str:
    parts = [term_label(tx.SOURCE_KINDS, row.get("kind", ""))]
    parts += [row[key] for key in ("title", "url", "publisher") if row.get(key)]
    if row.get("published_on"):
        parts.append(_day(row["published_on"]))
    parts.append(term_label(tx.RELIABILITY, row.get("reliability", "F")))
    if row.get("confidential"):
        parts.append(_("confidential"))
    return ", ".join(parts)


def _request(row: dict) -> str:
    parts = [
        term_label(tx.AUTHORITIES, row.get("authority", "mechanism")),
        _("filed on %(date)s", date=_day(row.get("filed_on"))),
    ]
    if row.get("reference"):
        parts.append(_("reference %(reference)s", reference=row["reference"]))
    decision = term_label(tx.DECISIONS, row.get("decision", "pending"))
    if row.get("decided_on"):
        decision = _("%(decision)s on %(date)s", decision=decision, date=_day(row["decided_on"]))
    parts.append(decision)
    if row.get("measures"):
        measures = ", ".join(term_label(tx.MEASURES, code) for code in row["measures"])
        parts.append(_("measures: %(measures)s", measures=measures))
    if row.get("measures_end"):
        parts.append(_("measures end on %(date)s", date=_day(row["measures_end"])))
    if row.get("notes"):
        parts.append(row["notes"])
    return ", ".join(parts)


ROWS: dict[str, Callable[[dict], str]] = {
    "victims": _victim,
    "perpetrators": _perpetrator,
    "sources": _source,
    "requests": _request,
}


def value_text(name: str, value: Any) -> str:
    """A stored value of field `name` as a person reads it."""
    if value is None or value == "" or value == []:
        return EMPTY
    if name in CODED:
        return term_label(CODED[name], value)
    if name == "violations":
        return "; ".join(term_label(tx.VIOLATIONS, code) for code in value)
    if name in ROWS:
        return "; ".join(ROWS[name](row) for row in value)
    if name in ("date", "end_date"):
        return _day(value)
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, float):
        return format_decimal(value, "#,##0.######")
    if isinstance(value, int):
        return format_decimal(value)
    return str(value)


def readable(changes: dict[str, list]) -> list[Change]:
    """field -> [before, after], as stored in a version or a conflict, in words."""
    return [
        Change(name, field_label(name), value_text(name, before), value_text(name, after))
        for name, (before, after) in changes.items()
    ]
