"""What the service worker keeps so the incident form opens with the server unreachable: the
static files it needs, each with a digest of its content, so a changed file is fetched again
and an unchanged one is not (Workbox's precache manifest)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app, url_for

# Under static/; a name ending in "/*" stands for every file in that folder.
PRECACHED = (
    "css/app.css",
    "css/map.css",
    "favicon.svg",
    "manifest.webmanifest",
    "icons/*",
    "js/rows.js",
    "js/location-picker.js",
    "js/form-keeper.js",
    "js/exposure-check.js",
    "js/person-picker.js",
    "js/filters.js",
    "js/offline/*",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/images/*",
    "vendor/idb/umd.js",
)


def _files(static: Path) -> list[Path]:
    found = []
    for name in PRECACHED:
        if name.endswith("/*"):
            found += sorted(p for p in (static / name[:-2]).iterdir() if p.is_file())
        else:
            found.append(static / name)
    return found


def precache_manifest() -> list[dict[str, str]]:
    """[{url, revision}] for Workbox; computed once per process (static files are deployed with
    the code), or at every request while debugging."""
    app = current_app
    cached = app.extensions.get("tracker_precache")
    if cached is None or app.debug:
        static = Path(app.static_folder or "")
        cached = [
            {
                "url": url_for("static", filename=path.relative_to(static).as_posix()),
                "revision": hashlib.sha256(path.read_bytes()).hexdigest()[:16],
            }
            for path in _files(static)
        ]
        app.extensions["tracker_precache"] = cached
    return cached
