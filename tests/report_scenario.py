"""A hand-built year of incidents for the report tests (fictional people and events).

Period 2024-01-01 … 2024-12-31. 33 incidents count (verified or published, inside the
period); 10 must not (drafts, submitted, rejected, just outside the period). The expected
figures in tests/test_reports.py were worked out by hand from this table; the labels
(P1, A1, …) are the incidents' titles, so a failing assertion can be traced to rows here.
"""
from __future__ import annotations

from datetime import date

from tracker.incidents.data import IncidentData, PerpetratorData, SourceData, VictimData
from tracker.incidents.service import change_status, create_incident

PERIOD = (date(2024, 1, 1), date(2024, 12, 31))


def V(group: str, count: int = 1, gender: str = "unknown", **flags) -> VictimData:
    return VictimData(group=group, count=count, gender=gender, **flags)


# label, status, date, precision, admin1, admin2, codes, victims, perpetrators, (killed, injured, detained)
D, M = "day", "month"
ROWS = [
    # --- protection of defenders (P6 has only a family member: in no section) ---
    ("P1", "published", date(2024, 1, 15), D, "Loreto", "Maynas", ["killing"],
     [V("environmental_defender", 1, "male", indigenous=True, name="Juan Ficticio")], ["illegal_logging"], (1, None, None)),
    ("P2", "verified", date(2024, 2, 20), D, "Ucayali", "Coronel Portillo", ["killing", "threat"],
     [V("environmental_defender", 1, "male", name="Pedro Inventado"), V("family_member", 1, "female", name="Ana Inventada")],
     ["illegal_logging", "unknown"], (2, 1, None)),
    ("P3", "verified", date(2024, 3, 1), M, "Loreto", "Datem del Marañón", ["killing"],
     [V("indigenous_leader", 1, "female", indigenous=True)], ["drug_trafficking"], (1, None, None)),
    ("P4", "verified", date(2024, 4, 10), D, "San Martín", "", ["attempted_killing"],
     [V("land_defender", 2, "male")], ["company"], (0, 2, None)),
    ("P5", "published", date(2024, 5, 5), D, "Apurímac", "Cotabambas", ["threat", "judicial_harassment"],
     [V("community_leader", 1, "female"), V("family_member", 2, "female")], ["company", "judiciary"], (None, None, None)),
    ("P6", "verified", date(2024, 6, 18), D, "Junín", "Satipo", ["threat"],
     [V("family_member", 1, "female")], ["individual"], (None, None, None)),
    ("P7", "verified", date(2024, 7, 1), D, "Lima", "Lima", ["arbitrary_detention", "protest_detention"],
     [V("hrd", 1, "female"), V("protester", 10)], ["police"], (0, None, 11)),
    ("P8", "published", date(2024, 8, 12), D, "Lima", "Lima", ["journalist_attack", "physical_assault"],
     [V("journalist", 1, "male")], ["police"], (None, 1, None)),
    ("P9", "verified", date(2024, 9, 30), D, "Cusco", "Espinar", ["smear_campaign", "online_harassment"],
     [V("lgbtiq_activist", 1, "non_binary")], ["state_official"], (None, None, None)),
    ("P10", "verified", date(2024, 10, 3), D, "Madre de Dios", "Tambopata", ["killing"],
     [V("environmental_defender", 1, "male", indigenous=True)], ["illegal_mining"], (None, None, None)),
    ("P11", "verified", date(2024, 11, 11), D, "Puno", "San Román", ["physical_assault"],
     [V("trade_unionist", 3, "male"), V("trade_unionist", 1, "female")], ["private_security"], (None, 4, None)),
    ("P12", "verified", date(2024, 12, 31), D, "Loreto", "Maynas", ["threat"],
     [V("hrd", 1, "female", woman_defender=True)], ["unknown"], (None, None, None)),
    ("P13", "published", date(2024, 12, 1), M, "Apurímac", "Abancay", ["harassment"],
     [V("cso_member", 2, "female")], ["state_official"], (None, None, None)),
    ("P14", "verified", date(2024, 1, 1), D, "Junín", "Huancayo", ["threat"],
     [V("environmental_defender", 1, "female")], ["mob"], (None, None, None)),
    # --- 1.2 assembly ---
    ("A1", "published", date(2024, 1, 9), D, "Puno", "San Román", ["protest_excessive_force", "protest_killing"],
     [V("protester", 50)], ["police", "military"], (3, 20, None)),
    ("A2", "verified", date(2024, 2, 14), D, "Lima", "Lima", ["protest_dispersal"],
     [V("protester", 200), V("student", 30)], ["police"], (None, None, 12)),
    ("A3", "verified", date(2024, 3, 22), D, "Cusco", "Cusco", ["protest_ban"],
     [V("community")], ["state_official"], (None, None, None)),
    ("A4", "verified", date(2024, 5, 1), M, "Apurímac", "Cotabambas", ["protest_excessive_force", "protest_detention"],
     [V("protester", 40, "male"), V("community_leader", 1, "male")], ["police"], (None, 5, 8)),
    ("A5", "published", date(2024, 7, 28), D, "Lima", "Lima", ["protest_criminalisation"],
     [V("protester", 5, "female")], ["judiciary"], (None, None, None)),
    ("A6", "verified", date(2024, 11, 30), D, "Junín", "Huancayo", ["protest_dispersal"],
     [V("student", 15)], ["police"], (None, 0, 0)),
    # --- 1.1 association ---
    ("O1", "verified", date(2024, 2, 1), D, "Lima", "Lima", ["org_admin_harassment", "org_funding_restriction"],
     [V("organisation")], ["state_official"], (None, None, None)),
    ("O2", "published", date(2024, 4, 15), D, "Lima", "Lima", ["org_closure"],
     [V("organisation")], ["state_official", "judiciary"], (None, None, None)),
    ("O3", "verified", date(2024, 6, 1), M, "Loreto", "Maynas", ["org_stigmatisation", "smear_campaign"],
     [V("organisation"), V("cso_member", 1, "male")], ["legislature"], (None, None, None)),
    ("O4", "verified", date(2024, 9, 9), D, "Cusco", "Cusco", ["org_raid", "raid_home_office"],
     [V("organisation"), V("hrd", 2)], ["police"], (None, None, 2)),
    ("O5", "verified", date(2024, 10, 20), D, "Lima", "", ["org_registration_denied"],
     [V("organisation")], ["state_official"], (None, None, None)),
    # --- 1.3 expression ---
    ("E1", "verified", date(2024, 1, 20), D, "Piura", "Piura", ["journalist_threat"],
     [V("journalist", 1, "female")], ["company"], (None, None, None)),
    ("E2", "published", date(2024, 3, 3), D, "Lima", "Lima", ["defamation_suit"],
     [V("journalist", 1, "male"), V("media_worker", 1, "male")], ["legislature"], (None, None, None)),
    ("E3", "verified", date(2024, 4, 1), M, "Ayacucho", "Huamanga", ["media_closure", "media_censorship"],
     [V("organisation")], ["state_official"], (None, None, None)),
    ("E4", "verified", date(2024, 6, 6), D, "Lima", "Lima", ["surveillance", "data_leak"],
     [V("journalist", 2, "female")], ["state_official"], (None, None, None)),
    ("E5", "verified", date(2024, 8, 8), D, "Junín", "Satipo", ["journalist_detention", "arbitrary_detention"],
     [V("journalist", 1, "male")], ["police"], (None, None, 1)),
    ("E6", "published", date(2024, 10, 10), D, "San Martín", "Moyobamba", ["internet_restriction"],
     [V("community")], ["state_official"], (None, None, None)),
    # --- several sections at once ---
    ("X2", "verified", date(2024, 2, 29), D, "Loreto", "Maynas", ["online_harassment", "threat"],
     [V("journalist", 1, "female"), V("family_member", 2)], ["unknown"], (None, None, None)),
    ("X3", "published", date(2024, 9, 15), D, "Lima", "Lima", ["protest_excessive_force", "journalist_attack", "physical_assault"],
     [V("journalist", 1, "female"), V("protester", 30)], ["police"], (0, 6, None)),
    # --- must not count: workflow stage or date ---
    ("N1", "draft", date(2024, 5, 5), D, "Loreto", "Maynas", ["killing"],
     [V("environmental_defender", 1, "male")], ["illegal_mining"], (1, None, None)),
    ("N2", "submitted", date(2024, 6, 6), D, "Lima", "Lima", ["protest_dispersal"],
     [V("protester", 10)], ["police"], (None, None, None)),
    ("N3", "rejected", date(2024, 7, 7), D, "Cusco", "Cusco", ["org_closure"],
     [V("organisation")], ["state_official"], (None, None, None)),
    ("N4", "verified", date(2023, 12, 31), D, "Loreto", "Maynas", ["killing"],
     [V("environmental_defender", 1, "male")], ["illegal_logging"], (1, None, None)),
    ("N5", "published", date(2025, 1, 1), D, "Lima", "Lima", ["journalist_attack"],
     [V("journalist", 1, "female")], ["police"], (None, 1, None)),
    ("N6", "rejected", date(2024, 3, 3), D, "Puno", "Puno", ["threat"],
     [V("hrd", 1, "male")], ["unknown"], (None, None, None)),
    ("N7", "draft", date(2024, 8, 8), D, "Junín", "Satipo", ["org_raid"],
     [V("organisation")], ["police"], (None, None, None)),
    ("N8", "submitted", date(2024, 12, 31), D, "San Martín", "Moyobamba", ["protest_excessive_force"],
     [V("protester", 20)], ["police"], (None, 3, None)),
    ("N9", "verified", date(2023, 12, 1), M, "Apurímac", "Abancay", ["threat"],
     [V("hrd", 1, "female")], ["unknown"], (None, None, None)),
    ("N10", "verified", date(2025, 1, 1), M, "Junín", "Huancayo", ["org_closure"],
     [V("organisation")], ["state_official"], (None, None, None)),
]
# P1 and A1 cite two sources, every other incident one.
TWO_SOURCES = {"P1", "A1"}

# the workflow steps after creation that reach each status
STEPS = {"draft": (), "submitted": ("submitted",), "rejected": ("submitted", "rejected"),
         "verified": ("submitted", "verified"), "published": ("submitted", "verified", "published")}


def incident_data(label, when, precision, admin1, admin2, codes, victims, perpetrators, outcomes) -> IncidentData:
    killed, injured, detained = outcomes
    sources = [SourceData(kind="media", title=f"Nota {label}", url=f"https://example.org/{label}", reliability="B")]
    if label in TWO_SOURCES:
        sources.append(SourceData(kind="testimony", title="Testimonio reservado", confidential=True))
    return IncidentData(
        title=label, date=when, date_precision=precision, place=f"Lugar de {label}",
        geo_precision="region", admin1=admin1, admin2=admin2, violations=codes, victims=victims,
        perpetrators=[PerpetratorData(type=t) for t in perpetrators], sources=sources,
        killed=killed, injured=injured, detained=detained, confidence="confirmed",
        visibility="internal", public_location="admin1")


def build_scenario(monitor, reviewer) -> dict[str, object]:
    """Store every row through the incident service; returns the incidents by label."""
    stored = {}
    for label, status, *rest in ROWS:
        incident = create_incident(incident_data(label, *rest), monitor)
        for step in STEPS[status]:
            change_status(incident, step, monitor if step == "submitted" else reviewer, "checked")
        stored[label] = incident
    return stored
