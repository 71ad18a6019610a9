"""The incident aggregate (docs/architecture.md, "The incident"): an incident with its violations, victims,
perpetrators and sources, its workflow history and its full change history."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..crypto import EncryptedJSON, EncryptedText
from ..extensions import Model
from ..timeutil import utcnow

if TYPE_CHECKING:
    from .person import Person
    from .user import User


class Event(Model):
    """Groups incidents that belong to one event (a protest wave, a strike)."""

    __tablename__ = "events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")


class Incident(Model):
    __tablename__ = "incidents"
    __table_args__ = (
        sa.Index("ix_incidents_status_date", "status", "date"),
        # what the public and viewers see (published or cited, public or partners), by period:
        # their counts read the index alone instead of every published row
        sa.Index("ix_incidents_visibility_status_date", "visibility", "status", "date"),
        # region pages filter on region, status and period together (the report's default)
        sa.Index("ix_incidents_admin1_status_date", "admin1", "status", "date"),
        sa.Index("ix_incidents_admin2_status_date", "admin2", "status", "date"),
        sa.CheckConstraint("killed IS NULL OR killed >= 0", name="killed_not_negative"),
        sa.CheckConstraint("injured IS NULL OR injured >= 0", name="injured_not_negative"),
        sa.CheckConstraint("detained IS NULL OR detained >= 0", name="detained_not_negative"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ref: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    date: so.Mapped[dt.date] = so.mapped_column(index=True)  # `dt.date` here and below: `date` is this column
    date_precision: so.Mapped[str] = so.mapped_column(sa.String(10), default="day")
    end_date: so.Mapped[dt.date | None]

    place: so.Mapped[str] = so.mapped_column(EncryptedText, default="")  # restricted, encrypted
    latitude: so.Mapped[float | None]
    longitude: so.Mapped[float | None]
    geo_precision: so.Mapped[str] = so.mapped_column(sa.String(10), default="exact")
    country: so.Mapped[str] = so.mapped_column(sa.String(2), default="PE")
    admin1: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    admin2: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    admin3: so.Mapped[str] = so.mapped_column(sa.String(120), default="")

    killed: so.Mapped[int | None]
    injured: so.Mapped[int | None]
    detained: so.Mapped[int | None]

    status: so.Mapped[str] = so.mapped_column(sa.String(12), default="draft")
    confidence: so.Mapped[str] = so.mapped_column(sa.String(12), default="unknown", index=True)
    visibility: so.Mapped[str] = so.mapped_column(sa.String(10), default="internal")
    public_location: so.Mapped[str] = so.mapped_column(sa.String(10), default="admin1")
    consent: so.Mapped[bool] = so.mapped_column(default=False)

    # What reports count, summarised from the child rows on every save (tracker/facts.py)
    violation_bits: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0, server_default="0")
    victim_group_bits: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    gender_bits: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    defender_gender_bits: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    perpetrator_bits: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    victim_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    defender_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    women_defender_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    indigenous_defender_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    source_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    linked_defender_rows: so.Mapped[int] = so.mapped_column(default=0, server_default="0")  # rows naming a person
    request_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")  # protection requests

    event_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("events.id"), index=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    version: so.Mapped[int] = so.mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    event: so.Mapped[Event | None] = so.relationship()
    created_by: so.Mapped["User | None"] = so.relationship()
    violations: so.Mapped[list[IncidentViolation]] = so.relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentViolation.code"
    )
    victims: so.Mapped[list[Victim]] = so.relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="Victim.position"
    )
    perpetrators: so.Mapped[list[Perpetrator]] = so.relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="Perpetrator.position"
    )
    sources: so.Mapped[list[Source]] = so.relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="Source.position"
    )
    requests: so.Mapped[list[ProtectionRequest]] = so.relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="ProtectionRequest.position"
    )
    status_changes: so.Mapped[list[StatusChange]] = so.relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="StatusChange.id"
    )
    versions: so.Mapped[list[IncidentVersion]] = so.relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentVersion.version"
    )
    revisions: so.Mapped[list[IncidentRevision]] = so.relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentRevision.id"
    )

    @property
    def pending_revision(self) -> IncidentRevision | None:
        """Proposed changes waiting for a reviewer (at most one at a time)."""
        return next((r for r in self.revisions if r.outcome is None), None)

    @property
    def violation_codes(self) -> list[str]:
        return [v.code for v in self.violations]


class IncidentViolation(Model):
    __tablename__ = "incident_violations"
    __table_args__ = (sa.Index("ix_incident_violations_code_incident", "code", "incident_id"),)

    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)

    incident: so.Mapped[Incident] = so.relationship(back_populates="violations")


class Victim(Model):
    __tablename__ = "victims"
    __table_args__ = (
        sa.Index("ix_victims_group_incident", "group", "incident_id"),
        # also the foreign key's index; covers a report's persons by group and gender, which
        # then reads no victim rows (tracker/counts/service.py)
        sa.Index("ix_victims_incident_group_gender_count", "incident_id", "group", "gender", "count"),
        # the rows naming a person, for the report's persons at risk (tracker/counts/persons.py),
        # which then reads no other victim row
        sa.Index(
            "ix_victims_incident_person_group_count",
            "incident_id",
            "person_id",
            "group",
            "count",
            postgresql_where=sa.text("person_id IS NOT NULL"),
            sqlite_where=sa.text("person_id IS NOT NULL"),
        ),
        sa.CheckConstraint("count >= 1", name="count_positive"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"))
    position: so.Mapped[int] = so.mapped_column(default=0)
    group: so.Mapped[str] = so.mapped_column(sa.String(40))
    count: so.Mapped[int] = so.mapped_column(default=1)
    gender: so.Mapped[str] = so.mapped_column(sa.String(12), default="unknown")
    name: so.Mapped[str] = so.mapped_column(EncryptedText, default="")  # restricted, encrypted
    organisation: so.Mapped[str] = so.mapped_column(EncryptedText, default="")  # restricted, encrypted
    indigenous: so.Mapped[bool] = so.mapped_column(default=False)
    lgbtiq: so.Mapped[bool] = so.mapped_column(default=False)
    woman_defender: so.Mapped[bool] = so.mapped_column(default=False)
    # the register's record this row is about (tracker/persons/); its count is then 1 for a person
    person_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("persons.id"), index=True)

    incident: so.Mapped[Incident] = so.relationship(back_populates="victims")
    person: so.Mapped[Person | None] = so.relationship()


class Perpetrator(Model):
    __tablename__ = "perpetrators"
    __table_args__ = (sa.Index("ix_perpetrators_type_incident", "type", "incident_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    type: so.Mapped[str] = so.mapped_column(sa.String(40))
    name: so.Mapped[str] = so.mapped_column(EncryptedText, default="")  # restricted, encrypted
    involvement: so.Mapped[str] = so.mapped_column(sa.String(12), default="direct")

    incident: so.Mapped[Incident] = so.relationship(back_populates="perpetrators")


class Source(Model):
    __tablename__ = "sources"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    # encrypted whether confidential or not: a source may become confidential later
    title: so.Mapped[str] = so.mapped_column(EncryptedText, default="")
    url: so.Mapped[str] = so.mapped_column(EncryptedText, default="")
    publisher: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    published_on: so.Mapped[date | None]
    reliability: so.Mapped[str] = so.mapped_column(sa.String(1), default="F")
    confidential: so.Mapped[bool] = so.mapped_column(default=False)

    incident: so.Mapped[Incident] = so.relationship(back_populates="sources")


class ProtectionRequest(Model):
    """A request for protection to the Mechanism (or another authority) after the incident, and
    the answer (docs/architecture.md, "Persons and protection"): part of the incident, saved,
    versioned and reviewed with it."""

    __tablename__ = "protection_requests"
    __table_args__ = (
        sa.Index("ix_protection_requests_decision_filed_on", "decision", "filed_on"),
        sa.CheckConstraint("decided_on IS NULL OR decided_on >= filed_on", name="decided_after_filed"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    filed_on: so.Mapped[date]
    authority: so.Mapped[str] = so.mapped_column(sa.String(20), default="mechanism")
    reference: so.Mapped[str] = so.mapped_column(EncryptedText, default="")  # a case number: restricted
    decision: so.Mapped[str] = so.mapped_column(sa.String(10), default="pending")
    decided_on: so.Mapped[date | None]
    measures: so.Mapped[str] = so.mapped_column(sa.String(400), default="")  # measure codes, ";"-joined
    measures_end: so.Mapped[date | None] = so.mapped_column(index=True)
    notes: so.Mapped[str] = so.mapped_column(EncryptedText, default="")

    incident: so.Mapped[Incident] = so.relationship(back_populates="requests")


class StatusChange(Model):
    """One workflow transition with the reviewer's (or monitor's) comment."""

    __tablename__ = "status_changes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    from_status: so.Mapped[str] = so.mapped_column(sa.String(12))
    to_status: so.Mapped[str] = so.mapped_column(sa.String(12))
    comment: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    incident: so.Mapped[Incident] = so.relationship(back_populates="status_changes")
    user: so.Mapped["User | None"] = so.relationship()


class IncidentVersion(Model):
    """A saved state of an incident: the full snapshot and the fields that changed."""

    __tablename__ = "incident_versions"
    __table_args__ = (sa.UniqueConstraint("incident_id", "version", name="uq_incident_versions_incident_version"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    version: so.Mapped[int]
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # they hold names and places: encrypted as a whole
    snapshot: so.Mapped[dict[str, Any]] = so.mapped_column(EncryptedJSON)
    changes: so.Mapped[dict[str, Any]] = so.mapped_column(EncryptedJSON, default=dict)

    incident: so.Mapped[Incident] = so.relationship(back_populates="versions")
    user: so.Mapped["User | None"] = so.relationship()


class IncidentRevision(Model):
    """Changes to a verified or published incident proposed by someone who is not a reviewer
    (tracker/incidents/revisions.py): they wait here, while the incident itself, which everyone
    else reads, keeps its approved content until a reviewer accepts them. Decided proposals
    stay, for the history."""

    __tablename__ = "incident_revisions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    base_version: so.Mapped[int]  # the version the proposal was made from
    snapshot: so.Mapped[dict[str, Any]] = so.mapped_column(EncryptedJSON)  # the proposed content, names included
    proposed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    proposed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # approved | rejected | replaced (by a newer proposal); None while it waits
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    decided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: so.Mapped[datetime | None]
    comment: so.Mapped[str] = so.mapped_column(EncryptedText, default="")  # a reviewer's reason may name people
    applied_version: so.Mapped[int | None]  # the incident's version that approval made

    incident: so.Mapped[Incident] = so.relationship(back_populates="revisions")
    proposed_by: so.Mapped["User | None"] = so.relationship(foreign_keys=[proposed_by_id])
    decided_by: so.Mapped["User | None"] = so.relationship(foreign_keys=[decided_by_id])
