"""A base map with no internet: TRACKER_TILE_FILE names a local MBTiles file, and the tracker
serves its tiles itself (tracker/maps/tiles.py) to the map pages and the location picker."""

from __future__ import annotations

import io
import sqlite3

import pytest
from PIL import Image

from tests.support import make_app, schema_created
from tracker.maps.tiles import TileFileError

LOCAL = "/tiles/{z}/{x}/{y}"


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, "PNG")
    return out.getvalue()


def mbtiles(path, tile_format="png", tiles=None):
    """An MBTiles file whose tiles are {(z, x, y counted from the north): bytes}."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        conn.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        conn.execute("INSERT INTO metadata VALUES ('format', ?)", (tile_format,))
        for (z, x, y), data in (tiles or {}).items():
            conn.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, data))
    return path


@pytest.fixture
def tiled(tmp_path):
    """An app serving tiles from a file with two tiles at zoom 1: the north-west one red, the
    south-west one blue."""
    red, blue = png("red"), png("blue")
    path = mbtiles(tmp_path / "peru.mbtiles", tiles={(1, 0, 0): red, (1, 0, 1): blue})
    app = make_app(f"sqlite:///{tmp_path / 't.db'}", tmp_path / "instance", TILE_FILE=str(path), TILE_URL=LOCAL)
    with schema_created(app):
        yield app, red, blue


def test_tiles_come_from_the_local_file_counted_from_the_north(tiled):
    app, red, blue = tiled
    client = app.test_client()  # anonymous: the public map shows them too
    north, south = client.get("/tiles/1/0/0"), client.get("/tiles/1/0/1")
    assert (north.status_code, north.mimetype, north.data) == (200, "image/png", red)
    assert south.data == blue
    assert "max-age=86400" in north.headers["Cache-Control"]
    for missing in ("/tiles/1/1/0", "/tiles/1/2/0", "/tiles/0/0/0", "/tiles/31/0/0"):
        assert client.get(missing).status_code == 404, missing


def test_the_maps_ask_this_server_for_their_tiles(tiled):
    app, _red, _blue = tiled
    client = app.test_client()
    page = client.get("/public/map")
    assert "/tiles/{z}/{x}/{y}" in page.get_data(as_text=True)
    assert "img-src 'self' data:;" in page.headers["Content-Security-Policy"]  # no outside host


def test_without_a_tile_file_there_are_no_local_tiles(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 't.db'}", tmp_path / "instance")
    with schema_created(app):
        assert app.test_client().get("/tiles/0/0/0").status_code == 404


@pytest.mark.parametrize(
    ("make_file", "expected"),
    [
        (lambda path: path.write_bytes(b"not a database at all, just text" * 40) and path, "not a readable MBTiles"),
        (lambda path: mbtiles(path, tile_format="pbf"), "'pbf' tiles"),
        (lambda path: path, "not a readable MBTiles"),  # missing
    ],
    ids=["not sqlite", "vector tiles", "missing"],
)
def test_a_tile_file_the_maps_cannot_use_stops_the_start_with_the_reason(tmp_path, make_file, expected):
    path = make_file(tmp_path / "tiles.mbtiles")
    with pytest.raises(TileFileError, match=expected):
        make_app(f"sqlite:///{tmp_path / 't.db'}", tmp_path / "instance", TILE_FILE=str(path), TILE_URL=LOCAL)


def test_a_downloaded_map_asks_this_server_for_the_local_tiles(tiled, shared_geo):
    from tests.support import import_departments

    app, _red, _blue = tiled
    with app.app_context():
        import_departments()
    html = app.test_client().get("/public/map/download.html").get_data(as_text=True)
    assert "http://localhost/tiles/{z}/{x}/{y}" in html
