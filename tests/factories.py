"""Builders for test incidents: complete, valid data with fictional people, overridable."""

from __future__ import annotations

from datetime import date

from tracker.incidents.data import IncidentData, PerpetratorData, SourceData, VictimData
from tracker.incidents.service import change_status, create_incident


def incident_data(**overrides) -> IncidentData:
    values = dict(
        title="Amenazas a dirigente ficticia",
        description="Persona ficticia recibió amenazas tras denunciar minería ilegal.",
        date=date(2024, 5, 10),
        place="Puerto Maldonado",
        latitude=-12.5933,
        longitude=-69.1891,
        violations=["threat"],
        victims=[
            VictimData(
                group="environmental_defender",
                gender="female",
                name="Rosa Ficticia",
                organisation="Asociación Ficticia del Bosque",
                woman_defender=True,
            )
        ],
        perpetrators=[PerpetratorData(type="illegal_mining")],
        sources=[
            SourceData(kind="media", title="Nota", url="https://example.org/nota", reliability="B"),
            SourceData(kind="testimony", title="Testimonio reservado", confidential=True),
        ],
        killed=0,
        injured=None,
        detained=None,
        confidence="likely",
        visibility="internal",
        public_location="admin1",
    )
    values.update(overrides)
    return IncidentData(**values)


def form_fields(data: IncidentData, **extra) -> dict:
    """The POST body the incident form sends for `data`."""
    fields = {
        name: "" if value is None else str(value)
        for name, value in vars(data).items()
        if not isinstance(value, list) and not isinstance(value, bool)
    }
    fields["date"] = data.date.isoformat()
    fields["violations"] = list(data.violations)
    for prefix, rows in (("victims", data.victims), ("perpetrators", data.perpetrators), ("sources", data.sources)):
        for i, row in enumerate(rows):
            for name, value in vars(row).items():
                if isinstance(value, bool):
                    if value:
                        fields[f"{prefix}-{i}-{name}"] = "y"
                else:
                    fields[f"{prefix}-{i}-{name}"] = "" if value is None else str(value)
    if data.consent:
        fields["consent"] = "y"
    fields.update(extra)
    return fields


def submit_incident(data: IncidentData, monitor):
    """Record an incident and send it for review, as a monitor does."""
    incident = create_incident(data, monitor)
    change_status(incident, "submitted", monitor)
    return incident


REVIEW_STEPS = ("verified", "published")


def record(users, status="published", **overrides):
    """An incident recorded by the monitor and taken by the reviewer up to `status`."""
    incident = submit_incident(incident_data(**overrides), users["monitor"])
    for step in REVIEW_STEPS[: REVIEW_STEPS.index(status) + 1]:
        change_status(incident, step, users["reviewer"], "ok")
    return incident


def restricted_incident(users, **overrides):
    """Published, by default for partners and shown to the public at its department, with a
    value in every restricted field: then only staff and its monitor may read its identities
    and its place."""
    values = dict(
        title="Amenazas en el caso Kallpa",
        place="Caserío Chontabamba",
        visibility="partners",
        public_location="admin1",
        victims=[VictimData(group="environmental_defender", name="Rosa Yupanqui", organisation="Sachawasi")],
        perpetrators=[PerpetratorData(type="company", name="Capataz Merino")],
        sources=[
            SourceData(kind="media", title="Nota Wayra", url="https://example.org/nota-reservada"),
            SourceData(kind="testimony", title="Testimonio Ollanta", confidential=True),
        ],
    )
    return record(users, **(values | overrides))
