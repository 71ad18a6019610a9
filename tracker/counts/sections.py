"""The sections a report counts: the four of the taxonomy (docs/architecture.md, "Taxonomy") and
two optional ones built from codes that fit the country report's principles 2.3 (protection from
interference) and 6 (digital environment)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..filters import section_condition
from ..models import Incident, IncidentViolation
from ..taxonomy import SECTIONS


@dataclass(frozen=True)
class SectionSpec:
    key: str
    en: str
    es: str
    codes: tuple[str, ...]
    listed: bool  # the incident list's `section` parameter knows this key
    optional: bool = False

    def label(self, locale: str) -> str:
        return self.es if locale.startswith("es") else self.en

    @property
    def defenders_only(self) -> bool:
        """Victim-level figures of the protection section count only defender victims."""
        return self.key == "protection"

    def condition(self) -> sa.ColumnElement[bool]:
        if self.listed:
            return section_condition(self.key)
        return sa.exists().where(IncidentViolation.incident_id == Incident.id, IncidentViolation.code.in_(self.codes))


CORE_SECTIONS = tuple(SectionSpec(s.key, s.en, s.es, tuple(t.code for t in s.codes), listed=True) for s in SECTIONS)
OPTIONAL_SECTIONS = (
    SectionSpec(
        "2.3",
        "2.3 Protection from interference",
        "2.3 Protección frente a injerencias",
        (
            "org_admin_harassment",
            "org_funding_restriction",
            "org_raid",
            "org_closure",
            "org_registration_denied",
            "judicial_harassment",
            "surveillance",
            "smear_campaign",
        ),
        listed=False,
        optional=True,
    ),
    SectionSpec(
        "6",
        "6 Access to a secure digital environment",
        "6 Acceso a un entorno digital seguro",
        ("online_harassment", "surveillance", "internet_restriction", "data_leak"),
        listed=False,
        optional=True,
    ),
)
SPECS = {s.key: s for s in CORE_SECTIONS + OPTIONAL_SECTIONS}
