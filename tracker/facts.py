"""What a report counts about an incident, summarised from its child rows and stored on the
incident itself (docs/architecture.md, "Counting rules", precomputed).

Which violation codes, victim groups, genders and perpetrator types an incident has are kept
as bit sets (one bit per taxonomy code), and its victims as sums. A report then takes every
figure from one pass over the incidents, with no joins and no COUNT(DISTINCT), and "in section
1.2" is a column test rather than a search of the child tables. The cost is that every write
path must store the summary: `facts_of` computes it from the same data the incident is saved
from (incident form, import), and `refresh_facts` recomputes stored incidents (migrations, and
`tracker recount` after the taxonomy gains a code). Bits follow the taxonomy's order, so
new codes must be appended, never inserted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, cast

import sqlalchemy as sa

from .taxonomy import DEFENDER_GROUPS, GENDERS, PERPETRATOR_TYPES, VICTIM_GROUPS, VIOLATIONS


@dataclass(frozen=True)
class BitSet:
    """Codes ↔ bits of an integer column."""

    codes: tuple[str, ...]

    def bit(self, code: str) -> int:
        return 1 << self.codes.index(code)

    def mask(self, codes: Iterable[str]) -> int:
        return sum(self.bit(code) for code in set(codes))

    def only(self, value: int) -> str:
        """The code of a value with one bit set."""
        return self.codes[value.bit_length() - 1]

    def has_any(self, column, codes: Iterable[str]) -> sa.ColumnElement[bool]:
        return column.bitwise_and(self.mask(codes)) != 0


VIOLATION_BITS = BitSet(tuple(VIOLATIONS))
VICTIM_GROUP_BITS = BitSet(tuple(VICTIM_GROUPS))
GENDER_BITS = BitSet(tuple(GENDERS))
PERPETRATOR_BITS = BitSet(tuple(PERPETRATOR_TYPES))

# column → the bit set it holds
BIT_COLUMNS = {
    "violation_bits": VIOLATION_BITS,
    "victim_group_bits": VICTIM_GROUP_BITS,
    "gender_bits": GENDER_BITS,
    "defender_gender_bits": GENDER_BITS,
    "perpetrator_bits": PERPETRATOR_BITS,
}
SUM_COLUMNS = (
    "victim_count",
    "defender_count",
    "women_defender_count",
    "indigenous_defender_count",
    "source_count",
    # the protection figures (tracker/counts/persons.py) read victim rows and requests only
    # for incidents that have some
    "linked_defender_rows",
    "request_count",
)
FACT_COLUMNS = (*BIT_COLUMNS, *SUM_COLUMNS)


class VictimLike(Protocol):
    group: str
    gender: str
    count: int
    indigenous: bool

    @property
    def person(self) -> object: ...  # truthy when the row names a person of the register


@dataclass(frozen=True)
class StoredVictim:
    """A victim row as read back for `refresh_facts` (a Row's `count` is tuple.count)."""

    group: str
    gender: str
    count: int
    indigenous: bool
    person: int | None


def is_defender(victim: VictimLike) -> bool:
    return victim.group in DEFENDER_GROUPS


def facts_of(
    codes: Iterable[str],
    victims: Iterable[VictimLike],
    perpetrator_types: Iterable[str],
    sources: int,
    requests: int = 0,
) -> dict[str, int]:
    """The stored summary of an incident with these violation codes, victims and perpetrators.
    "Women defenders" and "indigenous defenders" count defender victims only (docs/architecture.md, "Counting rules");
    a victim of group `indigenous_leader` is an indigenous defender whatever the flag says."""
    victims = list(victims)
    defenders = [v for v in victims if is_defender(v)]
    return {
        "violation_bits": VIOLATION_BITS.mask(codes),
        "victim_group_bits": VICTIM_GROUP_BITS.mask(v.group for v in victims),
        "gender_bits": GENDER_BITS.mask(v.gender for v in victims),
        "defender_gender_bits": GENDER_BITS.mask(v.gender for v in defenders),
        "perpetrator_bits": PERPETRATOR_BITS.mask(perpetrator_types),
        "victim_count": sum(v.count for v in victims),
        "defender_count": sum(v.count for v in defenders),
        "women_defender_count": sum(v.count for v in defenders if v.gender == "female"),
        "indigenous_defender_count": sum(v.count for v in defenders if v.indigenous or v.group == "indigenous_leader"),
        "source_count": sources,
        "linked_defender_rows": sum(1 for v in defenders if v.person),
        "request_count": requests,
    }


def in_section(incident_table, codes: Iterable[str], defenders_only: bool) -> sa.ColumnElement[bool]:
    """An incident counts in a section if it has one of the section's codes; the protection
    section also needs a victim of a defender group (docs/architecture.md, "Counting rules")."""
    cond = VIOLATION_BITS.has_any(incident_table.violation_bits, codes)
    if defenders_only:
        cond = sa.and_(cond, VICTIM_GROUP_BITS.has_any(incident_table.victim_group_bits, DEFENDER_GROUPS))
    return cond


REFRESH_BATCH = 2000


def refresh_facts(connection: sa.Connection, where: sa.ColumnElement[bool] | None = None, progress=None) -> int:
    """Recompute the stored summary of the incidents matching `where` (all by default) from
    their child rows, in batches of REFRESH_BATCH. Returns how many were refreshed."""
    from .models import Incident, IncidentViolation, Perpetrator, ProtectionRequest, Source, Victim

    ids = connection.scalars(
        sa.select(Incident.id).where(*([where] if where is not None else [])).order_by(Incident.id)
    ).all()
    table = cast(sa.Table, Incident.__table__)  # typed as any FromClause; a model's is a Table
    for start in range(0, len(ids), REFRESH_BATCH):
        batch = ids[start : start + REFRESH_BATCH]
        codes = _by_incident(
            connection,
            sa.select(IncidentViolation.incident_id, IncidentViolation.code).where(
                IncidentViolation.incident_id.in_(batch)
            ),
        )
        victims = _by_incident(
            connection,
            sa.select(
                Victim.incident_id, Victim.group, Victim.gender, Victim.count, Victim.indigenous, Victim.person_id
            ).where(Victim.incident_id.in_(batch)),
        )
        victims = {i: [StoredVictim(*row[1:]) for row in rows] for i, rows in victims.items()}
        perpetrators = _by_incident(
            connection, sa.select(Perpetrator.incident_id, Perpetrator.type).where(Perpetrator.incident_id.in_(batch))
        )
        sources, requests = (
            dict(
                connection.execute(
                    sa.select(child.incident_id, sa.func.count())
                    .where(child.incident_id.in_(batch))
                    .group_by(child.incident_id)
                ).all()
            )
            for child in (Source, ProtectionRequest)
        )
        rows = [
            {
                "b_id": i,
                **facts_of(
                    (c for _, c in codes.get(i, ())),
                    victims.get(i, ()),
                    (t for _, t in perpetrators.get(i, ())),
                    sources.get(i, 0),
                    requests.get(i, 0),
                ),
            }
            for i in batch
        ]
        connection.execute(
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            # updated_at kept: a recount is not an edit
            .values({**{name: sa.bindparam(name) for name in FACT_COLUMNS}, "updated_at": table.c.updated_at}),
            rows,
        )
        if progress:
            progress("refreshing", start + len(batch), len(ids))
    return len(ids)


def _by_incident(connection: sa.Connection, stmt: sa.Select) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in connection.execute(stmt):
        grouped.setdefault(row[0], []).append(row)
    return grouped


def decode(bitset: BitSet, counts: dict[int, list[int]]) -> dict[str, int]:
    """Incidents per code, from incident counts per stored bit-set value (a GROUP BY of the
    column: a few hundred distinct values, however many incidents); value → [count, …]."""
    result: dict[str, int] = {}
    for value, (n, *_rest) in counts.items():
        while value:
            low = value & -value
            code = bitset.codes[low.bit_length() - 1]
            result[code] = result.get(code, 0) + n
            value ^= low
    return result
