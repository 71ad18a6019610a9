"""Persons' keys and requests for protection in the canonical CSV and XLSX (docs/data-formats.md, "Persons and
requests"): an import links the victim rows of many incidents, and of many files, to one record of the register and
adds the records of new keys, set-based, with one audit entry for the file; it refuses keys, counts and requests that
do not hold together, storing nothing; an update keeps the requests added on the page. Exports carry the columns only
for readers of identities, and the other formats never. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from tests.factories import incident_data, record
from tests.support import PASSWORD, Auth, count, line, write
from tracker.auth.service import create_user
from tracker.exchange import exporter
from tracker.exchange.importer import import_file
from tracker.extensions import db
from tracker.facts import FACT_COLUMNS, refresh_facts
from tracker.filters import IncidentFilter
from tracker.incidents.data import RequestData, SourceData, VictimData
from tracker.incidents.service import create_incident
from tracker.models import AuditEntry, Incident, Person, PersonChange, ProtectionRequest
from tracker.persons.service import by_key, merge

REQUEST_COLUMNS = ("protection_requested_on", "protection_decision", "protection_decided_on")


def rows_of(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode(), newline="")))


def exported(fmt: str = "csv") -> bytes:
    """What `tracker export` writes: as the system, which sees everything."""
    return b"".join(exporter.Export(fmt, IncidentFilter()).chunks())


def imported(path, user=None):
    result = import_file(path, user=user)
    assert result.ok, [str(p) for p in result.errors]
    return result


def by_title() -> dict[str, Incident]:
    return {i.title: i for i in db.session.scalars(sa.select(Incident))}


def keys_of(incident: Incident) -> list[str]:
    return [v.person.key if v.person else "" for v in incident.victims]


def facts() -> list:
    return db.session.execute(
        sa.select(Incident.id, *(getattr(Incident, c) for c in FACT_COLUMNS)).order_by(Incident.id)
    ).all()


# --- importing keys ------------------------------------------------------------------------------

THREAT = dict(
    title="Amenaza a defensora ficticia",
    date="2024-03-01",
    admin1="Loreto",
    violations="threat",
    victim_groups="environmental_defender;family_member;community",
    victim_count=";2;35",
    victim_gender="female;unknown;unknown",
    victim_names="Rosa Ficticia;;Comunidad Nativa Ficticia",
    victim_person_ids="def-0042;;COM-0007",
    status="verified",
    source_kinds="media",
    protection_requested_on="2024-03-05",
    protection_decision="granted",
    protection_decided_on="2024-04-04",
)
ATTACK = dict(
    title="Ataque a defensora ficticia",
    date="2024-04-20",
    admin1="Ucayali",
    violations="physical_assault",
    victim_groups="environmental_defender",
    victim_names="Rosa F.",
    victim_person_ids="DEF-0042",
    status="verified",
    source_kinds="media",
    protection_requested_on="2024-04-22",
)
UNLINKED = dict(title="Sin clave", date="2024-05-01", violations="threat", victim_groups="hrd;hrd", victim_count="1;1")


def test_an_import_links_the_rows_of_many_incidents_to_one_record_and_adds_new_keys(app, users, tmp_path):
    result = imported(write(tmp_path, line(**THREAT), line(**ATTACK), line(**UNLINKED)), users["reviewer"])
    assert (result.created, result.persons) == (3, 2)

    persons = {p.key: p for p in db.session.scalars(sa.select(Person))}
    assert {key: (p.kind, p.name, p.admin1, p.gender, p.created_by_id) for key, p in persons.items()} == {
        # described by the first row naming the key, with its incident's department
        "DEF-0042": ("person", "Rosa Ficticia", "Loreto", "female", users["reviewer"].id),
        "COM-0007": ("organisation", "Comunidad Nativa Ficticia", "Loreto", "unknown", users["reviewer"].id),
    }
    incidents = by_title()
    threat, attack, unlinked = (incidents[row["title"]] for row in (THREAT, ATTACK, UNLINKED))
    assert (keys_of(threat), keys_of(attack), keys_of(unlinked)) == (
        ["DEF-0042", "", "COM-0007"],
        ["DEF-0042"],
        ["", ""],
    )
    assert threat.victims[0].person_id == attack.victims[0].person_id  # one person, two incidents
    assert [v.count for v in threat.victims] == [1, 2, 35]  # the community keeps its count
    assert [(r.filed_on, r.authority, r.decision, r.decided_on) for r in threat.requests] == [
        (date(2024, 3, 5), "mechanism", "granted", date(2024, 4, 4))
    ]
    assert [(r.filed_on, r.decision, r.decided_on) for r in attack.requests] == [(date(2024, 4, 22), "pending", None)]
    assert unlinked.requests == []

    # each record's history starts; one audit entry for the file, naming no key
    assert count(PersonChange) == 2
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action != "user_created")).all()
    assert [e.action for e in entries] == ["import"] and entries[0].details["persons"] == 2
    assert "DEF-0042" not in json.dumps([e.details for e in entries]) + "".join(e.target for e in entries)

    # the facts the reports read, as set-based INSERTs stored them, are those a recount gives
    assert [(i.linked_defender_rows, i.request_count) for i in (threat, attack, unlinked)] == [(1, 1), (1, 1), (0, 0)]
    stored = facts()
    refresh_facts(db.session.connection())
    assert facts() == stored


def test_the_same_key_in_a_later_file_links_to_the_same_record_and_a_merged_key_to_the_one_kept(app, users, tmp_path):
    first = {
        **ATTACK,
        "victim_groups": "environmental_defender;land_defender",
        "victim_person_ids": "DEF-0042;DEF-0043",
    }
    first["victim_names"] = "Rosa Ficticia;Rosa Ficticia Quispe"
    imported(write(tmp_path, line(**first), name="first.csv"), users["reviewer"])
    merge(by_key("DEF-0043"), by_key("DEF-0042"), users["reviewer"])

    later = {**ATTACK, "title": "Nueva amenaza", "date": "2024-06-02", "victim_groups": "land_defender;hrd"}
    later |= {"victim_person_ids": "def-0042;DEF-0043", "victim_names": ""}
    result = imported(write(tmp_path, line(**later), name="later.csv"), users["reviewer"])
    assert (result.created, result.persons, count(Person)) == (1, 0, 2)
    assert keys_of(by_title()["Nueva amenaza"]) == ["DEF-0042", "DEF-0042"]
    assert [r["victim_person_ids"] for r in rows_of(exported())] == ["DEF-0042;DEF-0042", "DEF-0042;DEF-0042"]


def test_an_organisation_keeps_its_count_a_person_counts_one(app, users, tmp_path):
    org = dict(title="Allanamiento", date="2024-02-01", violations="org_raid", status="verified")
    imported(
        write(
            tmp_path,
            line(**org, victim_groups="organisation;hrd", victim_person_ids="ORG-0001;DEF-0005"),
            name="first.csv",
        )
    )
    assert {p.key: p.kind for p in db.session.scalars(sa.select(Person))} == {
        "ORG-0001": "organisation",
        "DEF-0005": "person",
    }
    # a stored organisation, and a new community, keep a count; a stored person may not
    later = dict(org, title="Otra vez", date="2024-03-01")
    result = import_file(
        write(
            tmp_path,
            line(
                **later, victim_groups="cso_member;community", victim_count="4;40", victim_person_ids="org-0001;COM-2"
            ),
            line(**{**later, "title": "Tercera"}, victim_groups="hrd", victim_count="2", victim_person_ids="DEF-0005"),
            name="later.csv",
        )
    )
    assert [str(p) for p in result.errors] == [
        "line 3, column victim_count: victim 1 names a person in victim_person_ids, and a person counts as 1: leave "
        "the count empty or write 1 (only an organisation or a community keeps a count)"
    ]
    result = import_file(
        write(
            tmp_path,
            line(
                **later, victim_groups="cso_member;community", victim_count="4;40", victim_person_ids="ORG-0001;COM-2"
            ),
            name="later.csv",
        )
    )
    assert result.ok and result.created == 1
    assert [v.count for v in by_title()["Otra vez"].victims] == [4, 40]
    assert by_key("COM-2").kind == "organisation"


# --- what the import refuses ---------------------------------------------------------------------

GOOD = dict(
    title="t",
    date="2024-05-10",
    victim_groups="hrd;community",
    victim_count=";12",
    victim_person_ids="DEF-0001;COM-0001",
    source_kinds="media",
    protection_requested_on="2024-05-12",
)


@pytest.mark.parametrize(
    "cells, problem",
    [
        (
            {"victim_person_ids": "Rosa Quispe;"},
            "column victim_person_ids: “ROSA QUISPE” is not a person's key: use up to 40 letters, digits, dots, "
            "dashes or underscores, with no spaces (for example DEF-0042).",
        ),
        ({"victim_person_ids": "DEF-1;DEF-2;DEF-3"}, "column victim_person_ids: has 3 entries but victim_groups has 2"),
        (
            {"victim_person_ids": "DEF-0009;", "victim_count": "3;12"},
            "column victim_count: victim 1 names a person in victim_person_ids, and a person counts as 1",
        ),
        (
            {"protection_requested_on": "", "protection_decision": "granted"},
            "column protection_requested_on: give the date the request for protection was filed, or leave its "
            "decision and decision date empty",
        ),
        (
            {"protection_requested_on": "", "protection_decided_on": "2024-05-20"},
            "column protection_requested_on: give the date the request for protection was filed",
        ),
        (
            {"protection_decision": "refused", "protection_decided_on": "2024-05-11"},
            "column protection_decided_on: the decision date 2024-05-11 is before the date the request was filed, "
            "2024-05-12",
        ),
        (
            {"protection_decision": "pending", "protection_decided_on": "2024-06-01"},
            "column protection_decision: a request with a decision date is not pending: write granted or refused, "
            "or leave the date empty",
        ),
        ({"protection_decided_on": "2024-06-01"}, "column protection_decision: a request with a decision date"),
        (
            {"protection_decision": "grantd"},
            "column protection_decision: unknown code 'grantd' (did you mean granted?)",
        ),
        ({"protection_requested_on": "2999-01-01"}, "column protection_requested_on: 2999-01-01 is in the future"),
        ({"protection_decided_on": "05/06/2024"}, "column protection_decided_on: '05/06/2024' is not a date"),
    ],
)
def test_a_bad_key_count_or_request_is_reported_with_line_and_column_and_nothing_is_stored(
    app, tmp_path, cells, problem
):
    result = import_file(write(tmp_path, line(**GOOD), line(**{**GOOD, **cells})))
    assert len(result.errors) == 1 and str(result.errors[0]).startswith(f"line 3, {problem}"), result.errors
    assert (result.stored, count(Incident), count(Person), count(ProtectionRequest)) == (0, 0, 0, 0)


# --- updates -------------------------------------------------------------------------------------


def test_a_file_updates_the_first_request_keeps_the_others_and_the_keys_it_leaves_empty(app, users, tmp_path):
    data = incident_data(
        victims=[VictimData(group="environmental_defender", name="Rosa Ficticia", person="DEF-0042")],
        requests=[
            RequestData(filed_on=date(2024, 5, 12), reference="MI-2024-0099", measures=["escort"], notes="Nota"),
            RequestData(filed_on=date(2024, 6, 1), authority="prosecutor", decision="refused"),
        ],
    )
    incident = create_incident(data, users["reviewer"])
    db.session.commit()
    path = tmp_path / "export.csv"
    path.write_bytes(exported())
    [row] = rows_of(path.read_bytes())
    assert {name: row[name] for name in ("victim_person_ids", *REQUEST_COLUMNS)} == {
        "victim_person_ids": "DEF-0042",
        "protection_requested_on": "2024-05-12",  # the first request only
        "protection_decision": "pending",
        "protection_decided_on": "",
    }
    version = incident.version

    decided = {**row, "protection_decision": "granted", "protection_decided_on": "2024-05-30"}
    write(tmp_path, line(**{**decided, "victim_person_ids": ""}), name="export.csv")
    result = import_file(path, user=users["reviewer"])
    assert (result.updated, result.created) == (1, 0)
    db.session.refresh(incident)
    assert [
        (r.filed_on, r.authority, r.reference, r.decision, r.decided_on, r.measures) for r in incident.requests
    ] == [
        (date(2024, 5, 12), "mechanism", "MI-2024-0099", "granted", date(2024, 5, 30), "escort"),
        (date(2024, 6, 1), "prosecutor", "", "refused", None, ""),
    ]
    assert keys_of(incident) == ["DEF-0042"]  # the empty entry kept the stored key
    assert incident.version == version + 1 and set(incident.versions[-1].changes) == {"requests"}

    emptied = {**decided, **dict.fromkeys(REQUEST_COLUMNS, ""), "victim_person_ids": ""}
    write(tmp_path, line(**emptied), name="export.csv")
    assert (import_file(path, user=users["reviewer"]).unchanged, len(incident.requests)) == (1, 2)


# --- who gets them -------------------------------------------------------------------------------

SECRETS = ("Rosa Ficticia", "Comunidad Nativa Ficticia", "DEF-0042", "COM-0007", "MI-2024-0099")
READERS = ("admin", "reviewer", "monitor", "other monitor", "author", "viewer", "public")
SEE_IDENTITIES = ("admin", "reviewer", "monitor")  # the monitor recorded the incident


@pytest.fixture
def linked(users):
    """Published for the public, recorded by the monitor: a defender and her community under their
    keys, and a granted request with a case number."""
    return record(
        users,
        "published",
        visibility="public",
        victims=[
            VictimData(group="environmental_defender", gender="female", name="Rosa Ficticia", person="DEF-0042"),
            VictimData(group="family_member", count=2),
            VictimData(group="community", count=30, name="Comunidad Nativa Ficticia", person="COM-0007"),
        ],
        requests=[
            RequestData(
                filed_on=date(2024, 5, 12),
                reference="MI-2024-0099",
                decision="granted",
                decided_on=date(2024, 6, 3),
                measures=["police_patrols"],
                measures_end=date(2025, 6, 3),
            )
        ],
    )


def download(client, users, reader: str, fmt: str) -> bytes:
    auth = Auth(client)
    if reader == "other monitor":
        create_user("monitor2@example.org", "monitor", PASSWORD, name="Monitor 2")
        auth.login("monitor2@example.org")
    elif reader != "public":
        auth.login(reader)
    response = client.get(f"/{'public' if reader == 'public' else 'incidents'}/export.{fmt}")
    assert response.status_code == 200
    return response.get_data()


def cells_of(fmt: str, data: bytes) -> list[dict]:
    """The rows of a CSV or XLSX export as text, dates as YYYY-MM-DD."""
    if fmt == "csv":
        return rows_of(data)
    rows = openpyxl.load_workbook(io.BytesIO(data))["Incidents"].iter_rows(values_only=True)
    header = next(rows)

    def text(value) -> str:
        return "" if value is None else value.date().isoformat() if isinstance(value, datetime) else str(value)

    return [dict(zip(header, map(text, row), strict=True)) for row in rows]


def everything_in(fmt: str, data: bytes) -> str:
    if fmt == "csv":
        return data.decode()
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return "\n".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("reader", READERS)
def test_keys_and_requests_go_only_to_readers_of_identities(client, users, linked, reader, fmt):
    data = download(client, users, reader, fmt)
    [row] = cells_of(fmt, data)
    assert row["ref"] == linked.ref and row["victim_groups"] == "environmental_defender;family_member;community"
    register = {name: row[name] for name in ("victim_person_ids", *REQUEST_COLUMNS)}
    if reader in SEE_IDENTITIES:
        assert register == {
            "victim_person_ids": "DEF-0042;;COM-0007",
            "protection_requested_on": "2024-05-12",
            "protection_decision": "granted",
            "protection_decided_on": "2024-06-03",
        }
    else:
        assert register == dict.fromkeys(register, "")
        text = everything_in(fmt, data)
        assert [secret for secret in SECRETS if secret in text] == []


def test_an_export_with_keys_is_audited_as_showing_identities(app, users):
    """Even with no name and no confidential source: the key links the person's incidents."""
    data = incident_data(
        victims=[VictimData(group="hrd", person="DEF-0042")],
        sources=[SourceData(kind="media", title="Nota")],
        public_location="exact",  # nor a place the public could not see
    )
    create_incident(data, users["reviewer"])
    db.session.commit()
    exported()
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export"))
    assert entry.details["fields"] == ["identities"] and "DEF-0042" not in json.dumps(entry.details)


@pytest.mark.parametrize("fmt", ["geojson", "hxl", "acled"])
def test_the_other_formats_never_carry_keys_or_requests(app, users, linked, fmt):
    text = exported(fmt).decode()
    assert linked.ref in text
    assert [
        absent
        for absent in ("DEF-0042", "COM-0007", "victim_person_ids", "protection_", "2024-06-03")
        if absent in text
    ] == []
    if fmt == "geojson":  # the names go to readers of identities, as in the CSV
        [feature] = json.loads(text)["features"]
        assert feature["properties"]["victim_names"] == "Rosa Ficticia;;Comunidad Nativa Ficticia"
