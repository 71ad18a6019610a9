"""Browser libraries are served by the app itself from static/vendor/ (filled by `make vendor`
from the npm packages pinned in package-lock.json), never from a CDN, and need no login."""

from __future__ import annotations

import pytest

from tracker.config import PROJECT_ROOT

VENDOR = PROJECT_ROOT / "static" / "vendor"

VENDOR_FILES = [
    "leaflet/leaflet.js",
    "leaflet/leaflet.css",
    "leaflet/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png",
    "leaflet/images/layers.png",
    "leaflet.markercluster/leaflet.markercluster.js",
    "leaflet.markercluster/MarkerCluster.css",
    "leaflet.markercluster/MarkerCluster.Default.css",
    "leaflet.heat/leaflet-heat.js",
]


@pytest.mark.parametrize("name", VENDOR_FILES)
def test_vendor_file_is_installed(name):
    path = VENDOR / name
    assert path.is_file() and path.stat().st_size > 0, f"static/vendor/{name} missing: run `make vendor`"


def test_installed_leaflet_is_the_pinned_version():
    head = (VENDOR / "leaflet" / "leaflet.js").read_text(encoding="utf-8")[:300]
    assert "1.9.4" in head


def test_anonymous_visitor_gets_leaflet_from_the_app(client):
    js = client.get("/static/vendor/leaflet/leaflet.js")
    assert js.status_code == 200
    assert "javascript" in js.mimetype
    assert b"Leaflet" in js.data[:300]

    css = client.get("/static/vendor/leaflet/leaflet.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert b".leaflet-container" in css.data


def test_images_referenced_by_leaflet_css_are_served(client):
    response = client.get("/static/vendor/leaflet/images/layers.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
