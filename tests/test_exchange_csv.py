"""The canonical CSV: `tracker import` (all rows or none), `tracker export` (filters, stable
bytes) and their round trip. Runs on SQLite and PostgreSQL through the `app` fixture."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from tests.support import FULL, count, line, write
from tracker.exchange.formats.csv_format import COLUMNS
from tracker.exchange.importer import import_csv
from tracker.extensions import db
from tracker.models import AuditEntry, Event, Incident, IncidentViolation, Perpetrator, Source, Victim


def clear_incidents() -> None:
    for model in (IncidentViolation, Victim, Perpetrator, Source, Incident, Event):
        db.session.execute(sa.delete(model))
    db.session.commit()


def test_good_file_imports_with_all_children(app, runner, tmp_path):
    path = write(tmp_path, line(**FULL, ref="PE-2024-00001"), line(title="Solo título y fecha", date="2024-02-20"))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 incidents from in.csv." in result.output

    full = db.session.scalar(sa.select(Incident).where(Incident.ref == "PE-2024-00001"))
    assert (full.title, full.date.isoformat(), full.latitude, full.longitude) == (
        FULL["title"],
        "2024-05-10",
        -12.5933,
        -69.1891,
    )
    assert (full.admin1, full.admin2, full.admin3, full.status, full.visibility) == (
        "Madre de Dios",
        "Tambopata",
        "Tambopata",
        "verified",
        "public",
    )
    assert (full.killed, full.injured, full.detained, full.version) == (None, 0, None, 1)
    assert full.violation_codes == ["harassment", "threat"]
    assert [(v.position, v.group, v.count, v.gender) for v in full.victims] == [
        (0, "environmental_defender", 1, "female"),
        (1, "family_member", 3, "unknown"),
    ]
    assert [p.type for p in full.perpetrators] == ["illegal_mining", "unknown"]
    assert [(s.kind, s.url) for s in full.sources] == [("media", "https://noticias.example.org/1"), ("testimony", "")]
    assert full.event.name == "Ola ficticia" and full.created_at == full.updated_at

    # the row without a reference continues after the one the file itself uses
    minimal = db.session.scalar(sa.select(Incident).where(Incident.title == "Solo título y fecha"))
    assert minimal.ref == "PE-2024-00002"
    assert (minimal.status, minimal.confidence, minimal.geo_precision, minimal.country) == (
        "draft",
        "unknown",
        "region",
        "PE",
    )
    assert not minimal.victims and not minimal.sources

    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "import"))
    assert (entry.target, entry.user_id) == ("in.csv", None)
    assert entry.details == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "skipped": 0, "flagged": 0}


def test_bad_rows_are_all_reported_and_nothing_is_stored(app, runner, tmp_path):
    write(tmp_path, line(**FULL, ref="PE-2023-00007"), name="first.csv")
    assert import_csv(tmp_path / "first.csv").stored == 1

    path = write(
        tmp_path,
        line(**{**FULL, "ref": "PE-2024-00100", "violations": "threat;protest_killings"}),  # line 2
        line(**{**FULL, "date": "2024-13-01", "description": "dos\nlíneas"}),  # lines 3-4
        line(**{**FULL, "latitude": "95", "longitude": "-190"}),  # line 5
        line(**{**FULL, "victim_count": "1"}),  # line 6
        line(**{**FULL, "killed": "-1", "source_kinds": "media"}),  # line 7
        line(**{**FULL, "title": "", "date": ""}),  # line 8
        line(**{**FULL, "ref": "PE-2024-00100", "victim_groups": "defensor;family_member"}),  # line 9
        line(**{**FULL, "ref": "PE-2023-00007", "title": "stored: an update"}),  # line 10
    )
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    expected = [
        "line 2, column violations: unknown code 'protest_killings' (did you mean protest_killing, ",
        "line 3, column date: '2024-13-01' is not a date in the form YYYY-MM-DD",
        "line 5, column latitude: outside -90..90",
        "line 5, column longitude: outside -180..180",
        "line 6, column victim_count: has 1 entries but victim_groups has 2",
        "line 7, column source_urls: has 2 entries but source_kinds has 1",
        "line 7, column killed: -1 is below 0",
        "line 8, column title: a title is required",
        "line 8, column date: a date is required (YYYY-MM-DD)",
        "line 9, column victim_groups: unknown code 'defensor'",
        "line 9, column ref: PE-2024-00100 is also used on line 2",
    ]
    for message in expected:
        assert message in result.output
    assert f"{len(expected)} problem(s) in in.csv; nothing was stored." in result.output
    assert count() == 1 and count(Victim) == 2 and count(Event) == 1
    stored = db.session.scalar(sa.select(Incident))
    assert (stored.ref, stored.title, stored.version) == ("PE-2023-00007", FULL["title"], 1)


def test_every_problem_has_a_line_and_a_column(app, tmp_path):
    path = write(
        tmp_path,
        line(
            title="x",
            date="2024-01-01",
            victim_groups="protester",
            victim_gender="mujer",
            confidence="sure",
            country="Peru",
        ),
    )
    result = import_csv(path)
    assert [(p.line, p.column) for p in result.errors] == [(2, "country"), (2, "victim_gender"), (2, "confidence")]
    assert result.stored == 0 and count() == 0


def test_header_must_name_known_columns_once(app, tmp_path):
    header = "title,violation,title,place,"
    result = import_csv(write(tmp_path, "a,threat,b,c,", header=header))
    assert [str(p) for p in result.errors] == [
        "line 1, column violation: unknown column (did you mean violations?)",
        "line 1, column title: column appears twice",
        "line 1, column #5: the column has no name",
        "line 1, column date: required column is missing",
    ]


def test_utf8_with_byte_order_mark_and_latin1_are_read(app, tmp_path):
    row = line(title="Niñas y señoras", date="2024-01-01")
    result = import_csv(write(tmp_path, row, name="bom.csv", encoding="utf-8-sig"))
    assert (result.stored, result.encoding) == (1, "")
    assert db.session.scalar(sa.select(Incident.title)) == "Niñas y señoras"

    result = import_csv(write(tmp_path, line(title="Año", date="2024-01-02"), name="latin.csv", encoding="latin-1"))
    assert (result.stored, result.encoding) == (1, "cp1252")
    assert db.session.scalar(sa.select(Incident.title).where(Incident.ref == "PE-2024-00002")) == "Año"


def test_rows_with_wrong_cell_counts_and_dry_run(app, tmp_path):
    path = write(tmp_path, line(title="ok", date="2024-01-01"), ",,,,", "only,three,cells")
    assert [str(p) for p in import_csv(path).errors] == [f"line 4: the row has 3 cells, the header has {len(COLUMNS)}"]

    good = write(tmp_path, line(title="ok", date="2024-01-01"), name="good.csv")
    result = import_csv(good, dry_run=True)
    assert (result.ok, result.rows, result.stored, count()) == (True, 1, 0, 0)


def test_points_without_regions_are_located_in_one_call(app, tmp_path, monkeypatch):
    calls = []

    def locate_many(points):
        calls.append(points)
        return [("Cusco", "Cusco", "Wanchaq") for _ in points]

    monkeypatch.setattr("tracker.regions.service.locate_many", locate_many)
    path = write(
        tmp_path,
        line(title="a", date="2024-01-01", latitude="-13.53", longitude="-71.95"),
        line(title="b", date="2024-01-02", latitude="-12.6", longitude="-69.2", admin1="Madre de Dios"),
        line(title="c", date="2024-01-03", latitude="-13.52", longitude="-71.97"),
    )
    assert import_csv(path).stored == 3
    assert calls == [[(-13.53, -71.95), (-13.52, -71.97)]]
    regions = dict(db.session.execute(sa.select(Incident.title, Incident.admin3)).all())
    assert regions == {"a": "Wanchaq", "b": "", "c": "Wanchaq"}


def test_round_trip_gives_identical_bytes(app, runner, tmp_path):
    path = write(
        tmp_path,
        line(**{**FULL, "latitude": "-12.593312345", "violations": "threat;harassment;threat"}),
        line(
            title='Protesta, "con comillas"',
            description="varias\nlíneas",
            date="2023-01-17",
            date_precision="month",
            violations="protest_killing;protest_excessive_force",
            victim_groups="protester;student",
            victim_count="12;",
            killed="2",
            injured="",
            detained="0",
            perpetrators="police",
            source_kinds="media;ngo_report",
            status="published",
            source_urls=";https://informes.example.org/x",
            admin1="Puno",
        ),
        line(title="Mínimo", date="2022-06-30"),
    )
    assert import_csv(path).stored == 3
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    assert runner.invoke(args=["export", "--format", "csv", "-o", str(first)]).exit_code == 0
    clear_incidents()
    assert import_csv(first).stored == 3
    assert runner.invoke(args=["export", "-o", str(second)]).exit_code == 0
    assert first.read_bytes() == second.read_bytes()

    rows = list(csv.DictReader(first.open(encoding="utf-8", newline="")))
    assert [r["title"] for r in rows] == ["Mínimo", 'Protesta, "con comillas"', FULL["title"]]
    minimum, protest, full = rows
    assert (protest["date"], protest["violations"], protest["victim_count"]) == (
        "2023-01-01",
        "protest_excessive_force;protest_killing",
        "12;1",
    )
    assert (protest["killed"], protest["injured"], protest["detained"]) == ("2", "", "0")
    assert protest["source_urls"] == ";https://informes.example.org/x"
    assert (full["latitude"], full["violations"], full["source_urls"]) == (
        "-12.593312",
        "harassment;threat",
        "https://noticias.example.org/1;",
    )
    assert (minimum["killed"], minimum["victim_groups"], minimum["source_urls"]) == ("", "", "")


def test_export_applies_the_shared_filters(app, runner, tmp_path):
    rows = [
        ("Protesta 2023", "2023-01-10", "protest_dispersal", "Puno", "verified"),
        ("Protesta 2022", "2022-05-01", "protest_dispersal", "Puno", "verified"),
        ("Periodista 2023", "2023-02-01", "journalist_threat", "Lima", "verified"),
        ("Borrador 2023", "2023-03-01", "protest_ban", "Lima", "draft"),
    ]
    import_csv(write(tmp_path, *(line(title=t, date=d, violations=v, admin1=a, status=s) for t, d, v, a, s in rows)))

    def exported(*args) -> list[str]:
        out = tmp_path / "out.csv"
        result = runner.invoke(args=["export", "-o", str(out), *args])
        assert result.exit_code == 0, result.output
        return [r["title"] for r in csv.DictReader(out.open(encoding="utf-8", newline=""))]

    assert exported("--section", "1.2", "--from", "2023-01-01") == ["Protesta 2023", "Borrador 2023"]
    assert exported("--section", "1.2", "--status", "verified", "--to", "2022-12-31") == ["Protesta 2022"]
    assert exported("--admin1", "Lima", "--admin1", "Puno", "--q", "periodista") == ["Periodista 2023"]
    assert len(exported()) == 4

    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
    ).first()
    assert entry.details == {
        "rows": 2,
        "format": "csv",
        "filters": [["from", "2023-01-01"], ["section", "1.2"]],
        "fields": ["exact_location"],  # which kinds of restricted field went out (tests/test_read_audit.py)
    }

    bad = runner.invoke(args=["export", "-o", str(tmp_path / "x.csv"), "--section", "9.9"])
    assert bad.exit_code == 2 and "'9.9'" in bad.output


@pytest.mark.parametrize(
    "cells, problem",
    [
        ({"victim_groups": "protester", "victim_count": "0"}, "column victim_count: 0 is below 1"),
        ({"injured": "dos"}, "column injured: 'dos' is not a whole number"),
        ({"latitude": "-12.1"}, "column latitude: give both latitude and longitude, or neither"),
        ({"source_kinds": "media", "source_urls": "javascript:alert(1)"}, "is not a web address"),
        ({"date": "2999-01-01"}, "column date: 2999-01-01 is in the future"),
        ({"date": "20240101"}, "is not a date in the form YYYY-MM-DD"),
    ],
)
def test_single_cell_problems(app, tmp_path, cells, problem):
    result = import_csv(write(tmp_path, line(**{"title": "t", "date": "2024-01-01", **cells})))
    assert len(result.errors) == 1 and problem in str(result.errors[0])


def test_open_files_binary_or_text_are_read_from_the_start(app):
    header = ",".join(COLUMNS)
    upload = io.BytesIO(f"\ufeff{header}\n{line(title='a', date='2024-01-01')}\n".encode())
    upload.read(5)  # a stream already read from, as after sniffing its type
    assert import_csv(upload).stored == 1
    assert import_csv(io.StringIO(f"{header}\n{line(title='b', date='2024-01-02')}\n")).stored == 1
    assert count() == 2
    assert db.session.scalars(sa.select(AuditEntry.target).where(AuditEntry.action == "import")).all() == [
        "upload",
        "upload",
    ]
