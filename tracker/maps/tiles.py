"""Map tiles served by the tracker itself from a local MBTiles file (`TRACKER_TILE_FILE`), for
a server with no internet connection, such as one in a field office: the maps then show a base
map without any tile host. MBTiles is one SQLite file of tiles (rows counted from the south,
as in TMS); it is opened read-only for each tile."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask

MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


class TileFileError(RuntimeError):
    """TRACKER_TILE_FILE does not name a readable MBTiles file of raster tiles."""


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def tile_file(app: Flask) -> Path | None:
    """The configured tile file (relative names are in the instance folder), if any."""
    name = app.config.get("TILE_FILE", "")
    if not name:
        return None
    path = Path(name)
    return path if path.is_absolute() else Path(app.instance_path) / path


def media_type(path: Path) -> str:
    """The tiles' media type, from the file's metadata; a start-up check that the file is
    MBTiles of PNG, JPEG or WebP tiles."""
    try:
        with _connect(path) as conn:
            row = conn.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()
            conn.execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        raise TileFileError(f"TRACKER_TILE_FILE {path} is not a readable MBTiles file ({exc}).") from exc
    kind = (row[0] if row else "png").lower()
    if kind not in MEDIA_TYPES:
        raise TileFileError(f"TRACKER_TILE_FILE {path} holds '{kind}' tiles; the maps show png, jpg or webp.")
    return MEDIA_TYPES[kind]


def read_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """The tile at zoom `z`, column `x`, row `y` counted from the north (as Leaflet asks)."""
    if not (0 <= z <= 30 and 0 <= x < 1 << z and 0 <= y < 1 << z):
        return None
    with _connect(path) as conn:
        row = conn.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y),
        ).fetchone()
    return bytes(row[0]) if row else None
