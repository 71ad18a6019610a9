"""A hand-built year of attacks on defenders for the persons-at-risk figures (fictional people).

Period 2024-01-01 … 2024-12-31. K1–K20 count in the protection section (verified or published,
inside the period, a protection code and a defender victim); N1–N11 must not (drafts, submitted,
rejected, outside the period, no protection code, no defender victim). Persons are the register's
keys DEF-001 … DEF-012; ORG-001 is an organisation (a native community). The figures in
tests/test_protection_figures.py were worked out by hand from this table (the working is in
EXPECTED's comments); the labels are the incidents' titles.
"""

from __future__ import annotations

from datetime import date

from tracker.incidents.data import IncidentData, PerpetratorData, RequestData, SourceData, VictimData
from tracker.incidents.service import change_status, create_incident
from tracker.persons.service import PersonData, create_person

PERIOD = (date(2024, 1, 1), date(2024, 12, 31))
FIRST_HALF = (date(2024, 1, 1), date(2024, 6, 30))

# the register's people, by key: their names must never reach a reader who may not see identities
NAMES = {
    "DEF-001": "Rosa Quispe Ficticia",
    "DEF-002": "Juan Mamani Ficticio",
    "DEF-003": "Ana Huamán Ficticia",
    "DEF-004": "Luis Torres Ficticio",
    "DEF-005": "Carmen Rojas Ficticia",
    "DEF-006": "Pedro Condori Ficticio",
    "DEF-007": "Elena Vargas Ficticia",
    "DEF-008": "Mario Flores Ficticio",
    "DEF-009": "Sofía Paredes Ficticia",
    "DEF-010": "Raúl Ccori Ficticio",
    "DEF-011": "Hugo Pari Ficticio",
    "DEF-012": "Nora Ccapa Ficticia",
}
ORGANISATION = ("ORG-001", "Comunidad Nativa Ficticia Sachayacu")
REFERENCE = "EXP-FICTICIO-2024"  # a request's case number: restricted too
# A point off the coast, too far from any place for the gazetteer to name a department: an
# incident with no department recorded can still be submitted.
AT_SEA = (-10.0, -81.5)


def P(key: str, group: str, gender: str = "unknown") -> VictimData:
    """A victim row naming a person of the register (its count is 1)."""
    return VictimData(group=group, gender=gender, name=NAMES[key], person=key)


def U(group: str, count: int = 1) -> VictimData:
    """A victim row naming no one."""
    return VictimData(group=group, count=count)


def R(filed: date, decision: str = "pending", decided: date | None = None) -> RequestData:
    return RequestData(filed_on=filed, decision=decision, decided_on=decided, reference=REFERENCE)


d = date
# label, status, date, department, codes, victims, requests
# fmt: off
ROWS = [
    ("K1", "published", d(2024, 1, 15), "Loreto", ["threat"], [P("DEF-001", "environmental_defender", "female")],
     [R(d(2024, 1, 20), "granted", d(2024, 1, 30))]),  # 10 days
    ("K2", "verified", d(2024, 3, 5), "Loreto", ["physical_assault"],
     [P("DEF-001", "environmental_defender", "female"), U("environmental_defender", 3)],
     [R(d(2024, 3, 10), "refused", d(2024, 3, 15)), R(d(2024, 4, 1))]),  # 5 days; and one pending
    ("K3", "verified", d(2024, 6, 10), "Ucayali", ["attempted_killing"],
     [P("DEF-001", "environmental_defender", "female"), P("DEF-008", "family_member", "male")], []),
    ("K4", "verified", d(2024, 2, 1), "Cusco", ["judicial_harassment"],
     [P("DEF-002", "land_defender", "male"), U("cso_member", 5)],
     [R(d(2024, 2, 5), "granted", d(2024, 2, 25))]),  # 20 days
    ("K5", "published", d(2024, 8, 3), "Puno", ["threat", "harassment"], [P("DEF-002", "land_defender", "male")],
     [R(d(2024, 8, 10), "refused", d(2024, 8, 17))]),  # 7 days
    ("K6", "verified", d(2024, 4, 12), "Madre de Dios", ["killing"], [P("DEF-003", "indigenous_leader", "female")], []),
    ("K7", "verified", d(2024, 5, 20), "Lima", ["arbitrary_detention"], [P("DEF-004", "hrd", "male"), U("hrd", 2)],
     [R(d(2024, 5, 25))]),
    ("K8", "published", d(2024, 9, 9), "Lima", ["smear_campaign"], [P("DEF-004", "hrd", "male")], []),
    ("K9", "verified", d(2024, 7, 7), "San Martín", ["threat"], [P("DEF-005", "journalist", "female")], []),
    ("K10", "verified", d(2024, 10, 10), "Lima", ["physical_assault", "journalist_attack"],
     [P("DEF-005", "journalist", "female")], []),
    ("K11", "verified", d(2024, 11, 11), "Puno", ["physical_assault"], [P("DEF-006", "trade_unionist", "male")],
     [R(d(2024, 11, 12), "granted")]),  # granted on a day not recorded: no days to count
    ("K12", "verified", d(2024, 2, 14), "Amazonas", ["threat"], [P("DEF-007", "community_leader", "female")], []),
    ("K13", "verified", d(2024, 3, 20), "Loreto", ["forced_displacement"],
     [VictimData(group="community_leader", count=4, person=ORGANISATION[0])], []),  # an organisation: its count
    ("K14", "verified", d(2024, 6, 25), "Ayacucho", ["threat"], [P("DEF-009", "hrd", "female")], []),
    ("K15", "verified", d(2024, 9, 30), "Junín", ["raid_home_office"],
     [P("DEF-010", "hrd", "male"), P("DEF-010", "lawyer", "male")], []),  # one person on two rows
    ("K16", "published", d(2024, 12, 1), "Lima", ["harassment"], [U("lgbtiq_activist")], []),
    ("K17", "verified", d(2024, 4, 4), "Loreto", ["threat"], [U("environmental_defender", 2), U("family_member", 2)],
     []),
    ("K18", "verified", d(2024, 7, 15), "Madre de Dios", ["threat"],
     [P("DEF-011", "land_defender", "male"), U("land_defender")], []),
    ("K19", "verified", d(2024, 8, 20), "", ["threat"], [U("hrd")], []),  # at sea: no department (AT_SEA)
    ("K20", "verified", d(2024, 11, 30), "Ucayali", ["threat"], [P("DEF-011", "environmental_defender", "male")], []),
    # --- must not count ---
    ("N1", "draft", d(2024, 5, 5), "Loreto", ["threat"], [P("DEF-003", "indigenous_leader", "female")],
     [R(d(2024, 5, 6), "granted", d(2024, 5, 7))]),
    ("N2", "submitted", d(2024, 6, 6), "Lima", ["threat"], [P("DEF-004", "hrd", "male"), U("hrd", 7)], []),
    ("N3", "rejected", d(2024, 7, 7), "Puno", ["threat"], [P("DEF-006", "trade_unionist", "male")], []),
    ("N4", "verified", d(2023, 12, 15), "Madre de Dios", ["threat"], [P("DEF-003", "indigenous_leader", "female")],
     [R(d(2023, 12, 16), "granted", d(2023, 12, 26))]),  # the year before: 10 days
    ("N5", "published", d(2025, 1, 2), "Amazonas", ["threat"], [P("DEF-007", "community_leader", "female")], []),
    ("N6", "verified", d(2024, 3, 3), "Cusco", ["protest_dispersal"],  # no protection code
     [P("DEF-002", "land_defender", "male"), U("protester", 30)], []),
    ("N7", "verified", d(2024, 5, 5), "Loreto", ["threat"], [P("DEF-008", "family_member", "male")], []),  # no defender
    ("N8", "verified", d(2024, 6, 16), "Lima", ["journalist_threat"], [P("DEF-009", "journalist", "female")],
     [R(d(2024, 6, 20))]),  # expression only
    ("N9", "verified", d(2024, 10, 1), "Loreto", ["org_raid"],
     [VictimData(group="community", person=ORGANISATION[0])], []),
    ("N10", "rejected", d(2024, 9, 9), "San Martín", ["killing"], [U("environmental_defender", 5)],
     [R(d(2024, 9, 10), "refused", d(2024, 9, 11))]),
    ("N11", "draft", d(2024, 2, 2), "Ucayali", ["threat"], [P("DEF-012", "hrd", "female")], []),
]
# fmt: on

# the workflow steps after creation that reach each status
STEPS = {
    "draft": (),
    "submitted": ("submitted",),
    "rejected": ("submitted", "rejected"),
    "verified": ("submitted", "verified"),
    "published": ("submitted", "verified", "published"),
}


def incident_data(label: str, when: date, admin1: str, codes, victims, requests) -> IncidentData:
    return IncidentData(
        title=label,
        date=when,
        place=f"Lugar de {label}",
        geo_precision="region",
        admin1=admin1,
        latitude=None if admin1 else AT_SEA[0],
        longitude=None if admin1 else AT_SEA[1],
        violations=codes,
        victims=victims,
        perpetrators=[PerpetratorData(type="unknown")],
        sources=[SourceData(kind="media", title=f"Nota {label}", url=f"https://example.org/{label}", reliability="B")],
        requests=requests,
        killed=1 if "killing" in codes else None,
        confidence="confirmed",
        visibility="partners",
        public_location="admin1",
    )


def build_protection_scenario(monitor, reviewer) -> dict[str, object]:
    """Store every row through the incident service (new keys make persons of the register, the
    organisation is made first); returns the incidents by label."""
    key, name = ORGANISATION
    create_person(PersonData(key=key, name=name, kind="organisation", groups=["community"]), monitor)
    stored = {}
    for label, status, *rest in ROWS:
        incident = create_incident(incident_data(label, *rest), monitor)
        for step in STEPS[status]:
            change_status(incident, step, monitor if step == "submitted" else reviewer, "checked")
        stored[label] = incident
    return stored
