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

from tracker.errors import ServiceError
from tracker.incidents.data import IncidentData
from tracker.regions import service
from tracker.regions.names import display_name, name_key

MIRAFLORES = (-12.1211, -77.0297)
PUERTO_MALDONADO = (-12.5933, -69.1891)
CUSCO = (-13.5319, -71.9675)
PACIFIC = (-15.0, -85.0)

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


# --- importing -----------------------------------------------------------------------------


def test_importing_the_three_layers(app, shared_geo, caplog):
    with caplog.at_level(logging.WARNING):
        counts = import_all(shared_geo)
    # the district file has 1834 features, eight of them without geometry (e.g. Santa Anita)
    assert counts == {"admin1": 25, "admin2": 197, "admin3": 1826}
    assert service.region_counts() == counts
    assert "skipped 8 features" in caplog.text and "SANTA ANITA" in caplog.text
    names = service.region_names("admin1")
    assert len(names) == 25 and names[:2] == ["Amazonas", "Ancash"]
    assert "Madre de Dios" in names and "San Martin" in names


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
    assert filled(latitude=PACIFIC[0], longitude=PACIFIC[1], admin1="san martín") == ("San Martin", "", "")


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
