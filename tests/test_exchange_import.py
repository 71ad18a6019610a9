"""Importing real files: XLSX, Latin-1 semicolon CSV, ACLED's export, broken ones of each kind;
updates by reference, duplicates, place names without coordinates, spreadsheet formulas.
Every file is written by the test; every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from tests.support import FULL, count, csv_line, import_departments, line, write
from tracker.exchange.formats import acled
from tracker.exchange.formats.csv_format import COLUMNS, CsvIncident
from tracker.exchange.importer import check_file, import_file
from tracker.extensions import db
from tracker.facts import VIOLATION_BITS
from tracker.incidents.data import IncidentData, PerpetratorData, SourceData, VictimData
from tracker.models import DuplicateCandidate, Incident, IncidentVersion, Region
from tracker.taxonomy import PERPETRATOR_TYPES

ACLED_HEADER = ",".join(acled.ACLED_COLUMNS)
# Rows as ACLED's export tool writes them (fictional events, realistic cells)
JULIACA = dict(
    event_id_cnty="PER9001",
    event_date="2023-01-09",
    year="2023",
    time_precision="1",
    disorder_type="Demonstrations",
    event_type="Protests",
    sub_event_type="Excessive force against protesters",
    actor1="Protesters (Peru)",
    assoc_actor_1="Labor Group (Peru)",
    inter1="6",
    actor2="Police Forces of Peru (2022-)",
    inter2="1",
    interaction="16",
    iso="604",
    region="South America",
    country="Peru",
    admin1="Puno",
    admin2="San Roman",
    admin3="Juliaca",
    location="Juliaca",
    latitude="-15.5",
    longitude="-70.1333",
    geo_precision="1",
    source="La Republica; Infobae",
    source_scale="National",
    notes="On 9 January 2023, police fired on protesters at the airport.",
    fatalities="18",
    timestamp="1673900000",
)
LIMA_ATTACK = dict(
    event_id_cnty="PER9002",
    event_date="03 February 2023",
    year="2023",
    time_precision="2",
    disorder_type="Political violence",
    event_type="Violence against civilians",
    sub_event_type="Attack",
    actor1="Unidentified Armed Group (Peru)",
    inter1="Political militia",
    actor2="Civilians (Peru)",
    assoc_actor_2="Journalists (Peru)",
    inter2="Civilians",
    civilian_targeting="Civilian targeting",
    country="Peru",
    admin1="Lima",
    admin2="Lima",
    admin3="Miraflores",
    location="Miraflores",
    latitude="-12.1211",
    longitude="-77.0297",
    geo_precision="2",
    source="El Comercio",
    notes="A journalist was beaten by unidentified men.",
    fatalities="0",
)
PEACEFUL = dict(
    event_id_cnty="PER9003",
    event_date="2023-03-01",
    year="2023",
    time_precision="3",
    event_type="Protests",
    sub_event_type="Peaceful protest",
    actor1="Protesters (Peru)",
    inter1="6",
    country="Peru",
    admin1="Cusco",
    location="Cusco",
    latitude="-13.5319",
    longitude="-71.9675",
    geo_precision="3",
    source="",
    notes="",
    fatalities="0",
)


def acled_line(**cells) -> str:
    return csv_line(acled.ACLED_COLUMNS, **cells)


def write_xlsx(path, rows: list[list], header=COLUMNS):
    book = openpyxl.Workbook()
    sheet = book.active
    if header:
        sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def stored(ref: str) -> Incident:
    return db.session.scalar(sa.select(Incident).where(Incident.ref == ref))


# --- XLSX ----------------------------------------------------------------------------------


def test_good_xlsx_imports_typed_cells_and_text_that_looks_like_a_formula(app, tmp_path):
    cells = {
        **FULL,
        "ref": "PE-2024-00001",
        "date": date(2024, 5, 10),
        "latitude": -12.5933,
        "longitude": -69.1891,
        "injured": 0,
        "title": '\'=HYPERLINK("http://x")',
    }
    path = write_xlsx(
        tmp_path / "incidents.xlsx",
        [
            [cells.get(name, "") for name in COLUMNS],
            [None] * len(COLUMNS),  # an empty row in the middle is skipped
            [{"title": "Solo título", "date": date(2024, 2, 20)}.get(name) for name in COLUMNS],
        ],
    )
    result = import_file(path)
    assert (result.format, result.errors, result.created) == ("xlsx", [], 2)
    full = stored("PE-2024-00001")
    assert (full.title, full.date, full.latitude, full.injured, full.killed) == (
        '=HYPERLINK("http://x")',
        date(2024, 5, 10),
        -12.5933,
        0,
        None,
    )
    assert full.violation_codes == ["harassment", "threat"] and len(full.victims) == 2
    assert stored("PE-2024-00002").title == "Solo título"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"this is not a workbook", "line 1: the file is not a readable XLSX workbook"),
        (b"PK\x03\x04 a broken zip", "line 1: the file is not a readable XLSX workbook"),
    ],
)
def test_broken_xlsx_is_refused_with_a_plain_message(app, tmp_path, content, message):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    result = import_file(path)
    assert [str(p) for p in result.errors][0].startswith(message)
    assert (result.valid, result.stored, count()) == (0, 0, 0)


def test_xlsx_without_a_header_row_is_refused(app, tmp_path):
    empty = import_file(write_xlsx(tmp_path / "empty.xlsx", [], header=None))
    assert [str(p) for p in empty.errors] == ["line 1: the file is empty; the first line must name the columns"]
    headless = import_file(write_xlsx(tmp_path / "headless.xlsx", [["Protesta", date(2024, 1, 1)]], header=None))
    assert "line 1, column date: required column is missing" in [str(p) for p in headless.errors]
    assert count() == 0


# --- CSV: encodings, separators, malformed files -------------------------------------------


def test_semicolon_latin1_csv_from_spanish_excel_imports_with_its_accents(app, runner, tmp_path):
    header = ";".join(COLUMNS)
    row = ";".join(
        {
            "title": "Ataque a periodista en Ánimas",
            "date": "2024-03-02",
            "place": "Cañete",
            "violations": "journalist_attack",
            "description": "Niñas, señoras; y él",
        }.get(name, "")
        for name in COLUMNS
    ).replace("Niñas, señoras; y él", '"Niñas, señoras; y él"')
    path = tmp_path / "excel.csv"
    path.write_bytes(f"{header}\r\n{row}\r\n".encode("cp1252"))
    checked = runner.invoke(args=["import", "--format", "csv", "--dry-run", str(path)])
    assert "excel.csv is not UTF-8 text: read as cp1252." in checked.output
    assert "1 of 1 rows are valid; nothing was stored (dry run)" in checked.output
    result = import_file(path)
    assert (result.errors, result.created, result.encoding, result.format) == ([], 1, "cp1252", "csv")
    incident = db.session.scalar(sa.select(Incident))
    assert (incident.title, incident.place, incident.description) == (
        "Ataque a periodista en Ánimas",
        "Cañete",
        "Niñas, señoras; y él",
    )


def test_malformed_csv_stops_with_its_line_and_stores_nothing(app, tmp_path):
    path = write(tmp_path, line(title="ok", date="2024-01-01"), '"unterminated,2024-01-02')
    result = import_file(path, skip_invalid=True)
    assert [str(p) for p in result.errors] == ["line 3: the CSV is malformed (unexpected end of data)"]
    assert (result.readable, result.valid, count()) == (False, 0, 0)


def test_file_checks_beyond_the_cells(app, tmp_path):
    path = write(
        tmp_path,
        line(title="swapped", date="2024-01-01", latitude="-77.03", longitude="-12.12", source_kinds="media"),
        line(title="Madrid", date="2024-01-01", latitude="40.4", longitude="-3.7", source_kinds="media"),
        line(
            title="Madrid, in Spain",
            date="2024-01-01",
            latitude="40.4",
            longitude="-3.7",
            country="ES",
            source_kinds="media",
        ),
        line(title="no source", date="2024-01-01"),
    )
    result = check_file(path)
    assert [str(p) for p in result.errors] == [
        "line 2, column latitude: latitude and longitude look swapped",
        "line 3, column latitude: the point is outside Peru; check the coordinates",
    ]
    assert [str(p) for p in result.warnings] == [
        "line 5, column source_kinds: no source: a reviewer will need one to verify the incident"
    ]
    assert (result.rows, result.invalid, result.valid) == (4, 2, 2)


def test_only_the_valid_rows_are_imported_when_asked(app, tmp_path):
    path = write(
        tmp_path,
        line(title="good", date="2024-01-01"),
        line(title="bad", date="2024-13-01"),
        line(title="also good", date="2024-01-02"),
    )
    assert import_file(path).stored == 0 and count() == 0
    result = import_file(path, skip_invalid=True)
    assert (result.created, result.skipped, len(result.errors)) == (2, 1, 1)
    assert sorted(db.session.scalars(sa.select(Incident.title))) == ["also good", "good"]


@pytest.mark.databases("sqlite")
def test_an_import_leaves_sqlite_planner_statistics(app, tmp_path):
    """Without statistics SQLite may walk a region index row by row where a scan is faster
    (maps and reports slow down after a big import); PostgreSQL's autovacuum does its own."""
    import_file(write(tmp_path, line(**FULL)))
    tables = set(db.session.scalars(sa.text("SELECT tbl FROM sqlite_stat1")))
    assert {"incidents", "victims", "incident_violations"} <= tables


# --- updates and duplicates ----------------------------------------------------------------


def test_reimporting_a_file_changes_nothing_and_an_edited_row_updates_with_history(app, tmp_path):
    rows = [line(**FULL, ref="PE-2024-00001"), line(title="Sin referencia", date="2024-02-20", place="Lima")]
    assert import_file(write(tmp_path, *rows)).created == 2
    again = import_file(write(tmp_path, *rows))
    assert (again.created, again.updated, again.unchanged, again.already) == (0, 0, 2, 1)
    assert count() == 2 and count(IncidentVersion) == 0

    edited = import_file(
        write(
            tmp_path, line(**{**FULL, "killed": "2", "violations": "torture"}, ref="PE-2024-00001"), name="edited.csv"
        )
    )
    assert (edited.created, edited.updated) == (0, 1)
    incident = stored("PE-2024-00001")
    assert (incident.killed, incident.version, count()) == (2, 2, 2)
    assert [(v.version, v.changes) for v in incident.versions] == [
        (1, {}),
        (2, {"killed": [None, 2], "violations": [["harassment", "threat"], ["torture"]]}),
    ]
    assert incident.violation_bits == VIOLATION_BITS.mask(["torture"])  # what reports count follows


def test_an_update_keeps_what_the_file_does_not_say(app, tmp_path, users):
    from tests.factories import incident_data
    from tracker.incidents.service import create_incident

    incident = create_incident(incident_data(), users["monitor"])
    ref = incident.ref
    out = tmp_path / "export.csv"
    assert app.test_cli_runner().invoke(args=["export", "-o", str(out)]).exit_code == 0
    exported = out.read_text(encoding="utf-8").replace("Amenazas a dirigente ficticia", "Amenazas a dirigente")
    out.write_text(exported, encoding="utf-8")
    result = import_file(out, user=users["reviewer"])
    assert (result.updated, result.created) == (1, 0)
    incident = stored(ref)
    assert incident.title == "Amenazas a dirigente"
    assert [(v.name, v.woman_defender) for v in incident.victims] == [("Rosa Ficticia", True)]
    assert [(s.title, s.reliability) for s in incident.sources] == [("Nota", "B"), ("Testimonio reservado", "F")]
    assert incident.versions[-1].user_id == users["reviewer"].id


def test_a_row_like_a_stored_incident_is_flagged_and_linked_not_doubled(app, tmp_path):
    assert import_file(write(tmp_path, line(**FULL, ref="PE-2024-00001"), name="first.csv")).created == 1
    similar = line(
        **{
            **FULL,
            "title": "Amenazas a una defensora ficticia",
            "date": "2024-05-11",
            "latitude": "-12.60",
            "violations": "threat",
        }
    )
    unrelated = line(**{**FULL, "title": "Amenaza a defensora ficticia", "violations": "torture"})
    checked = check_file(write(tmp_path, similar, unrelated), sample=5)
    assert checked.similar == 1
    assert [str(p) for p in checked.warnings] == [
        "line 2: may be a duplicate of PE-2024-00001 (a day apart at most, nearby, a shared violation, a similar title)"
    ]
    assert [(s.action, s.match) for s in checked.sample] == [("similar", "PE-2024-00001"), ("new", "")]

    result = import_file(write(tmp_path, similar, unrelated))
    assert (result.created, result.similar) == (2, 1)
    pair = db.session.scalar(sa.select(DuplicateCandidate))
    assert (pair.incident.title, pair.candidate_of.ref, pair.status) == (
        "Amenazas a una defensora ficticia",
        "PE-2024-00001",
        "pending",
    )


# --- places without coordinates --------------------------------------------------------------


def test_a_place_name_without_coordinates_is_put_at_its_region_centroid(app, tmp_path):
    import_departments()
    cusco = db.session.execute(
        sa.select(Region.centroid_lat, Region.centroid_lon).where(Region.level == "admin1", Region.name == "Cusco")
    ).one()
    path = write(
        tmp_path,
        line(title="by department", date="2024-01-01", admin1="CUSCO"),
        line(title="by place", date="2024-01-01", place="madre de díos"),
        line(title="nowhere known", date="2024-01-01", place="Atlantis"),
    )
    checked = check_file(path)
    assert [(s.data.latitude, s.data.admin1) for s in checked.sample][:1] == [(cusco.centroid_lat, "Cusco")]
    assert import_file(path).created == 3
    rows = {i.title: i for i in db.session.scalars(sa.select(Incident))}
    assert (rows["by department"].latitude, rows["by department"].longitude) == tuple(cusco)
    assert (rows["by department"].geo_precision, rows["by department"].admin1) == ("region", "Cusco")
    assert (rows["by place"].admin1, rows["by place"].geo_precision) == ("Madre de Dios", "region")
    madre_de_dios = db.session.execute(
        sa.select(Region.centroid_lat, Region.centroid_lon).where(
            Region.level == "admin1", Region.name == "Madre de Dios"
        )
    ).one()
    assert (rows["by place"].latitude, rows["by place"].longitude) == tuple(madre_de_dios)
    assert (rows["nowhere known"].latitude, rows["nowhere known"].geo_precision) == (None, "region")


# --- ACLED ---------------------------------------------------------------------------------


def test_acled_export_imports_and_a_newer_download_updates_instead_of_duplicating(app, runner, tmp_path):
    path = write(
        tmp_path,
        acled_line(**JULIACA),
        acled_line(**LIMA_ATTACK),
        acled_line(**PEACEFUL),
        header=ACLED_HEADER,
        name="acled.csv",
    )
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 incidents from acled.csv." in result.output
    assert "ACLED's 'Protests / Peaceful protest' has no violation code here" in result.output

    juliaca = stored("PER9001")
    assert (juliaca.title, juliaca.date, juliaca.date_precision, juliaca.killed) == (
        "Excessive force against protesters – Juliaca",
        date(2023, 1, 9),
        "day",
        18,
    )
    assert (juliaca.latitude, juliaca.longitude, juliaca.geo_precision) == (-15.5, -70.1333, "exact")
    assert (juliaca.admin1, juliaca.admin2, juliaca.admin3, juliaca.country) == ("Puno", "San Román", "Juliaca", "PE")
    assert juliaca.violation_codes == ["protest_killing"]
    assert [p.type for p in juliaca.perpetrators] == ["police"]
    assert [v.group for v in juliaca.victims] == ["trade_unionist"]
    assert [(s.kind, s.publisher) for s in juliaca.sources] == [("media", "La Republica"), ("media", "Infobae")]
    assert juliaca.description.startswith("On 9 January 2023")
    attack = stored("PER9002")
    assert (attack.date, attack.date_precision, attack.geo_precision) == (date(2023, 1, 30), "week", "near")
    assert (attack.violation_codes, [p.type for p in attack.perpetrators], [v.group for v in attack.victims]) == (
        ["physical_assault"],
        ["unknown"],
        ["journalist"],
    )
    peaceful = stored("PER9003")
    assert (peaceful.violation_codes, peaceful.date_precision, peaceful.geo_precision) == ([], "month", "region")

    newer = write(
        tmp_path,
        acled_line(**{**JULIACA, "fatalities": "19"}),
        acled_line(**LIMA_ATTACK),
        acled_line(**PEACEFUL),
        header=ACLED_HEADER,
        name="acled-newer.csv",
    )
    again = import_file(newer)
    assert (again.created, again.updated, again.unchanged, count()) == (0, 1, 2, 3)
    juliaca = stored("PER9001")
    assert (juliaca.killed, juliaca.version, juliaca.versions[-1].changes) == (19, 2, {"killed": [18, 19]})


def test_broken_acled_file_names_acled_columns(app, tmp_path):
    missing = write(tmp_path, "PER1,2023-01-01", header="event_id_cnty,event_date", name="short.csv")
    assert [str(p) for p in import_file(missing, "acled").errors] == [
        "line 1, column event_type: required ACLED column is missing",
        "line 1, column sub_event_type: required ACLED column is missing",
    ]
    bad = write(
        tmp_path,
        acled_line(
            **{
                **JULIACA,
                "time_precision": "7",
                "inter2": "Aliens",
                "latitude": "abc",
                "event_date": "9th Jan",
                "fatalities": "many",
            }
        ),
        header=ACLED_HEADER,
        name="bad.csv",
    )
    result = import_file(bad)
    assert sorted(str(p) for p in result.errors) == [
        "line 2, column event_date: '9th Jan' is not a date in the form YYYY-MM-DD",
        "line 2, column fatalities: 'many' is not a whole number",
        "line 2, column inter2: 'Aliens' is not an ACLED actor type (1–8, or e.g. State forces)",
        "line 2, column latitude: 'abc' is not a number (use a decimal point)",
        "line 2, column time_precision: '7' is not one of 1, 2, 3",
    ]
    assert count() == 0


def test_acled_export_row_reads_back_as_the_same_incident():
    data = IncidentData(
        title="t",
        date=date(2024, 3, 1),
        date_precision="month",
        place="Juliaca",
        latitude=-15.5,
        longitude=-70.1333,
        geo_precision="near",
        admin1="Puno",
        violations=["threat", "protest_killing"],
        victims=[VictimData(group="protester"), VictimData(group="journalist")],
        perpetrators=[PerpetratorData(type=t) for t in PERPETRATOR_TYPES],
        sources=[SourceData(kind="media", publisher="La República")],
        killed=3,
        description="notes",
    )
    cells = dict(zip(acled.ACLED_COLUMNS, acled.to_acled_row(CsvIncident(data=data, ref="PE-2024-00009")), strict=True))
    assert (cells["event_type"], cells["sub_event_type"], cells["inter1"], cells["inter2"], cells["interaction"]) == (
        "Protests",
        "Excessive force against protesters",
        "1",
        "6",
        "16",
    )
    assert (cells["time_precision"], cells["geo_precision"], cells["iso"], cells["country"]) == (
        "3",
        "2",
        "604",
        "Peru",
    )
    row, errors, warnings = acled.parse(cells, 2, date(2025, 1, 1))
    assert (errors, warnings, row.ref) == ([], [], "PE-2024-00009")
    back = row.data
    assert [p.type for p in back.perpetrators] == list(PERPETRATOR_TYPES)
    assert [v.group for v in back.victims] == ["protester", "journalist"]
    assert (back.violations, back.killed, back.date, back.date_precision, back.geo_precision) == (
        ["protest_killing"],
        3,
        date(2024, 3, 1),
        "month",
        "near",
    )
    assert [(s.kind, s.publisher) for s in back.sources] == [("media", "La República")]


def test_a_point_with_only_a_latitude_is_reported_not_placed(app, tmp_path):
    import_departments()
    path = write(tmp_path, line(title="half a point", date="2024-01-01", latitude="-12.1"))
    checked = check_file(path)
    assert [str(p) for p in checked.errors] == ["line 2, column latitude: give both latitude and longitude, or neither"]
    assert import_file(path).stored == 0 and count() == 0
