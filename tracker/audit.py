"""Writing to the audit log, and reading it back in words. Callers pass identifiers and
counts, never victim names, passwords, tokens or coordinates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import has_request_context, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .extensions import db
from .i18n import term_label
from .models import AuditEntry
from .taxonomy import ROLES, STATUSES

# What a reader was shown that the roles table restricts (security.IncidentAccess).
IDENTITIES, EXACT_LOCATION = "identities", "exact_location"


def record(action: str, target: str = "", user=None, **details: Any) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    entry = AuditEntry(
        action=action,
        target=target,
        user_id=getattr(user, "id", None),
        actor=getattr(user, "email", "") or details.pop("actor", ""),
        details=details,
        ip=(request.remote_addr or "") if has_request_context() else "cli",
    )
    db.session.add(entry)
    return entry


def restricted_shown(access, incident, victims, perpetrators, sources) -> list[str]:
    """Which kinds of restricted field a reader with `access` is shown of `incident` (with
    its child rows, ORM objects or plain rows): identities when it names anyone (by name or by a
    person's key), cites a confidential source or records a request for protection; the exact
    place when the public sees it generalised or not at all.
    Empty when the reader sees nothing restricted."""
    shown = []
    names = any(v.name or v.organisation or v.person for v in victims) or any(p.name for p in perpetrators)
    if access.identities and (names or any(s.confidential for s in sources) or incident.requests):
        shown.append(IDENTITIES)
    if access.exact_location and incident.public_location != "exact":
        shown.append(EXACT_LOCATION)
    return shown


def record_read(ref: str, shown: list[str], user=None, via: str = "page") -> None:
    """One entry for a read that showed restricted fields, committed at once (a read has no
    other transaction to ride on). A read that showed none writes nothing."""
    if shown:
        record("incident_read", ref, user=user, fields=shown, via=via)
        db.session.commit()


# --- the log in words -----------------------------------------------------------------------


def _fields(kinds) -> str:
    names = {IDENTITIES: _("identities"), EXACT_LOCATION: _("exact locations")}
    return _(" and ").join(names.get(k, str(k)) for k in kinds or ())


def _export(d: dict) -> str:
    if d.get("kind") == "report":
        text = _(
            "exported the report as %(format)s (%(n)d incidents)",
            format=str(d.get("format", "")).upper(),
            n=int(d.get("incidents") or 0),
        )
    else:
        n = int(d.get("rows") or 0)
        text = ngettext(
            "exported %(num)d incident as %(format)s",
            "exported %(num)d incidents as %(format)s",
            n,
            format=str(d.get("format", "")).upper(),
        )
    if d.get("public"):
        text += _(", public data only")
    elif d.get("fields"):
        text += _(" with %(fields)s", fields=_fields(d["fields"]))
    if d.get("filters"):
        text += _("; filters: %(filters)s", filters=_pairs(d["filters"]))
    if d.get("interrupted"):
        text += _(" (interrupted)")
    return text


def _pairs(pairs) -> str:
    try:
        return ", ".join(f"{k}={v}" for k, v in pairs)
    except (TypeError, ValueError):
        return str(pairs)


def _read(d: dict) -> str:
    if d.get("via") == "api_list":
        n = int(d.get("rows") or 0)
        return ngettext(
            "listed %(num)d incident through the API with %(fields)s",
            "listed %(num)d incidents through the API with %(fields)s",
            n,
            fields=_fields(d.get("fields")),
        )
    fields = _fields(d.get("fields"))
    wording = {
        "api": _("read %(fields)s through the API", fields=fields),
        "history": _("opened the incident's history with %(fields)s", fields=fields),
        "edit": _("opened the incident's edit form with %(fields)s", fields=fields),
    }
    return wording.get(d.get("via", ""), _("opened the incident with %(fields)s", fields=fields))


def _factor_off(d: dict) -> str:
    return _("second factor turned off; %(n)s sessions ended", n=d.get("sessions", "?"))


DESCRIPTIONS: dict[str, Callable[[dict], str]] = {
    "export": _export,
    "incident_read": _read,
    "role_changed": lambda d: _(
        "role changed from %(old)s to %(new)s", old=term_label(ROLES, d["old"]), new=term_label(ROLES, d["new"])
    ),
    "status_changed": lambda d: _(
        "status changed from %(old)s to %(new)s", old=term_label(STATUSES, d["old"]), new=term_label(STATUSES, d["new"])
    ),
    "user_created": lambda d: _("account created as %(role)s", role=term_label(ROLES, d["role"])),
    "login_locked": lambda d: _(
        "logins locked after %(n)s failures (%(scope)s)", n=d.get("failures", "?"), scope=d.get("scope", "?")
    ),
    "sessions_ended": lambda d: _("%(n)s sessions ended", n=d.get("sessions", "?")),
    "login": lambda d: {"totp": _("with a code from the phone"), "recovery": _("with a recovery code")}.get(
        str(d.get("second_factor")), _("with the password alone")
    ),
    "login_failed": lambda d: (
        _("wrong code from the phone") if d.get("step") == "code" else _("wrong email or password")
    ),
    "second_factor_reset": _factor_off,  # by an admin
    "second_factor_removed": _factor_off,  # by its owner
    "import": lambda d: _(
        "imported %(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged",
        rows=d.get("rows", "?"),
        created=d.get("created", "?"),
        updated=d.get("updated", "?"),
        unchanged=d.get("unchanged", "?"),
    ),
    "duplicate_merged": lambda d: _("marked as a duplicate of %(ref)s", ref=d.get("original", "?")),
    "duplicate_dismissed": lambda d: _("not a duplicate of %(ref)s", ref=d.get("original", "?")),
    # early-warning alerts (tracker/protection/): the alert's key holds ids only; the comment is not here
    "alert_acknowledged": lambda d: _("acknowledged the early-warning alert %(alert)s", alert=d["alert"]),
    # the register of persons at risk (tracker/persons/): records by number, never by key or name
    "person_created": lambda d: _("record added to the register of persons at risk"),
    "person_edited": lambda d: _("record edited: %(fields)s", fields=", ".join(d.get("fields") or ())),
    "person_merged": lambda d: ngettext(
        "merged into record %(id)s; %(num)d victim row moved",
        "merged into record %(id)s; %(num)d victim rows moved",
        int(d.get("rows") or 0),
        id=d["into"],
    ),
    "person_unmerged": lambda d: ngettext(
        "merge into record %(id)s undone; %(num)d victim row back",
        "merge into record %(id)s undone; %(num)d victim rows back",
        int(d.get("rows") or 0),
        id=d["out_of"],
    ),
    "person_read": lambda d: {
        "list": lambda: ngettext(
            "listed %(num)d record of persons at risk", "listed %(num)d records of persons at risk", int(d["rows"])
        ),
        "edit": lambda: _("opened the record's edit form"),
        "merge": lambda: _("compared the record with another before a merge"),
    }.get(d.get("via", ""), lambda: _("opened the record"))(),
}


def describe(entry: AuditEntry) -> str:
    """An entry's details as a sentence; for an action without its own wording, its details
    as `name: value` pairs. Plain text: the template escapes it."""
    details = entry.details or {}
    wording = DESCRIPTIONS.get(entry.action)
    if wording is not None:
        try:
            return wording(details)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # details of an older shape: shown as pairs below
    return "; ".join(f"{k}: {_value(v)}" for k, v in details.items() if v not in (None, "", [], {})) or "–"


def _value(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_value(v)}" for k, v in value.items())
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)
