"""Recording, editing and reviewing incidents: plain functions over the models, used by
the web views, the CLI and the tests alike.

Every saved change becomes an `IncidentVersion` (who, when, which fields, old → new);
a save based on an outdated version is refused with an `EditConflict`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..errors import InvalidTransition, PermissionDenied, ServiceError
from ..extensions import db
from ..facts import facts_of
from ..i18n import term_label
from ..models import (
    Event,
    Incident,
    IncidentVersion,
    IncidentViolation,
    Perpetrator,
    ProtectionRequest,
    Source,
    StatusChange,
    Victim,
)
from ..persons.service import new_kind, normalise_key, persons_for_rows, survivor_keys
from ..regions.service import placed_names
from ..search_index import index_incidents
from ..security import can_record, can_review, incident_access, is_owner, role_of
from ..taxonomy import REPORTABLE_STATUSES, STATUSES
from ..timeutil import utcnow
from . import receipts
from .data import SCALAR_FIELDS, IncidentData, PerpetratorData, RequestData, SourceData, VictimData
from .refs import allocate_refs

# status -> statuses it may move to, and who may move it
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("submitted",),
    "submitted": ("verified", "rejected", "draft"),
    "verified": ("published", "rejected", "submitted"),
    "published": ("verified",),
    "rejected": ("draft",),
}
# transitions that send work back need a word of explanation
COMMENT_REQUIRED = {
    ("submitted", "draft"),
    ("submitted", "rejected"),
    ("verified", "rejected"),
    ("verified", "submitted"),
    ("published", "verified"),
}


class EditConflict(ServiceError):
    """Someone else saved the incident after the user opened it (views merge the two: merge.py)."""

    def __init__(self, incident: Incident, base_version: int):
        self.incident = incident
        self.base_version = base_version
        super().__init__(
            _(
                "This incident was changed by someone else (now version %(now)d, you started from "
                "version %(base)d). Your changes were not saved.",
                now=incident.version,
                base=base_version,
            )
        )


# --- snapshots and differences -------------------------------------------------------


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def incident_data(incident: Incident) -> IncidentData:
    """A stored incident as plain data, as a form or a file describes one."""
    return IncidentData(
        **{name: getattr(incident, name) for name in SCALAR_FIELDS},
        event=incident.event.name if incident.event else "",
        violations=[v.code for v in incident.violations],
        victims=[_row(v, VictimData, person=v.person.key if v.person else "") for v in incident.victims],
        perpetrators=[_row(p, PerpetratorData) for p in incident.perpetrators],
        sources=[_row(s, SourceData) for s in incident.sources],
        requests=[_row(r, RequestData, measures=[m for m in r.measures.split(";") if m]) for r in incident.requests],
    )


def _row(obj, data_cls, **read: Any):
    """A child row as plain data; `read` gives the fields stored otherwise than as the data hold them."""
    return data_cls(
        **{name: read[name] if name in read else getattr(obj, name) for name in data_cls.__dataclass_fields__}
    )


def snapshot_of(data: IncidentData, status: str) -> dict[str, Any]:
    """Plain JSON-able data of an incident with this content and status: what a version
    stores, so two snapshots are equal exactly when saving would change nothing."""
    snap = {name: _plain(getattr(data, name)) for name in SCALAR_FIELDS}
    snap["status"] = status
    snap["event"] = data.event
    snap["violations"] = sorted(set(data.violations))
    for name in ("victims", "perpetrators", "sources", "requests"):
        snap[name] = [{key: _plain(value) for key, value in vars(row).items()} for row in getattr(data, name)]
    return snap


def snapshot(incident: Incident) -> dict[str, Any]:
    """The stored incident as a version stores it."""
    return snapshot_of(incident_data(incident), incident.status)


def data_from_snapshot(snap: dict[str, Any]) -> IncidentData:
    """The content of a snapshot as plain data again (its status aside): what a merge or an
    approved proposal stores."""

    def day(value):
        return date.fromisoformat(value) if value else None

    return IncidentData(
        **{name: snap[name] for name in SCALAR_FIELDS if name not in ("date", "end_date")},
        date=day(snap["date"]),
        end_date=day(snap["end_date"]),
        event=snap["event"],
        violations=list(snap["violations"]),
        victims=[VictimData(**row) for row in snap["victims"]],
        perpetrators=[PerpetratorData(**row) for row in snap["perpetrators"]],
        sources=[SourceData(**{**row, "published_on": day(row["published_on"])}) for row in snap["sources"]],
        requests=[
            RequestData(**{**row, **{k: day(row[k]) for k in ("filed_on", "decided_on", "measures_end")}})
            for row in snap.get("requests", [])  # versions saved before requests were recorded have none
        ],
    )


def version_snapshot(incident: Incident, version: int) -> dict[str, Any]:
    """The incident as it was at `version`; empty when that version is not kept (an imported
    incident never changed), so that every field someone changed counts as changed."""
    found = db.session.scalar(
        sa.select(IncidentVersion.snapshot).where(
            IncidentVersion.incident_id == incident.id, IncidentVersion.version == version
        )
    )
    return found or {}


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list]:
    """Fields whose value differs, as field -> [old, new]."""
    return {key: [old.get(key), new.get(key)] for key in new if old.get(key) != new.get(key)}


def _record_version(incident: Incident, user, previous: dict[str, Any] | None) -> IncidentVersion:
    current = snapshot(incident)
    version = IncidentVersion(
        incident=incident,
        version=incident.version,
        user_id=getattr(user, "id", None),
        snapshot=current,
        changes=diff(previous, current) if previous else {},
    )
    db.session.add(version)
    return version


def _ensure_baseline(incident: Incident) -> None:
    """Imported incidents have no version yet: keep their state before the first change."""
    if not incident.versions:
        db.session.add(
            IncidentVersion(
                incident=incident,
                version=incident.version,
                user_id=incident.created_by_id,
                snapshot=snapshot(incident),
                changes={},
            )
        )


# --- writing the data ------------------------------------------------------------------


def _event_by_name(name: str) -> Event | None:
    name = name.strip()
    if not name:
        return None
    event = db.session.scalar(sa.select(Event).where(Event.name == name))
    if event is None:
        event = Event(name=name)
        db.session.add(event)
    return event


def place(data: IncidentData) -> None:
    """Set admin1–3 before the incident is stored: from its point where the regions know it."""
    data.admin1, data.admin2, data.admin3 = placed_names(
        data.latitude, data.longitude, (data.admin1, data.admin2, data.admin3)
    )


def link_persons(data: IncidentData) -> None:
    """Victim rows' keys as stored: normalised, a merged record's key replaced by the key of the
    record it was merged into, and a person's row counting one."""
    stored = survivor_keys([v.person for v in data.victims if v.person])
    for v in data.victims:
        if v.person:
            new = (normalise_key(v.person), new_kind(v.group))
            v.person, kind = stored.get(normalise_key(v.person), new)
            if kind == "person":
                v.count = 1


def _apply(incident: Incident, data: IncidentData, user) -> None:
    """Copy `data`, whose region names are already filled, onto the incident and its rows; a
    victim row's new key adds a record to the register."""
    for name in SCALAR_FIELDS:
        setattr(incident, name, getattr(data, name))
    incident.event = _event_by_name(data.event)
    incident.violations = [IncidentViolation(code=code) for code in dict.fromkeys(data.violations)]
    persons = persons_for_rows(data.victims, user, data.admin1)
    incident.victims = [
        Victim(position=i, **{**vars(v), "person": persons.get(normalise_key(v.person))})
        for i, v in enumerate(data.victims)
    ]
    incident.perpetrators = [Perpetrator(position=i, **vars(p)) for i, p in enumerate(data.perpetrators)]
    incident.sources = [Source(position=i, **vars(s)) for i, s in enumerate(data.sources)]
    incident.requests = [
        ProtectionRequest(position=i, **{**vars(r), "measures": ";".join(dict.fromkeys(r.measures))})
        for i, r in enumerate(data.requests)
    ]
    for name, value in facts_of(
        data.violations, data.victims, (p.type for p in data.perpetrators), len(data.sources), len(data.requests)
    ).items():
        setattr(incident, name, value)


def create_incident(data: IncidentData, user, client_uuid: str | None = None) -> Incident:
    """Store a new incident as a draft. With the UUID a phone gave the record, only once: a
    second time raises receipts.AlreadyReceived and stores nothing."""
    if not can_record(user):
        raise PermissionDenied(_("Your role cannot record incidents."))
    receipt = receipts.claim(client_uuid, user, "stored") if client_uuid else None
    prefix = current_app.config["REF_PREFIX"]
    incident = Incident(ref=allocate_refs(prefix, [data.date.year])[0], created_by_id=user.id, status="draft")
    place(data)
    link_persons(data)
    _apply(incident, data, user)
    db.session.add(incident)
    db.session.flush()
    if receipt is not None:
        receipt.incident_id = incident.id
    index_incidents([(incident.id, data)])
    _record_version(incident, user, None)
    audit.record("incident_created", incident.ref, user=user)
    db.session.commit()
    return incident


def goes_to_review(user, incident: Incident) -> bool:
    """Whether `user`'s edit of `incident` must wait for a reviewer (revisions.py) instead of
    being stored: any edit of a verified or published incident but a reviewer's."""
    return incident.status in REPORTABLE_STATUSES and role_of(user) != "reviewer"


def update_incident(incident: Incident, data: IncidentData, user, base_version: int) -> Incident:
    """Save an edit made from `base_version`; refuse it if the incident moved on since."""
    if not incident_access(user, incident).edit:
        raise PermissionDenied(_("You may not edit this incident."))
    if goes_to_review(user, incident):
        raise PermissionDenied(_("Changes to a verified or published incident wait for a reviewer's approval."))
    if incident.version != base_version:
        raise _conflict(incident, base_version)
    place(data)
    try:
        changed = revise_incident(incident, data, user)
    except StaleDataError:
        db.session.rollback()
        db.session.refresh(incident)
        raise _conflict(incident, base_version) from None
    if changed:
        audit.record("incident_edited", incident.ref, user=user)
    db.session.commit()
    return incident


def revise_incident(incident: Incident, data: IncidentData, user, status: str | None = None) -> bool:
    """Store `data` (regions filled) and `status` over a stored incident, as one new version
    in its history, inside the caller's transaction. Returns False, writing nothing, when
    that would change nothing."""
    status = status or incident.status
    link_persons(data)
    before = snapshot(incident)
    if snapshot_of(data, status) == before:
        return False
    _ensure_baseline(incident)
    with db.session.no_autoflush:  # flush once, so `version` goes up by exactly one
        _apply(incident, data, user)
        incident.status = status
        incident.updated_at = utcnow()  # an UPDATE of the row bumps `version`
    db.session.flush()
    index_incidents([(incident.id, data)])
    _record_version(incident, user, before)
    return True


def _conflict(incident: Incident, base_version: int) -> EditConflict:
    db.session.rollback()
    return EditConflict(incident, base_version)


# --- workflow --------------------------------------------------------------------------


def missing_for_submission(incident: Incident) -> list[str]:
    """What a reviewer needs before an incident can leave the draft stage."""
    problems = []
    if not incident.violations:
        problems.append(_("at least one violation"))
    if not incident.victims:
        problems.append(_("at least one victim"))
    if not incident.sources:
        problems.append(_("at least one source"))
    if incident.latitude is None and not incident.admin1:
        problems.append(_("a location (coordinates or a region)"))
    return problems


def allowed_transitions(incident: Incident, user) -> tuple[str, ...]:
    targets = TRANSITIONS.get(incident.status, ())
    if can_review(user):
        return targets
    if is_owner(user, incident) and incident.status == "draft":
        return ("submitted",)
    return ()


def change_status(incident: Incident, to_status: str, user, comment: str = "", base_version: int | None = None) -> None:
    """Move an incident along the workflow with the actor's comment."""
    if base_version is not None and incident.version != base_version:
        raise _conflict(incident, base_version)
    try:
        _ensure_baseline(incident)
        _transition(incident, to_status, user, comment)
    except InvalidTransition:
        db.session.rollback()
        raise
    db.session.commit()


def _transition(incident: Incident, to_status: str, user, comment: str) -> None:
    comment = comment.strip()
    if to_status not in allowed_transitions(incident, user):
        raise InvalidTransition(
            _(
                "An incident that is %(old)s cannot be moved to %(new)s by you.",
                old=term_label(STATUSES, incident.status),
                new=term_label(STATUSES, to_status),
            )
        )
    if (incident.status, to_status) in COMMENT_REQUIRED and not comment:
        raise InvalidTransition(_("Please say why in the comment."))
    if to_status != "draft" and incident.status == "draft" and (missing := missing_for_submission(incident)):
        raise InvalidTransition(_("Before submitting, add %(missing)s.", missing=", ".join(missing)))
    _set_status(incident, to_status, user, comment)


def reject_as_duplicate(incident: Incident, original: Incident, user) -> None:
    """A reviewer's verdict that `incident` repeats `original`: rejected from whatever status,
    with a comment naming the original, inside the caller's transaction."""
    if not can_review(user):
        raise PermissionDenied(_("Only reviewers may decide on duplicates."))
    _ensure_baseline(incident)
    _set_status(incident, "rejected", user, _("Duplicate of %(ref)s.", ref=original.ref))


def _set_status(incident: Incident, to_status: str, user, comment: str) -> None:
    before = snapshot(incident)
    db.session.add(
        StatusChange(
            incident=incident, from_status=incident.status, to_status=to_status, comment=comment, user_id=user.id
        )
    )
    audit.record("status_changed", incident.ref, user=user, old=incident.status, new=to_status)
    incident.status = to_status
    incident.updated_at = utcnow()
    db.session.flush()
    _record_version(incident, user, before)
