"""Exports in every format, from `tracker export` and from the list's Download menu: real
files read back by the tools partners use (openpyxl, geopandas, libhxl), what each role and
the public get, formula cells neutralised, and the audit log. Runs on SQLite and PostgreSQL
through the `app` fixture."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import geopandas
import hxl
import openpyxl
import pandas
import pytest
import sqlalchemy as sa

from tests.factories import incident_data, submit_incident
from tests.support import import_departments
from tracker.exchange import exporter
from tracker.exchange.formats import FORMATS, acled, delimited, geojson, xlsx
from tracker.exchange.formats.csv_format import COLUMNS, GENERAL_COLUMNS
from tracker.extensions import db
from tracker.filters import IncidentFilter
from tracker.incidents.data import SourceData, VictimData
from tracker.incidents.service import change_status
from tracker.models import AuditEntry, Region
from tracker.sqlite_settings import MEMORY_MAP_BYTES

VICTIM_NAME = "Rosa Ficticia"
ORGANISATION = "Asociación Ficticia del Bosque"
CONFIDENTIAL_TITLE = "Testimonio reservado"
CONFIDENTIAL_URL = "https://secret.example.org/testimonio-42"
SECRET_LAT, SECRET_LON = -12.345678, -76.543210  # in Lima department
PUBLIC_LAT, PUBLIC_LON = -12.1, -77.0
SPREADSHEET_FORMATS = ("csv", "xlsx", "hxl")


def record(users, status="verified", **overrides):
    """An incident by the monitor, taken by the reviewer up to `status`."""
    incident = submit_incident(incident_data(**overrides), users["monitor"])
    for step in ("verified", "published")[: ("verified", "published").index(status) + 1]:
        change_status(incident, step, users["reviewer"], "ok")
    return incident


def secrets(**overrides) -> dict:
    """A named victim and a confidential source with a web address."""
    return dict(
        victims=[
            VictimData(group="environmental_defender", gender="female", name=VICTIM_NAME, organisation=ORGANISATION)
        ],
        sources=[
            SourceData(kind="media", title="Nota", url="https://example.org/nota"),
            SourceData(kind="testimony", title=CONFIDENTIAL_TITLE, url=CONFIDENTIAL_URL, confidential=True),
        ],
        **overrides,
    )


@pytest.fixture
def partners_incident(users):
    """Verified, for partners: viewers list it, without names or its exact place."""
    return record(
        users,
        title="Amenaza para socios",
        latitude=SECRET_LAT,
        longitude=SECRET_LON,
        place="Comunidad Reservada",
        visibility="partners",
        killed=2,
        **secrets(),
    )


@pytest.fixture
def public_corpus(users):
    """Published public incidents placed exactly, generalised to their department, hidden;
    and some the public may not see at all. Department boundaries give the centroids."""
    import_departments()
    return {
        "exact": record(
            users,
            "published",
            title="Caso público exacto",
            latitude=PUBLIC_LAT,
            longitude=PUBLIC_LON,
            visibility="public",
            public_location="exact",
        ),
        "generalised": record(
            users,
            "published",
            title="Caso generalizado",
            latitude=SECRET_LAT,
            longitude=SECRET_LON,
            place="Comunidad Reservada",
            admin1="Lima",
            admin2="Huarochirí",
            visibility="public",
            public_location="admin1",
            **secrets(),
        ),
        "hidden": record(
            users,
            "published",
            title="Caso oculto",
            latitude=-15.111111,
            longitude=-70.222222,
            admin1="Puno",
            visibility="public",
            public_location="hidden",
        ),
        "partners": record(
            users, "published", title="Caso para socios", visibility="partners", public_location="exact"
        ),
        "verified": record(users, "verified", title="Caso verificado", visibility="public", public_location="exact"),
    }


def text_of(fmt: str, data: bytes) -> str:
    """Everything a file says, to search for what must not be there."""
    if fmt != "xlsx":
        return data.decode()
    book = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(
        str(value) for sheet in book for row in sheet.iter_rows(values_only=True) for value in row if value is not None
    )


def download(client, fmt: str, query: str = "", public: bool = False) -> bytes:
    response = client.get(f"/{'public' if public else 'incidents'}/export.{fmt}{query}")
    assert response.status_code == 200, response.text
    assert response.is_streamed
    assert response.mimetype == FORMATS[fmt].mimetype.split(";")[0]
    assert response.headers["Content-Disposition"].endswith(f'.{FORMATS[fmt].extension}"')
    return response.get_data()


def csv_rows(data: bytes, skip: int = 0) -> list[dict]:
    lines = io.StringIO(data.decode(), newline="")
    header = next(csv.reader(lines))
    for _skipped in range(skip):
        next(lines)
    return list(csv.DictReader(lines, fieldnames=header))


def read_geojson(tmp_path, data: bytes) -> geopandas.GeoDataFrame:
    path = tmp_path / "incidents.geojson"
    path.write_bytes(data)
    return geopandas.read_file(path)


# --- the formats, from the command line ---------------------------------------------------


def test_cli_writes_every_format_readable_by_partners_tools(runner, tmp_path, partners_incident, users):
    record(users, title="Segundo caso", latitude=-13.5, longitude=-71.9, killed=None)
    files = {}
    for fmt in ("csv", "xlsx", "geojson", "hxl"):
        files[fmt] = tmp_path / f"out.{fmt}"
        result = runner.invoke(args=["export", "--format", fmt, "-o", str(files[fmt])])
        assert result.exit_code == 0, result.output
        assert "Exported 2 incidents." in result.output

    rows = csv_rows(files["csv"].read_bytes())
    assert [r["title"] for r in rows] == ["Amenaza para socios", "Segundo caso"]
    assert (rows[0]["victim_names"], rows[0]["victim_organisations"]) == (VICTIM_NAME, ORGANISATION)
    assert (rows[0]["source_titles"], rows[0]["source_confidential"]) == (f"Nota;{CONFIDENTIAL_TITLE}", "no;yes")
    assert rows[0]["source_urls"] == f"https://example.org/nota;{CONFIDENTIAL_URL}"

    sheet = openpyxl.load_workbook(files["xlsx"])["Incidents"]
    header, first, second = sheet.iter_rows(values_only=True)
    assert header == COLUMNS
    first, second = dict(zip(COLUMNS, first, strict=True)), dict(zip(COLUMNS, second, strict=True))
    assert first["date"] == datetime(2024, 5, 10) and sheet["D2"].is_date
    assert (first["latitude"], first["longitude"], first["killed"], second["killed"]) == (
        SECRET_LAT,
        SECRET_LON,
        2,
        None,
    )
    assert first["victim_names"] == VICTIM_NAME

    frame = read_geojson(tmp_path, files["geojson"].read_bytes())
    assert frame.crs.to_epsg() == 4326 and len(frame) == 2
    assert (frame.geometry[0].x, frame.geometry[0].y) == (SECRET_LON, SECRET_LAT)
    assert list(frame["title"]) == ["Amenaza para socios", "Segundo caso"]
    assert frame["killed"][0] == 2

    source = hxl.data(str(files["hxl"]), hxl.InputOptions(allow_local=True))
    tags = [column.display_tag for column in source.columns]
    assert tags == [delimited.HXL_TAGS[name] for name in GENERAL_COLUMNS]  # no persons' keys, no requests
    assert {"#event+id", "#date", "#adm1+name", "#geo+lat", "#geo+lon", "#affected+killed"} <= set(tags)
    first = next(iter(source))
    assert (first.get("#event+title"), first.get("#geo+lat"), first.get("#affected+killed")) == (
        "Amenaza para socios",
        str(SECRET_LAT),
        "2",
    )


def test_cli_acled_export_uses_acled_columns_and_codes(runner, tmp_path, users):
    incident = record(
        users,
        title="Ataque",
        description="=1+1 testigos",
        latitude=SECRET_LAT,
        longitude=SECRET_LON,
        violations=["physical_assault"],
        killed=1,
        **secrets(),
    )
    out = tmp_path / "acled.csv"
    result = runner.invoke(args=["export", "--format", "acled", "-o", str(out)])
    assert result.exit_code == 0, result.output
    [row] = csv_rows(out.read_bytes())
    assert list(row) == list(acled.ACLED_COLUMNS)
    assert (row["event_id_cnty"], row["event_date"], row["fatalities"]) == (incident.ref, "2024-05-10", "1")
    assert (row["event_type"], row["sub_event_type"], row["actor1"]) == (
        "Violence against civilians",
        "Attack",
        "Illegal Miners (Peru)",
    )
    assert (row["latitude"], row["longitude"]) == (str(SECRET_LAT), str(SECRET_LON))
    assert row["notes"] == "'=1+1 testigos"


def test_large_exports_stay_well_formed_across_pieces(app, users, tmp_path, monkeypatch):
    """Files are written in pieces and XLSX goes on over further sheets when one is full."""
    for n in range(5):
        record(users, title=f"Caso {n}", latitude=-12 - n / 10, longitude=-77.0)
    monkeypatch.setattr(delimited, "FLUSH_ROWS", 2)
    monkeypatch.setattr(geojson, "FLUSH_FEATURES", 2)
    monkeypatch.setattr(xlsx, "SHEET_ROWS", 2)

    def exported(fmt: str) -> bytes:
        chunks = list(exporter.Export(fmt, IncidentFilter()).chunks())
        assert fmt == "xlsx" or len(chunks) > 2
        return b"".join(chunks)

    assert [r["title"] for r in csv_rows(exported("csv"))] == [f"Caso {n}" for n in range(5)]
    features = json.loads(exported("geojson"))["features"]
    assert [f["properties"]["title"] for f in features] == [f"Caso {n}" for n in range(5)]
    book = openpyxl.load_workbook(io.BytesIO(exported("xlsx")))
    assert book.sheetnames == ["Incidents", "Incidents 2", "Incidents 3"]
    assert [row[1] for sheet in book for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        f"Caso {n}" for n in range(5)
    ]


# --- the formats, from the list -------------------------------------------------------------


def test_list_offers_downloads_with_its_filters(client, auth, partners_incident):
    auth.login("reviewer")
    page = client.get("/incidents/?admin1=Lima&violation=threat").text
    for fmt in FORMATS:
        assert f'href="/incidents/export.{fmt}?violation=threat&amp;admin1=Lima"' in page


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_viewer_export_lacks_names_confidential_source_and_place_a_reviewer_gets(client, auth, partners_incident, fmt):
    restricted = [CONFIDENTIAL_URL, "Comunidad Reservada", str(SECRET_LAT), str(SECRET_LON)]
    if fmt != "acled":  # ACLED has no columns for names
        restricted += [VICTIM_NAME, ORGANISATION, CONFIDENTIAL_TITLE]
    auth.login("reviewer")
    full = text_of(fmt, download(client, fmt))
    assert [secret for secret in restricted if secret not in full] == []
    auth.logout()
    auth.login("viewer")
    partial = text_of(fmt, download(client, fmt))
    assert partners_incident.ref in partial and "https://example.org/nota" in partial
    assert [secret for secret in restricted if secret in partial] == []


def test_viewer_geojson_has_no_point_without_boundaries_to_generalise_to(client, auth, tmp_path, partners_incident):
    auth.login("viewer")
    frame = read_geojson(tmp_path, download(client, "geojson"))
    assert len(frame) == 1 and frame.geometry[0] is None
    assert frame["geo_precision"][0] == "region" and pandas.isna(frame["place"][0])


def test_export_follows_the_filters_and_refuses_bad_ones(client, auth, partners_incident, users):
    record(users, title="Otro departamento", latitude=None, longitude=None, admin1="Puno")
    auth.login("reviewer")
    rows = csv_rows(download(client, "csv", "?admin1=Puno"))
    assert [r["title"] for r in rows] == ["Otro departamento"]
    bad = client.get("/incidents/export.csv?section=9.9")
    assert bad.status_code == 400 and "9.9" in bad.text
    assert client.get("/incidents/export.pdf").status_code == 404


def test_signed_in_export_needs_a_login(client, partners_incident):
    response = client.get("/incidents/export.csv")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# --- the public export ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_public_export_has_only_published_public_incidents_and_no_exact_place(client, public_corpus, fmt):
    assert public_corpus["generalised"].admin2 == "Huarochirí"  # stored, so its absence below means something
    text = text_of(fmt, download(client, fmt, public=True))
    for shown in ("exact", "generalised", "hidden"):
        assert public_corpus[shown].ref in text
    forbidden = [
        public_corpus["partners"].ref,
        public_corpus["verified"].ref,
        VICTIM_NAME,
        ORGANISATION,
        CONFIDENTIAL_TITLE,
        CONFIDENTIAL_URL,
        "Comunidad Reservada",
        "Huarochirí",
        f"{SECRET_LAT:.4f}",
        f"{SECRET_LON:.4f}",
        "-15.1111",
        "-70.2222",
    ]
    assert [secret for secret in forbidden if secret in text] == []


def test_public_geojson_places_generalised_incidents_at_the_region_centroid(client, public_corpus, tmp_path):
    frame = read_geojson(tmp_path, download(client, "geojson", "?q=generalizado", public=True))
    assert frame.crs.to_epsg() == 4326
    by_title = {row.title: row for row in frame.itertuples()}
    assert set(by_title) == {"Caso público exacto", "Caso generalizado", "Caso oculto"}  # no text search
    assert (by_title["Caso público exacto"].geometry.x, by_title["Caso público exacto"].geometry.y) == (
        PUBLIC_LON,
        PUBLIC_LAT,
    )
    lima = db.session.execute(
        sa.select(Region.centroid_lon, Region.centroid_lat).where(Region.level == "admin1", Region.name == "Lima")
    ).one()
    generalised = by_title["Caso generalizado"]
    assert (generalised.geometry.x, generalised.geometry.y) == pytest.approx(tuple(lima), abs=1e-6)
    assert (generalised.admin1, generalised.geo_precision) == ("Lima", "region")
    assert pandas.isna(generalised.admin2) and pandas.isna(generalised.place)
    hidden = by_title["Caso oculto"]
    assert hidden.geometry is None and pandas.isna(hidden.admin1)


def test_public_map_offers_the_public_download(client, public_corpus):
    page = client.get("/public/map").text
    assert 'href="/public/export.geojson"' in page


# --- spreadsheet safety and the audit log ---------------------------------------------------


@pytest.mark.parametrize("fmt", SPREADSHEET_FORMATS)
def test_formula_cells_are_neutralised_numbers_are_not(client, auth, users, fmt):
    record(
        users,
        title='=HYPERLINK("https://evil.example","clic")',
        description="+51 999 000 000",
        place="@SUM(A1)",
        latitude=-12.5,
        longitude=-77.25,
        victims=[VictimData(group="hrd", name="-Ana")],
    )
    auth.login("reviewer")
    data = download(client, fmt)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(data))["Incidents"]
        cells = {name: cell for name, cell in zip(COLUMNS, next(sheet.iter_rows(min_row=2)), strict=True)}
        assert {cells[name].data_type for name in ("title", "description", "place", "victim_names")} == {"s"}
        row = {name: cell.value for name, cell in cells.items()}
        assert (row["latitude"], row["longitude"]) == (-12.5, -77.25)
    else:
        row = csv_rows(data, skip=1 if fmt == "hxl" else 0)[0]
        assert (row["latitude"], row["longitude"]) == ("-12.5", "-77.25")
    assert row["title"] == '\'=HYPERLINK("https://evil.example","clic")'
    assert (row["description"], row["place"], row["victim_names"]) == ("'+51 999 000 000", "'@SUM(A1)", "'-Ana")


def test_every_export_is_audited_with_who_what_and_how_many(client, auth, users, partners_incident):
    auth.login("viewer")
    download(client, "xlsx", "?violation=threat")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert (entry.user_id, entry.target) == (users["viewer"].id, "incidents.xlsx")
    assert entry.details == {"rows": 1, "format": "xlsx", "filters": [["violation", "threat"]]}
    assert VICTIM_NAME not in str(entry.details)

    auth.logout()
    download(client, "hxl", public=True)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id.desc())
    ).first()
    assert (entry.user_id, entry.target, entry.details["public"]) == (None, "public-incidents-hxl.csv", True)


def test_a_download_cut_short_is_audited_as_interrupted(app, users):
    for n in range(3):
        record(users, title=f"Caso {n}")
    chunks = exporter.Export("geojson", IncidentFilter(), target="cut.geojson").chunks()
    next(chunks)
    next(chunks)
    chunks.close()
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert entry.details["interrupted"] is True and entry.details["rows"] == 3


@pytest.mark.databases("sqlite")
def test_sqlite_export_reads_past_the_memory_map_and_puts_it_back(app, users):
    """A full export reads the whole file once: mapped, all of it would stay resident in the
    process (a gigabyte at a million incidents). Later reports get the map back."""
    for n in range(3):
        record(users, title=f"Caso {n}")

    def mapped_bytes() -> int:
        return db.session.execute(sa.text("PRAGMA mmap_size")).scalar()

    rows = exporter.export_rows(IncidentFilter())
    next(rows)
    assert mapped_bytes() == 0
    list(rows)
    assert mapped_bytes() == MEMORY_MAP_BYTES
    cut_short = exporter.Export("csv", IncidentFilter()).chunks()
    next(cut_short)
    cut_short.close()
    assert mapped_bytes() == MEMORY_MAP_BYTES
