"""The register of persons at risk (tracker/persons/): defenders, and the organisations and
communities they belong to, each under a stable key the organisation chooses (`DEF-0042`), so
that victim rows of many incidents can point to one record (docs/architecture.md, "Persons and
protection"). Names, communities and notes are restricted and encrypted at rest; the key is a
pseudonym and stays plain, as the unique index that links rows needs it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..crypto import EncryptedJSON, EncryptedText
from ..extensions import Model
from ..timeutil import utcnow

if TYPE_CHECKING:
    from .user import User


class Person(Model):
    __tablename__ = "persons"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(12), default="person")  # person | organisation
    name: so.Mapped[str] = so.mapped_column(EncryptedText, default="")  # restricted, encrypted
    groups: so.Mapped[str] = so.mapped_column(sa.String(400), default="")  # victim group codes, ";"-joined
    gender: so.Mapped[str] = so.mapped_column(sa.String(12), default="unknown")
    indigenous: so.Mapped[bool] = so.mapped_column(default=False)
    woman_defender: so.Mapped[bool] = so.mapped_column(default=False)
    lgbtiq: so.Mapped[bool] = so.mapped_column(default=False)
    community: so.Mapped[str] = so.mapped_column(EncryptedText, default="")  # community or organisation
    admin1: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    notes: so.Mapped[str] = so.mapped_column(EncryptedText, default="")
    # a record merged into another: its key still finds the survivor, and the merge can be undone
    merged_into_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("persons.id"), index=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    version: so.Mapped[int] = so.mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    created_by: so.Mapped[User | None] = so.relationship()
    merged_into: so.Mapped[Person | None] = so.relationship(remote_side=[id])
    changes: so.Mapped[list[PersonChange]] = so.relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonChange.id"
    )

    @property
    def group_codes(self) -> list[str]:
        return [g for g in self.groups.split(";") if g]


class PersonChange(Model):
    """One entry of a person's history: created, edited (the fields, old → new), merged into
    another record (which victim rows moved, so the merge can be undone) or unmerged."""

    __tablename__ = "person_changes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(12))  # created | edited | merged | unmerged
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    details: so.Mapped[dict[str, Any]] = so.mapped_column(EncryptedJSON, default=dict)  # names: encrypted
    undone_at: so.Mapped[datetime | None]

    person: so.Mapped[Person] = so.relationship(back_populates="changes")
    user: so.Mapped[User | None] = so.relationship()
