"""The register of persons at risk: finding a record by its key, creating one when a victim row
or an imported file names a new key, editing, searching, merging two records of one person
(and undoing it), and a person's timeline across incidents.

Who may see a record is `tracker/security.py`'s (`can_see_person`, `persons_clause`); these
functions take the user and ask it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..errors import PermissionDenied, ServiceError
from ..extensions import db
from ..models import Incident, Person, PersonChange, ProtectionRequest, Victim
from ..search_index import plain_words
from ..security import (
    can_record,
    can_review,
    can_see_person,
    identities_clause,
    persons_clause,
    visible_incidents_clause,
)
from ..taxonomy import ORGANISATION_GROUPS
from ..timeutil import utcnow

# Letters, digits, dot, dash and underscore: no spaces or ";" (a file's lists are ";"-joined).
KEY_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
SEARCH_LIMIT = 20


def normalise_key(text: str) -> str:
    """Keys match whatever the case they are typed in: "def-0042" is DEF-0042."""
    return text.strip().upper()


def key_problem(key: str) -> str | None:
    """Why `key` (normalised) cannot be a key, in words; None when it can."""
    if KEY_PATTERN.match(key):
        return None
    return _(
        "“%(key)s” is not a person's key: use up to 40 letters, digits, dots, dashes or underscores, "
        "with no spaces (for example DEF-0042).",
        key=key[:60],
    )


@dataclass
class PersonData:
    """A record of the register as a form describes it."""

    key: str
    name: str = ""
    kind: str = "person"
    groups: list[str] = field(default_factory=list)
    gender: str = "unknown"
    indigenous: bool = False
    woman_defender: bool = False
    lgbtiq: bool = False
    community: str = ""
    admin1: str = ""
    notes: str = ""


def person_data(person: Person) -> PersonData:
    values = {f.name: getattr(person, f.name) for f in fields(PersonData) if f.name != "groups"}
    return PersonData(**values, groups=person.group_codes)


def _plain(data: PersonData) -> dict[str, Any]:
    return {f.name: getattr(data, f.name) for f in fields(PersonData)}


def differences(before: PersonData, after: PersonData) -> dict[str, list[Any]]:
    """Field → [old, new] for the fields that differ (the key aside: it never changes)."""
    old, new = _plain(before), _plain(after)
    return {name: [old[name], new[name]] for name in new if name != "key" and old[name] != new[name]}


def target(person: Person) -> str:
    """How the audit log names a record: by its id, as the key is a pseudonym the log must not
    hold (docs/architecture.md, "Privacy")."""
    return f"person:{person.id}"


class KeyTaken(ServiceError):
    """The key a new record was given names a record already."""


class StaleEdit(ServiceError):
    """An edit made from a version someone else has changed since."""


# --- finding ---------------------------------------------------------------------------------


def survivor(person: Person) -> Person:
    """The record a merged record now lives in (itself when never merged)."""
    seen = set()
    while person.merged_into is not None and person.id not in seen:
        seen.add(person.id)
        person = person.merged_into
    return person


def by_key(key: str) -> Person | None:
    """The record `key` names, after merges; None when no record has it."""
    found = db.session.scalar(sa.select(Person).where(Person.key == normalise_key(key)))
    return survivor(found) if found else None


def survivor_keys(keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Normalised key → (the key of the record it finds after merges, that record's kind), for
    the keys some record has."""
    wanted = list({normalise_key(k) for k in keys})
    if not wanted:
        return {}
    found = {}
    for person in db.session.scalars(sa.select(Person).where(Person.key.in_(wanted))):
        kept = survivor(person)  # walks the merges once per key
        found[person.key] = (kept.key, kept.kind)
    return found


def visible_person(user, key: str) -> Person:
    """The record of `key` for its page; refused as unknown when `user` may not see it, so a
    page does not tell who exists."""
    person = db.session.scalar(sa.select(Person).where(Person.key == normalise_key(key)))
    if person is None or not can_see_person(user, person):
        raise LookupError(key)
    return person


def search(user, text: str, limit: int = SEARCH_LIMIT) -> list[Person]:
    """Records `user` may see whose key starts with `text`, or whose name or community holds
    every word of it. Names are encrypted, so the candidates are read and matched here: the
    register holds thousands of records, not millions."""
    wanted = plain_words(text)
    if not wanted:
        return []
    key = normalise_key(text)
    found = []
    candidates = db.session.scalars(
        sa.select(Person).where(persons_clause(user), Person.merged_into_id.is_(None)).order_by(Person.key)
    )
    for person in candidates:
        words = set(plain_words(f"{person.name} {person.community}"))
        if person.key.startswith(key) or all(any(w.startswith(part) for w in words) for part in wanted):
            found.append(person)
            if len(found) == limit:
                break
    return found


def list_persons(user, limit: int | None = None, offset: int = 0) -> list[Person]:
    """Every record `user` may see, merged ones aside, by key (a page of them with `limit`)."""
    return list(
        db.session.scalars(
            sa.select(Person)
            .where(persons_clause(user), Person.merged_into_id.is_(None))
            .order_by(Person.key)
            .limit(limit)
            .offset(offset)
        )
    )


def count_persons(user) -> int:
    """How many records `list_persons` gives `user`."""
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Person).where(persons_clause(user), Person.merged_into_id.is_(None))
        )
        or 0
    )


def incident_summary(user, persons: list[Person]) -> dict[int, tuple[int, date]]:
    """Record id → (how many incidents name it, the date of the latest), counting only the
    incidents `user` may see with their identities, as the timeline does; records with none
    are left out. Rows still pointing to a record merged into another count for the survivor."""
    if not persons:
        return {}
    ids = [p.id for p in persons]
    absorbed: dict[int, int] = {
        person_id: into
        for person_id, into in db.session.execute(
            sa.select(Person.id, Person.merged_into_id).where(Person.merged_into_id.is_not(None))
        )
        if into is not None
    }

    def found(person_id: int) -> int:
        seen = set()
        while person_id in absorbed and person_id not in seen:
            seen.add(person_id)
            person_id = absorbed[person_id]
        return person_id

    rows = db.session.execute(
        sa.select(Victim.person_id, sa.func.count(sa.distinct(Incident.id)), sa.func.max(Incident.date))
        .join(Incident, Incident.id == Victim.incident_id)
        .where(
            Victim.person_id.in_([*ids, *absorbed]),
            visible_incidents_clause(user),
            identities_clause(user),
        )
        .group_by(Victim.person_id)
    ).all()
    summary: dict[int, tuple[int, date]] = {}
    for row_person, incidents, last in rows:
        if row_person is None:
            continue
        person_id = found(row_person)
        if person_id in summary:
            before, latest = summary[person_id]
            summary[person_id] = (before + incidents, max(latest, last))
        else:
            summary[person_id] = (incidents, last)
    wanted = set(ids)
    return {k: v for k, v in summary.items() if k in wanted}


# --- creating and editing ----------------------------------------------------------------------


def _problems(data: PersonData) -> None:
    data.key = normalise_key(data.key)
    if problem := key_problem(data.key):
        raise ServiceError(problem)


def create_person(data: PersonData, user, audited: bool = True) -> Person:
    """A new record under a key no record has; in the caller's transaction. An import, which
    writes one audit entry for its file, passes `audited=False`."""
    if not can_record(user):
        raise PermissionDenied(_("Your role cannot add persons."))
    _problems(data)
    if db.session.scalar(sa.select(Person.id).where(Person.key == data.key)) is not None:
        raise KeyTaken(_("A record with the key %(key)s exists already: choose another key.", key=data.key))
    person = Person(created_by_id=user.id)
    _copy(person, data)
    db.session.add(person)
    db.session.flush()
    db.session.add(PersonChange(person=person, action="created", user_id=user.id, details={}))
    if audited:
        audit.record("person_created", target(person), user=user)
    return person


def _copy(person: Person, data: PersonData) -> None:
    for name, value in _plain(data).items():
        setattr(person, name, ";".join(dict.fromkeys(value)) if name == "groups" else value)


def update_person(person: Person, data: PersonData, user, base_version: int) -> bool:
    """Save an edit made from `base_version` (the key stays: other files hold it); commits.
    Returns whether anything changed."""
    if not (can_record(user) and can_see_person(user, person)):
        raise PermissionDenied(_("You may not edit this record."))
    if person.version != base_version:
        raise StaleEdit(
            _("Someone else changed this record after you opened it. Your changes were not saved; open it again.")
        )
    data.key = person.key
    changes = differences(person_data(person), data)
    if not changes:
        return False
    _copy(person, data)
    person.updated_at = utcnow()
    db.session.add(PersonChange(person=person, action="edited", user_id=user.id, details={"changes": changes}))
    audit.record("person_edited", target(person), user=user, fields=sorted(changes))
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit(_("Someone else changed this record at the same time. Open it again.")) from None
    return True


def persons_for_rows(rows: Iterable[Any], user, admin1: str = "", audited: bool = True) -> dict[str, Person]:
    """The records the victim rows' keys name, by normalised key; a key no record has yet
    becomes a new record, described by the first row naming it (an organisation when its group
    is one). In the caller's transaction."""
    first: dict[str, Any] = {}
    for row in rows:
        if row.person:
            first.setdefault(normalise_key(row.person), row)
    if not first:
        return {}
    stored = {p.key: p for p in db.session.scalars(sa.select(Person).where(Person.key.in_(list(first))))}
    found = {}
    for key, row in first.items():
        if key in stored:
            found[key] = survivor(stored[key])
            continue
        found[key] = create_person(described_by(key, row, admin1), user, audited)
    return found


def new_kind(group: str) -> str:
    """The kind of record a new key makes on a victim row of `group`."""
    return "organisation" if group in ORGANISATION_GROUPS else "person"


def described_by(key: str, row: Any, admin1: str) -> PersonData:
    """A new record as the first victim row naming its key describes it (an organisation when the
    row's group is one), in the department of the row's incident: the form and imports alike."""
    return PersonData(
        key=key,
        name=row.name,
        kind=new_kind(row.group),
        groups=[row.group],
        gender=row.gender,
        indigenous=row.indigenous,
        woman_defender=row.woman_defender,
        lgbtiq=row.lgbtiq,
        community=row.organisation,
        admin1=admin1,
    )


# --- merging ------------------------------------------------------------------------------------


def merge_problem(absorbed: Person, kept: Person) -> str | None:
    """Why `absorbed` cannot be merged into `kept`, in words; None when it can."""
    if absorbed.id == kept.id:
        return _("That is this record's own key (or the key of a record merged into it): choose another record.")
    if absorbed.merged_into_id is not None or kept.merged_into_id is not None:
        return _("Choose two different records, neither of them merged already.")
    return None


def row_count(person: Person) -> int:
    """How many victim rows point to the record (a merge moves them all)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Victim).where(Victim.person_id == person.id)) or 0


def merge(absorbed: Person, kept: Person, user) -> int:
    """Two records of one person: `absorbed`'s victim rows move to `kept`, and `absorbed` stays
    as a pointer (its key still finds `kept`). Audited, and undone by `unmerge`. Commits;
    returns the rows moved."""
    if not can_review(user):
        raise PermissionDenied(_("Only reviewers may merge records."))
    if problem := merge_problem(absorbed, kept):
        raise ServiceError(problem)
    moved = db.session.execute(
        sa.select(Victim.incident_id, Victim.position).where(Victim.person_id == absorbed.id)
    ).all()
    db.session.execute(sa.update(Victim).where(Victim.person_id == absorbed.id).values(person_id=kept.id))
    absorbed.merged_into = kept
    # ids, not keys: a reader of one record's history may not be allowed to see the other
    details = {"into_id": kept.id, "from_id": absorbed.id, "rows": [list(r) for r in moved]}
    db.session.add(PersonChange(person=absorbed, action="merged", user_id=user.id, details=details))
    db.session.add(PersonChange(person=kept, action="absorbed", user_id=user.id, details=details))
    audit.record("person_merged", target(absorbed), user=user, into=kept.id, rows=len(moved))
    db.session.commit()
    return len(moved)


def unmerge(absorbed: Person, user) -> int:
    """Undo the last merge of `absorbed`: the victim rows it brought (those still pointing to the
    record it was merged into) come back to it. Commits; returns the rows moved back."""
    if not can_review(user):
        raise PermissionDenied(_("Only reviewers may undo a merge."))
    change = next((c for c in reversed(absorbed.changes) if c.action == "merged" and c.undone_at is None), None)
    kept = absorbed.merged_into
    if change is None or kept is None:
        raise ServiceError(_("This record is not merged into another."))
    pairs = [tuple(p) for p in change.details.get("rows", [])]
    moved = 0
    for incident_id, position in pairs:
        moved += db.session.execute(
            sa.update(Victim)
            .where(Victim.incident_id == incident_id, Victim.position == position, Victim.person_id == kept.id)
            .values(person_id=absorbed.id)
        ).rowcount  # type: ignore[attr-defined]
    absorbed.merged_into = None
    change.undone_at = utcnow()
    details = {"from_id": kept.id, "to_id": absorbed.id, "rows": moved, "not_found": len(pairs) - moved}
    db.session.add(PersonChange(person=absorbed, action="unmerged", user_id=user.id, details=details))
    db.session.add(PersonChange(person=kept, action="split", user_id=user.id, details=details))
    audit.record("person_unmerged", target(absorbed), user=user, out_of=kept.id, rows=moved)
    db.session.commit()
    return moved


# --- the timeline ---------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    """One dated line of a person's timeline: an incident they were a victim in, or a request
    for protection (filed, decided, its measures ending)."""

    on: date
    kind: str  # incident | request_filed | request_decided | measures_end
    ref: str
    violations: list[str] = field(default_factory=list)
    admin1: str = ""
    status: str = ""
    request: ProtectionRequest | None = None


def merged_ids(person: Person) -> list[int]:
    """The record and every record merged into it (their rows all point to it now, but a row
    saved before a merge was undone may not)."""
    ids, frontier = [person.id], [person.id]
    while frontier:
        frontier = list(db.session.scalars(sa.select(Person.id).where(Person.merged_into_id.in_(frontier))))
        ids += frontier
    return ids


def timeline(person: Person, user) -> list[TimelineEntry]:
    """The incidents naming `person` that `user` may see with their identities (for a monitor,
    their own; a victim's link to someone else's incident is an identity of that incident),
    with the incidents' protection requests, by date."""
    incidents = db.session.scalars(
        sa.select(Incident)
        .where(
            Incident.id.in_(sa.select(Victim.incident_id).where(Victim.person_id.in_(merged_ids(person)))),
            visible_incidents_clause(user),
            identities_clause(user),
        )
        .order_by(Incident.date, Incident.ref)
    ).all()
    entries = []
    for incident in incidents:
        entries.append(
            TimelineEntry(
                incident.date, "incident", incident.ref, incident.violation_codes, incident.admin1, incident.status
            )
        )
        for request in incident.requests:
            entries.append(TimelineEntry(request.filed_on, "request_filed", incident.ref, request=request))
            if request.decided_on:
                entries.append(TimelineEntry(request.decided_on, "request_decided", incident.ref, request=request))
            if request.measures_end:
                entries.append(TimelineEntry(request.measures_end, "measures_end", incident.ref, request=request))
    order = ("incident", "request_filed", "request_decided", "measures_end")
    return sorted(entries, key=lambda e: (e.on, e.ref, order.index(e.kind)))
