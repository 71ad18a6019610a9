"""The canonical CSV and XLSX carry every field a user can enter (docs/data-formats.md, "Canonical CSV"): random
incidents stored on one database engine, exported, imported into an empty database of the other engine and exported
again give the same file, the same stored fields and the same report figures. Then each column added for that: its
round trip, who sees it, the checks of its cells, and updates through it. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import csv
import io
import string
import zipfile
from contextlib import ExitStack
from dataclasses import asdict
from datetime import date, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.factories import incident_data, record
from tests.support import PASSWORD, csv_line, line, make_app, postgres_schema, schema_created, write
from tracker.auth.service import create_user
from tracker.counts.service import build_report
from tracker.exchange import exporter
from tracker.exchange.formats.csv_format import COLUMNS, first_of_period
from tracker.exchange.importer import import_file
from tracker.extensions import db
from tracker.filters import IncidentFilter
from tracker.incidents.data import PERU_BOUNDS, IncidentData, PerpetratorData, RequestData, SourceData, VictimData
from tracker.incidents.service import create_incident, snapshot
from tracker.models import Incident, User
from tracker.taxonomy import (
    CONFIDENCES,
    DATE_PRECISIONS,
    DECISIONS,
    GENDERS,
    GEO_PRECISIONS,
    INVOLVEMENTS,
    ORGANISATION_GROUPS,
    PERPETRATOR_TYPES,
    PUBLIC_LOCATIONS,
    RELIABILITY,
    SOURCE_KINDS,
    STATUSES,
    VICTIM_GROUPS,
    VIOLATIONS,
    VISIBILITIES,
)

FIRST_DAY = date(1990, 1, 1)
TODAY = date.today()


# --- random incidents ------------------------------------------------------------------------

# Letters with accents, combining marks, digits, punctuation (quotes, commas), symbols, spaces and line breaks.
# Not control characters: XLSX cannot store them (docs/data-formats.md, "What a cell cannot hold").
_CHARACTERS = {"categories": ("L", "M", "N", "P", "S", "Zs"), "include_characters": "\n"}
# what a spreadsheet would take for a formula, also behind apostrophes a user typed
_LEADS = ("", "=", "+", "-", "@", "'", "'=", "''-", '"')


def texts(max_size: int, *, entry: bool = False, required: bool = False) -> st.SearchStrategy[str]:
    """Text as a user types it, without spaces at its ends (an import trims them) and, in an entry of a list
    column, without `;` (which separates the entries): what the format can carry."""
    body = st.text(st.characters(**_CHARACTERS, exclude_characters=";" if entry else ""), max_size=max_size - 3)
    text = st.builds(lambda lead, rest: (lead + rest).strip(), st.sampled_from(_LEADS), body)
    return text.filter(bool) if required else text


def codes(terms) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(terms))


def coordinate(axis: str) -> st.SearchStrategy[float]:
    """Six decimals, as a file holds them, inside Peru (an import refuses points outside it)."""
    low, high = PERU_BOUNDS[axis]
    return st.integers(round(low * 1e6), round(high * 1e6)).map(lambda n: n / 1e6)


counts = st.none() | st.integers(0, 10**6)  # None (not known) and 0 (known zero) are both there
urls = st.just("") | st.builds(
    lambda path: f"https://example.org/{path}", st.text(string.ascii_letters + string.digits + "-_/?=&%.~", max_size=40)
)
# A few keys, so that one record links rows of several incidents, typed in either case. Organisations' keys only on
# their groups: then which row of the file comes first does not change the kind of record it makes.
PERSON_KEYS, ORGANISATION_KEYS = ("DEF-0042", "def-0007", "A.1_b"), ("COM-0001", "org-9")


@st.composite
def person_keys(draw, group: str) -> str:
    keys = ORGANISATION_KEYS if group in ORGANISATION_GROUPS else PERSON_KEYS
    return draw(st.just("") | st.sampled_from(keys))


victims = codes(VICTIM_GROUPS).flatmap(
    lambda group: st.builds(
        VictimData,
        group=st.just(group),
        count=st.integers(1, 10**5),
        gender=codes(GENDERS),
        name=texts(200, entry=True),
        organisation=texts(200, entry=True),
        indigenous=st.booleans(),
        lgbtiq=st.booleans(),
        woman_defender=st.booleans(),
        person=person_keys(group),
    )
)


@st.composite
def requests(draw) -> list[RequestData]:
    """None, or one request with what the file carries of it: the date filed, the decision and its date."""
    if not draw(st.booleans()):
        return []
    filed = draw(st.dates(FIRST_DAY, TODAY))
    decision = draw(codes(DECISIONS))
    decided = None if decision == "pending" else draw(st.none() | st.dates(filed, TODAY))
    return [RequestData(filed_on=filed, decision=decision, decided_on=decided)]


perpetrators = st.builds(
    PerpetratorData, type=codes(PERPETRATOR_TYPES), name=texts(200, entry=True), involvement=codes(INVOLVEMENTS)
)
sources = st.builds(
    SourceData,
    kind=codes(SOURCE_KINDS),
    title=texts(300, entry=True),
    url=urls,
    publisher=texts(200, entry=True),
    published_on=st.none() | st.dates(FIRST_DAY, TODAY),
    reliability=codes(RELIABILITY),
    confidential=st.booleans(),
)


@st.composite
def incidents(draw) -> tuple[IncidentData, str]:
    """Every field of an incident, and its status."""
    precision = draw(codes(DATE_PRECISIONS))
    day = first_of_period(draw(st.dates(FIRST_DAY, TODAY)), precision)
    located = draw(st.booleans())
    data = IncidentData(
        title=draw(texts(300, required=True)),
        description=draw(texts(400)),
        date=day,
        date_precision=precision,
        end_date=draw(st.none() | st.dates(day, TODAY)),
        place=draw(texts(200)),
        latitude=draw(coordinate("lat")) if located else None,
        longitude=draw(coordinate("lon")) if located else None,
        geo_precision=draw(codes(GEO_PRECISIONS)),
        country=draw(st.sampled_from(("PE", "BO", "CL"))),
        admin1=draw(texts(120)),
        admin2=draw(texts(120)),
        admin3=draw(texts(120)),
        violations=draw(st.lists(codes(VIOLATIONS), unique=True, max_size=4)),
        victims=draw(st.lists(victims, max_size=3)),
        perpetrators=draw(st.lists(perpetrators, max_size=3)),
        sources=draw(st.lists(sources, max_size=3)),
        requests=draw(requests()),
        killed=draw(counts),
        injured=draw(counts),
        detained=draw(counts),
        confidence=draw(codes(CONFIDENCES)),
        visibility=draw(codes(VISIBILITIES)),
        public_location=draw(codes(PUBLIC_LOCATIONS)),
        consent=draw(st.booleans()),
        event=draw(st.sampled_from(("", "Paro agrario", "=Ola 'ficticia'")) | texts(200)),
    )
    return data, draw(codes(STATUSES))


# --- two databases, one of each engine ----------------------------------------------------------


@pytest.fixture
def engines(pg_engine, tmp_path):
    """An app on SQLite and one on PostgreSQL, each with its own empty database and an administrator."""
    with postgres_schema(pg_engine) as pg_url, ExitStack() as stack:
        apps = {}
        for name, url in (("sqlite", f"sqlite:///{tmp_path / 'roundtrip.db'}"), ("postgresql", pg_url)):
            apps[name] = stack.enter_context(schema_created(make_app(url, tmp_path / f"instance-{name}")))
            with apps[name].app_context():
                create_user("admin@example.org", "admin", PASSWORD, name="Admin")
        yield apps


def emptied() -> None:
    """The current database without incidents, nor anything else but its accounts."""
    for table in reversed(db.metadata.sorted_tables):
        if table.name != User.__tablename__:
            db.session.execute(table.delete())
    db.session.commit()


def administrator() -> User:
    return db.session.scalars(sa.select(User).where(User.role == "admin")).one()


def exported(fmt: str) -> bytes:
    return b"".join(exporter.Export(fmt, IncidentFilter()).chunks())


def sheet(xlsx: bytes) -> bytes:
    """The cells of an XLSX export, without the workbook's time stamps."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        return book.read("xl/worksheets/sheet1.xml")


def stored() -> dict[str, dict]:
    """Every stored incident, each as its history would keep it: every field a user can enter."""
    return {i.ref: snapshot(i) for i in db.session.scalars(sa.select(Incident))}


def figures(user) -> dict:
    """Every figure of a report over all incidents, whatever their status."""
    report = asdict(build_report(FIRST_DAY, TODAY, IncidentFilter(), user, tuple(STATUSES), optional_sections=True))
    del report["generated_on"]
    return report


def imported(data: bytes, fmt: str) -> None:
    result = import_file(io.BytesIO(data), fmt)
    assert result.ok, [str(p) for p in result.errors]


@pytest.mark.parametrize("source, target", [("sqlite", "postgresql"), ("postgresql", "sqlite")])
# No shrinking: an example takes about a second, shrinking one many minutes; a failure shows it as drawn.
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(incidents(), min_size=1, max_size=4))
def test_random_incidents_survive_export_and_import_on_the_other_engine(engines, source, target, rows):
    with engines[source].app_context():
        emptied()
        admin = administrator()
        for data, status in rows:
            incident = create_incident(copy.deepcopy(data), admin)
            incident.status = status
            db.session.commit()
        incidents_before, csv_before, xlsx_before = stored(), exported("csv"), exported("xlsx")
        figures_before = figures(admin)

    with engines[target].app_context():
        emptied()
        imported(csv_before, "csv")
        assert stored() == incidents_before
        assert exported("csv") == csv_before
        assert sheet(exported("xlsx")) == sheet(xlsx_before)
        assert figures(administrator()) == figures_before

        emptied()
        imported(xlsx_before, "xlsx")
        assert stored() == incidents_before
        assert exported("csv") == csv_before


# --- each column added for it -------------------------------------------------------------------


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode(), newline="")))


def round_trip() -> tuple[bytes, dict]:
    """The CSV export, and the incidents as stored again from it in an emptied database, whose export it checks."""
    before = exported("csv")
    emptied()
    imported(before, "csv")
    assert exported("csv") == before
    return before, stored()


def full_incident(**overrides) -> IncidentData:
    """An incident whose every added field has a value other than its default."""
    values = dict(
        end_date=date(2024, 5, 12),
        consent=True,
        victims=[
            VictimData(group="environmental_defender", gender="female", name="Rosa Ficticia", woman_defender=True),
            VictimData(group="community", count=4, indigenous=True, lgbtiq=True),
        ],
        perpetrators=[PerpetratorData(type="illegal_mining"), PerpetratorData(type="police", involvement="acquiesced")],
        sources=[
            SourceData(kind="media", title="Nota", publisher="Diario Ficticio", reliability="B"),
            SourceData(kind="ngo_report", published_on=date(2024, 5, 20), reliability="C"),
            SourceData(kind="testimony", publisher="Vecina reservada", reliability="A", confidential=True),
        ],
    )
    return incident_data(**{**values, **overrides})


def test_every_added_column_is_written_and_read_back(app, users):
    incident = record(users, "verified", **vars(full_incident()))
    before = {incident.ref: snapshot(incident)}
    data, after = round_trip()
    [row] = csv_rows(data)
    assert {name: row[name] for name in ("end_date", "consent", "perpetrator_involvement")} == {
        "end_date": "2024-05-12",
        "consent": "yes",
        "perpetrator_involvement": "direct;acquiesced",
    }
    assert (row["victim_indigenous"], row["victim_lgbtiq"], row["victim_woman_defender"]) == (
        "no;yes",
        "no;yes",
        "yes;no",
    )
    assert (row["source_publishers"], row["source_published_on"], row["source_reliability"]) == (
        "Diario Ficticio;;Vecina reservada",
        ";2024-05-20;",
        "B;C;A",
    )
    assert after == before
    stored_again = db.session.scalars(sa.select(Incident)).one()
    assert [s.reliability for s in stored_again.sources] == ["B", "C", "A"]  # were F before (issue 14)
    assert [(p.type, p.involvement) for p in stored_again.perpetrators] == [
        ("illegal_mining", "direct"),
        ("police", "acquiesced"),
    ]
    assert (stored_again.end_date, stored_again.consent) == (date(2024, 5, 12), True)


def test_default_values_leave_the_added_columns_empty_but_consent_says_no(app, users):
    record(
        users,
        "verified",
        victims=[VictimData(group="hrd")],
        perpetrators=[PerpetratorData(type="police")],
        sources=[SourceData(kind="media")],
    )
    [row] = csv_rows(round_trip()[0])
    lists = COLUMNS[COLUMNS.index("source_publishers") :]
    assert {name: row[name] for name in lists} == {**dict.fromkeys(lists, ""), "consent": "no"}


def test_indigenous_defender_count_stays_after_a_round_trip(app, users):
    """Issue 14: the flag was lost, so the report's 3 indigenous defenders became 0."""
    record(users, "verified", victims=[VictimData(group="environmental_defender", count=3, indigenous=True)])

    def indigenous_defenders():
        report = build_report(date(2024, 1, 1), date(2024, 12, 31), IncidentFilter(), users["reviewer"])
        return report.section("protection").indigenous_defenders

    assert (indigenous_defenders().count, indigenous_defenders().persons) == (1, 3)
    round_trip()
    assert (indigenous_defenders().count, indigenous_defenders().persons) == (1, 3)


def test_every_code_of_every_list_and_formula_like_text_round_trip(app, users):
    lists = (VIOLATIONS, VICTIM_GROUPS, GENDERS, PERPETRATOR_TYPES, INVOLVEMENTS, SOURCE_KINDS, RELIABILITY)
    n = max(map(len, lists))

    def nth(terms, i: int) -> str:
        return list(terms)[i % len(terms)]

    for i in range(n):
        data = incident_data(
            title=("'=SUM(A1)", "=1+1", "-Ana", '"Comillas", y ; punto y coma')[i % 4] + f" {i}",
            date=first_of_period(date(2023, 1, 1) + timedelta(days=i), nth(DATE_PRECISIONS, i)),
            date_precision=nth(DATE_PRECISIONS, i),
            geo_precision=nth(GEO_PRECISIONS, i),
            violations=[nth(VIOLATIONS, i), nth(VIOLATIONS, i + 1)],
            victims=[VictimData(group=nth(VICTIM_GROUPS, i), gender=nth(GENDERS, i), name="'-Rosa")],
            perpetrators=[PerpetratorData(type=nth(PERPETRATOR_TYPES, i), involvement=nth(INVOLVEMENTS, i))],
            sources=[SourceData(kind=nth(SOURCE_KINDS, i), reliability=nth(RELIABILITY, i))],
            confidence=nth(CONFIDENCES, i),
            visibility=nth(VISIBILITIES, i),
            public_location=nth(PUBLIC_LOCATIONS, i),
        )
        incident = create_incident(data, users["admin"])
        incident.status = nth(STATUSES, i)
        db.session.commit()
    before = stored()
    assert round_trip()[1] == before


def test_end_date_is_a_real_date_in_xlsx_and_reads_back(app, users):
    record(users, "verified", **vars(full_incident()))
    before, xlsx = stored(), exported("xlsx")
    rows = openpyxl.load_workbook(io.BytesIO(xlsx))["Incidents"].iter_rows(values_only=True)
    cells = dict(zip(next(rows), next(rows), strict=True))
    assert cells["end_date"] == datetime(2024, 5, 12)
    assert cells["source_published_on"] == ";2024-05-20;"  # a list: text, like victim_count
    emptied()
    imported(xlsx, "xlsx")
    assert stored() == before


def test_persons_keys_and_the_first_request_are_written_and_read_back_in_csv_and_xlsx(app, users):
    keyed = full_incident(
        victims=[
            VictimData(group="environmental_defender", gender="female", name="Rosa Ficticia", person="def-0042"),
            VictimData(group="family_member", count=3),
            VictimData(group="community", count=40, person="COM-0007"),
        ],
        requests=[RequestData(filed_on=date(2024, 5, 13), decision="refused", decided_on=date(2024, 7, 1))],
    )
    record(users, "verified", **vars(keyed))
    record(users, "verified", **vars(full_incident(title="Otra", victims=[VictimData(group="hrd", person="DEF-0042")])))
    before, xlsx = stored(), exported("xlsx")
    data, after = round_trip()
    assert [{name: row[name] for name in COLUMNS[COLUMNS.index("victim_person_ids") :]} for row in csv_rows(data)] == [
        {
            "victim_person_ids": "DEF-0042;;COM-0007",
            "protection_requested_on": "2024-05-13",
            "protection_decision": "refused",
            "protection_decided_on": "2024-07-01",
        },
        {
            "victim_person_ids": "DEF-0042",
            "protection_requested_on": "",
            "protection_decision": "",
            "protection_decided_on": "",
        },
    ]
    assert after == before
    assert len({v.person_id for i in db.session.scalars(sa.select(Incident)) for v in i.victims if v.person}) == 2

    rows = openpyxl.load_workbook(io.BytesIO(xlsx))["Incidents"].iter_rows(values_only=True)
    cells = dict(zip(next(rows), next(rows), strict=True))
    assert (cells["protection_requested_on"], cells["protection_decided_on"]) == (
        datetime(2024, 5, 13),
        datetime(2024, 7, 1),
    )
    emptied()
    imported(xlsx, "xlsx")
    assert stored() == before


# --- who sees them ------------------------------------------------------------------------------


def download(client, public: bool = False) -> dict:
    response = client.get("/public/export.csv" if public else "/incidents/export.csv")
    assert response.status_code == 200
    [row] = csv_rows(response.get_data())
    return row


@pytest.mark.parametrize("reader", ["reviewer", "viewer", "public"])
def test_a_confidential_sources_publisher_goes_only_to_readers_of_identities(client, auth, users, reader):
    record(users, "published", **vars(full_incident(visibility="public")))
    if reader != "public":
        auth.login(reader)
    row = download(client, public=reader == "public")
    if reader == "reviewer":
        assert (row["source_publishers"], row["source_reliability"]) == ("Diario Ficticio;;Vecina reservada", "B;C;A")
    else:  # the confidential source is left out with all its entries; the others as the incident page shows them
        assert (row["source_kinds"], row["source_publishers"], row["source_reliability"]) == (
            "media;ngo_report",
            "Diario Ficticio;",
            "B;C",
        )
        assert row["victim_names"] == "" and "Vecina reservada" not in str(row)
    # not restricted: the incident page shows them to every reader of the incident
    assert (row["victim_indigenous"], row["victim_woman_defender"]) == ("no;yes", "yes;no")
    assert (row["perpetrator_involvement"], row["end_date"], row["consent"]) == (
        "direct;acquiesced",
        "2024-05-12",
        "yes",
    )


# --- their checks -------------------------------------------------------------------------------

GOOD = dict(
    title="t",
    date="2024-05-10",
    victim_groups="hrd;community",
    perpetrators="police",
    source_kinds="media;official",
)


@pytest.mark.parametrize(
    "cells, problem",
    [
        ({"end_date": "2024-05-09"}, "column end_date: the end date 2024-05-09 is before the date 2024-05-10"),
        ({"end_date": "2999-01-01"}, "column end_date: 2999-01-01 is in the future"),
        ({"end_date": "12/05/2024"}, "column end_date: '12/05/2024' is not a date in the form YYYY-MM-DD"),
        ({"consent": "sí"}, "column consent: 'sí' is not yes or no"),
        ({"victim_indigenous": "yes;true"}, "column victim_indigenous: 'true' is not yes or no"),
        ({"victim_lgbtiq": "yes"}, "column victim_lgbtiq: has 1 entries but victim_groups has 2"),
        ({"victim_woman_defender": "no;1"}, "column victim_woman_defender: '1' is not yes or no"),
        (
            {"perpetrator_involvement": "orderd"},
            "column perpetrator_involvement: unknown code 'orderd' (did you mean ordered?)",
        ),
        ({"source_reliability": "B;G"}, "column source_reliability: unknown code 'G'"),
        ({"source_published_on": ";2024-02-30"}, "column source_published_on: '2024-02-30' is not a date"),
        ({"source_published_on": "2999-01-01;"}, "column source_published_on: 2999-01-01 is in the future"),
        ({"source_publishers": "x" * 201 + ";"}, "column source_publishers: an entry is longer than 200 characters"),
    ],
)
def test_a_bad_added_cell_is_reported_with_line_and_column(app, tmp_path, cells, problem):
    result = import_file(write(tmp_path, line(**GOOD), line(**{**GOOD, **cells})))
    assert len(result.errors) == 1 and str(result.errors[0]).startswith(f"line 3, {problem}")
    assert result.stored == 0


def test_a_semicolon_inside_a_name_is_refused_not_split(app, users):
    """A list entry cannot hold `;`: the row no longer lines up, and the import says where."""
    record(users, "verified", victims=[VictimData(group="hrd", name="Ana; Rosa")])
    data = exported("csv")
    emptied()
    result = import_file(io.BytesIO(data), "csv")
    assert [str(p) for p in result.errors] == [
        "line 2, column victim_names: has 2 entries but victim_groups has 1; the i-th entries describe the same row"
    ]


# --- updates through them -----------------------------------------------------------------------


def test_a_file_row_updates_the_added_fields_and_an_unchanged_one_changes_nothing(app, users, tmp_path):
    incident = record(users, "verified", **vars(full_incident()))
    path = tmp_path / "export.csv"
    path.write_bytes(exported("csv"))
    version = incident.version
    again = import_file(path, user=users["reviewer"])
    assert (again.updated, again.unchanged) == (0, 1)

    [row] = csv_rows(path.read_bytes())
    edited = {
        **row,
        "end_date": "",
        "consent": "no",
        "victim_indigenous": "yes;no",
        "perpetrator_involvement": "",
        "source_reliability": "C;B;A",
        "source_published_on": "2024-05-11;;",
    }
    path.write_text(",".join(row) + "\n" + line(**edited) + "\n", encoding="utf-8")
    result = import_file(path, user=users["reviewer"])
    assert (result.updated, result.created) == (1, 0)
    db.session.refresh(incident)
    assert (incident.end_date, incident.consent, incident.version) == (None, False, version + 1)
    assert [v.indigenous for v in incident.victims] == [True, False]
    assert [p.involvement for p in incident.perpetrators] == ["direct", "direct"]
    assert [(s.reliability, s.published_on) for s in incident.sources] == [
        ("C", date(2024, 5, 11)),
        ("B", date(2024, 5, 20)),  # an empty date keeps the stored one, as an empty name does
        ("A", None),
    ]
    assert set(incident.versions[-1].changes) == {"end_date", "consent", "victims", "perpetrators", "sources"}


@pytest.mark.parametrize(
    "columns",
    [
        pytest.param(COLUMNS[: COLUMNS.index("source_confidential") + 1], id="a file written before the added columns"),
        pytest.param(("ref", "title", "date", "killed"), id="a file of four columns"),
    ],
)
def test_a_column_the_file_lacks_keeps_what_is_stored(app, users, tmp_path, columns):
    incident = record(users, "verified", **vars(full_incident()))
    before = snapshot(incident)
    [row] = csv_rows(exported("csv"))
    edited = {**{name: row[name] for name in columns}, "title": "Amenazas a la dirigenta", "killed": "3"}
    result = import_file(write(tmp_path, csv_line(columns, **edited), header=",".join(columns)), user=users["reviewer"])
    assert (result.updated, result.created) == (1, 0)
    db.session.refresh(incident)
    changed = {name for name, value in snapshot(incident).items() if value != before[name]}
    assert changed == {"title", "killed"}
