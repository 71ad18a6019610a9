"""Early-warning alerts (docs/architecture.md, "Persons and protection"): signs that a person or
organisation of the register is at growing risk, or that the State has not answered a request
for protection in time.

Alerts are computed from the data each time, in SQL: the victim rows that name a record of the
register are copied once, with what the alerts read of their incidents, into a narrow temporary
table, which window functions and a self-join then read; the requests are found by their
decision and dates. Nothing but a reviewer's acknowledgement is stored (`AlertAcknowledgement`,
under the alert's key). Rejected incidents never count; drafts and submitted ones do, as an
early warning must not wait for verification.

An alert's key holds ids and dates only, never a name or a person's key: the kind, the record
(`p42`), the latest incident (`i1234`), a request's position and dates. A new incident makes a
new key, so an acknowledged alert comes back when the danger grows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..errors import PermissionDenied, ServiceError
from ..extensions import db
from ..facts import VICTIM_GROUP_BITS, VIOLATION_BITS
from ..i18n import term_label
from ..models import AlertAcknowledgement, Incident, IncidentViolation, Person, ProtectionRequest, Victim
from ..security import can_see_alerts, can_see_person
from ..taxonomy import AUTHORITIES, MEASURES

# kind → what it is called; the order the page lists the kinds in
KINDS = {
    "repeat": _l("Attacked again"),
    "escalation": _l("Threat, then attack"),
    "family_threat": _l("Family threatened"),
    "pending_request": _l("Request unanswered"),
    "measures_ending": _l("Measures ending"),
}
THREATS = ("threat", "journalist_threat")
ATTACKS = (
    "killing",
    "attempted_killing",
    "physical_assault",
    "torture",
    "sexual_violence",
    "enforced_disappearance",
    "journalist_attack",
    "protest_killing",
)


@dataclass(frozen=True)
class RequestFacts:
    """What a request alert says of its request (no reference or notes: they are restricted)."""

    incident_id: int
    position: int
    filed_on: date
    authority: str
    measures: tuple[str, ...]
    measures_end: date | None


@dataclass(frozen=True)
class IncidentLine:
    id: int
    ref: str
    date: date
    date_precision: str
    admin1: str
    status: str
    violations: tuple[str, ...]


@dataclass(frozen=True)
class PersonLine:
    id: int
    key: str
    kind: str
    name: str  # "" unless names were asked for and the reader may see them


@dataclass
class Alert:
    key: str
    kind: str
    on: date  # the latest event: the latest incident, the filing, the measures' end
    since: date  # the first event it stands on: the first incident of the run, the first threat
    person_id: int | None  # the record a repeat or an escalation is about
    incident_id: int  # the latest incident; a request's own incident
    size: int = 1  # incidents in a repeat's run
    request: RequestFacts | None = None
    # filled by `describe`, for the alerts a page or the command line shows
    incident_ids: tuple[int, ...] = ()  # oldest first
    person_ids: tuple[int, ...] = ()
    incidents: list[IncidentLine] = field(default_factory=list)
    persons: list[PersonLine] = field(default_factory=list)


def _settings() -> dict[str, int]:
    config = current_app.config
    return {
        "repeat": config["ALERT_REPEAT_DAYS"],
        "pending": config["ALERT_PENDING_DAYS"],
        "ending": config["ALERT_MEASURES_ENDING_DAYS"],
    }


# --- computing ---------------------------------------------------------------------------------

# The incidents (not rejected) naming each record of the register, one row per record and
# incident: copied once per computation into a narrow temporary table that the three alerts
# about persons read, so the wide incidents table is read once (as tracker/counts/tally.py
# does for reports). Dates are kept as day numbers (days since 1970-01-01), which both
# databases subtract and compare alike. One table object: its statements compile once per process.
LINKED = sa.Table(
    "alert_linked",
    sa.MetaData(),
    sa.Column("person_id", sa.Integer),
    sa.Column("incident_id", sa.Integer),
    sa.Column("day", sa.Integer),
    sa.Column("violation_bits", sa.BigInteger),
    sa.Column("victim_group_bits", sa.Integer),
    prefixes=["TEMPORARY"],
)
ABOUT_PERSONS = ("repeat", "escalation", "family_threat")
EPOCH = date(1970, 1, 1)
# The latest of several incidents, by date and then id, in one aggregate: the largest of
# day · 2³¹ + id (ids are 32-bit integers), read back by `_latest`.
SHIFT = 2**31


def compute(today: date | None = None, kinds: tuple[str, ...] | None = None) -> list[Alert]:
    """Every alert the data raise today (acknowledged or not), newest first; only those of
    `kinds` when given. Their incidents and persons are left for `describe`."""
    today = today or date.today()
    settings = _settings()
    wanted = tuple(KINDS) if kinds is None else kinds
    alerts: list[Alert] = []
    if set(wanted) & set(ABOUT_PERSONS):
        with _linked_copy() as linked:
            if "repeat" in wanted:
                alerts += _repeats(linked, settings["repeat"])
            if "escalation" in wanted:
                alerts += _escalations(linked)
            if "family_threat" in wanted:
                alerts += _family_threats(linked)
    if "pending_request" in wanted:
        alerts += _requests(
            "pending_request",
            ProtectionRequest.decision == "pending",
            ProtectionRequest.filed_on < today - timedelta(days=settings["pending"]),
        )
    if "measures_ending" in wanted:
        alerts += _requests(
            "measures_ending",
            ProtectionRequest.decision == "granted",
            ProtectionRequest.measures_end.between(today, today + timedelta(days=settings["ending"])),
        )
    order = {kind: i for i, kind in enumerate(KINDS)}
    alerts.sort(key=lambda a: (-a.on.toordinal(), order[a.kind], a.key))
    return alerts


@contextmanager
def _linked_copy() -> Iterator[sa.Table]:
    """LINKED filled, on the session's connection (temporary tables are per connection, so
    concurrent requests do not meet); dropped on the way out. After an error it is left to the
    transaction's rollback, or to the next computation's DROP."""
    connection = db.session.connection()
    LINKED.drop(connection, checkfirst=True)
    LINKED.create(connection)
    if connection.dialect.name == "sqlite":  # julianday of a date is a whole number and a half
        day = sa.cast(sa.func.julianday(Incident.date) - 2440587.5, sa.Integer)
    else:
        day = sa.cast(Incident.date - sa.cast(sa.literal(EPOCH.isoformat()), sa.Date), sa.Integer)
    linked = (
        sa.select(Victim.person_id, Victim.incident_id, day, Incident.violation_bits, Incident.victim_group_bits)
        .join(Incident, Incident.id == Victim.incident_id)
        # read from ix_victims_incident_person_group_count alone, in the incidents' order
        .where(Victim.person_id.is_not(None), Incident.status != "rejected")
        .distinct()
    )
    connection.execute(LINKED.insert().from_select(list(LINKED.c.keys()), linked))
    yield LINKED
    LINKED.drop(connection)


def _on(day: int) -> date:
    return EPOCH + timedelta(days=day)


def _ordinal(rows) -> sa.ColumnElement[int]:
    """day · SHIFT + id of `rows` (LINKED, or a selection of its columns), in 64 bits."""
    return sa.cast(rows.c.day, sa.BigInteger) * sa.literal(SHIFT, sa.BigInteger) + rows.c.incident_id


def _latest(value: int) -> tuple[int, date]:
    """The incident and its date from the largest day · SHIFT + id."""
    day, incident_id = divmod(value, SHIFT)
    return incident_id, _on(day)


def _repeats(linked: sa.Table, days: int) -> list[Alert]:
    """Runs of a record's incidents, each within `days` of the one before, of two or more; one
    alert per run, under its latest incident. One pass of window functions over each record's
    incidents in order finds where runs start (the gap to the previous one, LAG, is longer or
    there is none) and end (the same with the next one, LEAD); only the rows that start a run
    without ending it, or end one without starting it, come back: two per run, in order."""

    def in_order(function: sa.FunctionElement) -> sa.Over:
        return function.over(partition_by=linked.c.person_id, order_by=(linked.c.day, linked.c.incident_id))

    gap_before = linked.c.day - in_order(sa.func.lag(linked.c.day))
    gap_after = in_order(sa.func.lead(linked.c.day)) - linked.c.day
    steps = sa.select(
        linked.c.person_id,
        linked.c.incident_id,
        linked.c.day,
        in_order(sa.func.row_number()).label("n"),
        sa.case((gap_before <= days, 0), else_=1).label("starts"),  # NULL for the first: it starts
        sa.case((gap_after <= days, 0), else_=1).label("ends"),
    ).subquery()
    rows = db.session.execute(
        sa.select(steps.c.person_id, steps.c.incident_id, steps.c.day, steps.c.n)
        .where(steps.c.starts != steps.c.ends)
        .order_by(steps.c.person_id, steps.c.n)
    ).all()
    alerts = []
    for (person_id, _first, since, n), (_same, incident_id, day, last) in zip(rows[::2], rows[1::2], strict=True):
        key = f"repeat:p{person_id}:i{incident_id}"
        alerts.append(Alert(key, "repeat", _on(day), _on(since), person_id, incident_id, last - n + 1))
    return alerts


def _escalations(linked: sa.Table) -> list[Alert]:
    """A record threatened in one incident and attacked in another on the same day or later:
    one alert per record, under its latest such attack, since its first threat."""
    threat, attack = linked.alias("threat"), linked.alias("attack")
    rows = db.session.execute(
        sa.select(attack.c.person_id, sa.func.max(_ordinal(attack)), sa.func.min(threat.c.day))
        .join_from(
            attack,
            threat,
            sa.and_(
                threat.c.person_id == attack.c.person_id,
                threat.c.day <= attack.c.day,
                threat.c.incident_id != attack.c.incident_id,
            ),
        )
        .where(
            VIOLATION_BITS.has_any(threat.c.violation_bits, THREATS),
            VIOLATION_BITS.has_any(attack.c.violation_bits, ATTACKS),
        )
        .group_by(attack.c.person_id)
    )
    alerts = []
    for person_id, latest, first in rows:
        incident_id, on = _latest(latest)
        alerts.append(
            Alert(f"escalation:p{person_id}:i{incident_id}", "escalation", on, _on(first), person_id, incident_id)
        )
    return alerts


def _family_threats(linked: sa.Table) -> list[Alert]:
    """An incident with a threat and a victim row of the group `family_member` that names a
    record of the register: the family of someone the register follows was threatened. (An
    incident naming no one of the register raises none: there is nobody to warn about.)"""
    rows = db.session.execute(
        sa.select(linked.c.incident_id, linked.c.day)
        .where(
            VIOLATION_BITS.has_any(linked.c.violation_bits, THREATS),
            VICTIM_GROUP_BITS.has_any(linked.c.victim_group_bits, ["family_member"]),
        )
        .distinct()
    )
    return [
        Alert(f"family_threat:i{incident_id}", "family_threat", _on(day), _on(day), None, incident_id)
        for incident_id, day in rows
    ]


def _requests(kind: str, *where: sa.ColumnElement[bool]) -> list[Alert]:
    """One alert per request matching `where`, on an incident that is not rejected, whether or
    not the incident names anyone of the register: the State owes an answer either way."""
    rows = db.session.execute(
        sa.select(
            ProtectionRequest.incident_id,
            ProtectionRequest.position,
            ProtectionRequest.filed_on,
            ProtectionRequest.authority,
            ProtectionRequest.measures,
            ProtectionRequest.measures_end,
        )
        .join(Incident, Incident.id == ProtectionRequest.incident_id)
        .where(Incident.status != "rejected", *where)
    )
    alerts = []
    for incident_id, position, filed_on, authority, measures, measures_end in rows:
        request = RequestFacts(
            incident_id, position, filed_on, authority, tuple(m for m in measures.split(";") if m), measures_end
        )
        # the filing for an unanswered request; the end for measures (a new end: a new alert)
        ending = kind == "measures_ending" and measures_end is not None
        on = measures_end if ending and measures_end else filed_on
        key = f"{kind}:i{incident_id}:r{position}:{'e' if ending else 'f'}{on:%Y%m%d}"
        alerts.append(Alert(key, kind, on, filed_on, None, incident_id, request=request))
    return alerts


# --- open and acknowledged -----------------------------------------------------------------------


def acknowledged_keys() -> set[str]:
    return set(db.session.scalars(sa.select(AlertAcknowledgement.alert_key)))


def open_alerts(today: date | None = None, kinds: tuple[str, ...] | None = None) -> list[Alert]:
    """The alerts no one has acknowledged, newest first."""
    done = acknowledged_keys()
    return [a for a in compute(today, kinds) if a.key not in done]


def kind_of(key: str) -> str:
    return key.partition(":")[0]


def acknowledgements(
    kind: str = "", offset: int = 0, limit: int | None = None
) -> tuple[list[AlertAcknowledgement], int]:
    """Acknowledgements (of the alerts of `kind`, or all), the latest first, and how many there are."""
    where = [AlertAcknowledgement.alert_key.startswith(f"{kind}:", autoescape=True)] if kind else []
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AlertAcknowledgement).where(*where)) or 0
    rows = db.session.scalars(
        sa.select(AlertAcknowledgement)
        .where(*where)
        .order_by(AlertAcknowledgement.at.desc(), AlertAcknowledgement.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def acknowledge(key: str, comment: str, user, today: date | None = None) -> Alert:
    """Record that `user` saw the alert of `key` and what was done (the comment is required);
    commits. The audit entry holds the key, never the comment, which may name people."""
    if not can_see_alerts(user):
        raise PermissionDenied(_("Only reviewers and admins may acknowledge alerts."))
    comment = comment.strip()
    if not comment:
        raise ServiceError(_("Say what was done about this alert: the comment is required."))
    kind = kind_of(key)
    alert = next((a for a in compute(today, (kind,)) if a.key == key), None) if kind in KINDS else None
    if alert is None:
        raise ServiceError(_("This alert is no longer raised: the data changed since the page was opened."))
    if db.session.scalar(sa.select(AlertAcknowledgement.id).where(AlertAcknowledgement.alert_key == key)):
        raise ServiceError(_("Someone has acknowledged this alert already."))
    db.session.add(AlertAcknowledgement(alert_key=key, comment=comment, user_id=user.id))
    audit.record("alert_acknowledged", key, user=user, alert=key, kind=kind)
    try:
        db.session.commit()
    except IntegrityError:  # acknowledged by someone else at the same moment
        db.session.rollback()
        raise ServiceError(_("Someone has acknowledged this alert already.")) from None
    return alert


# --- what a page or the command line shows -----------------------------------------------------------


def describe(alerts: list[Alert], user, names: bool = True) -> list[Alert]:
    """Fill in the incidents and records of `alerts` (the few a page shows, or what the command
    line prints): references, dates, violations, departments, keys, and names when `names` and
    `user` may see them."""
    _link(alerts)
    incidents, persons = {}, {}
    codes: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks({i for a in alerts for i in a.incident_ids}):
        for incident_id, code in db.session.execute(
            sa.select(IncidentViolation.incident_id, IncidentViolation.code).where(
                IncidentViolation.incident_id.in_(chunk)
            )
        ):
            codes[incident_id].append(code)
        for row in db.session.execute(
            sa.select(
                Incident.id, Incident.ref, Incident.date, Incident.date_precision, Incident.admin1, Incident.status
            ).where(Incident.id.in_(chunk))
        ):
            incidents[row.id] = IncidentLine(*row, violations=tuple(sorted(codes[row.id])))
    for chunk in _chunks({p for a in alerts for p in a.person_ids}):
        for person in db.session.scalars(sa.select(Person).where(Person.id.in_(chunk))):
            shown = names and can_see_person(user, person)
            persons[person.id] = PersonLine(person.id, person.key, person.kind, person.name if shown else "")
    for alert in alerts:
        alert.incidents = [incidents[i] for i in alert.incident_ids if i in incidents]
        alert.persons = [persons[p] for p in alert.person_ids if p in persons]
    return alerts


def _link(alerts: list[Alert]) -> None:
    """Each alert's incidents (oldest first) and records. A repeat's run is every incident of its
    record from its first date to its latest (an incident between them is within the days of
    its neighbours); an escalation's, the threats and attacks from the first threat to the
    latest attack. An alert about an incident concerns the records that incident names."""
    about = {a.person_id for a in alerts if a.person_id is not None}
    named: dict[int, list[tuple[date, int, int]]] = defaultdict(list)
    for chunk in _chunks(about):
        for person_id, incident_id, on, bits in db.session.execute(
            sa.select(Victim.person_id, Incident.id, Incident.date, Incident.violation_bits)
            .join(Incident, Incident.id == Victim.incident_id)
            .where(Victim.person_id.in_(chunk), Incident.status != "rejected")
            .distinct()
        ):
            named[cast(int, person_id)].append((on, incident_id, bits))
    records: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks({a.incident_id for a in alerts if a.person_id is None}):
        for incident_id, person_id in db.session.execute(
            sa.select(Victim.incident_id, Victim.person_id)
            .where(Victim.incident_id.in_(chunk), Victim.person_id.is_not(None))
            .distinct()
            .order_by(Victim.incident_id, Victim.person_id)
        ):
            records[incident_id].append(cast(int, person_id))  # never NULL here
    either = VIOLATION_BITS.mask(THREATS + ATTACKS)
    for alert in alerts:
        if alert.person_id is None:
            alert.incident_ids, alert.person_ids = (alert.incident_id,), tuple(records[alert.incident_id])
            continue
        alert.person_ids = (alert.person_id,)
        alert.incident_ids = tuple(
            incident_id
            for on, incident_id, bits in sorted(named[alert.person_id])
            if alert.since <= on <= alert.on and (alert.kind == "repeat" or bits & either)
        )


def _chunks(ids: Iterable[int], size: int = 500) -> Iterator[list[int]]:
    """Ids a few hundred at a time, for IN lists of any length."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def summary(alert: Alert, today: date | None = None) -> str:
    """The alert in one sentence, in the current language."""
    today = today or date.today()
    on, since = format_date(alert.on, "medium"), format_date(alert.since, "medium")
    if alert.kind == "repeat":
        return ngettext(
            "%(num)d incidents from %(since)s to %(on)s, each within %(days)d days of the one before.",
            "%(num)d incidents from %(since)s to %(on)s, each within %(days)d days of the one before.",
            alert.size,
            since=since,
            on=on,
            days=_settings()["repeat"],
        )
    if alert.kind == "escalation":
        return _("Threatened on %(since)s, then attacked on %(on)s.", since=since, on=on)
    if alert.kind == "family_threat":
        return _("Members of the family were threatened on %(on)s.", on=on)
    request = cast(RequestFacts, alert.request)  # the other kinds all have one
    authority = term_label(AUTHORITIES, request.authority)
    if alert.kind == "pending_request":
        return ngettext(
            "Filed with %(authority)s on %(since)s: no decision after %(num)d day.",
            "Filed with %(authority)s on %(since)s: no decision after %(num)d days.",
            (today - request.filed_on).days,
            authority=authority,
            since=since,
        )
    measures = ", ".join(term_label(MEASURES, m) for m in request.measures) or _("measures")
    days = (alert.on - today).days
    if days == 0:
        return _("Granted by %(authority)s: %(measures)s, ending today.", authority=authority, measures=measures)
    return ngettext(
        "Granted by %(authority)s: %(measures)s, ending on %(on)s, in %(num)d day.",
        "Granted by %(authority)s: %(measures)s, ending on %(on)s, in %(num)d days.",
        days,
        authority=authority,
        measures=measures,
        on=on,
    )
