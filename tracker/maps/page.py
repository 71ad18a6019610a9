"""The map page's map, built by folium: the Leaflet map itself, its base tiles (or none) and its
first view. folium's class defaults load Leaflet and friends from CDNs and put global page styles
and an inline script in the head; `PageMap` loads them from static/vendor/ instead and keeps
only what the page needs. The incident layers are drawn by static/js/map.js, which finds this
map by its name and fetches everything it shows from /map/data: no incident data in the HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import folium
from branca.element import Element, Figure
from flask import url_for
from markupsafe import Markup

# South-west and north-east corners of Peru: the view the map opens on.
PERU_BOUNDS = [[-18.4, -81.4], [-0.03, -68.6]]
PERU_CENTRE = [-9.2, -75.0]
MAX_ZOOM = 18


def _static(path: str) -> str:
    return url_for("static", filename=path)


class PageMap(folium.Map):
    """A folium Map for a page of ours: scripts and styles from static/vendor/ (jQuery,
    Bootstrap, Font Awesome and awesome-markers are not used, so not loaded), and none of
    folium's whole-page styles (`html, body {height: 100%}`, `#map`) or head script."""

    def __init__(self, js: list[tuple[str, str]], css: list[tuple[str, str]], **kwargs):
        super().__init__(**kwargs)
        # Per instance: folium's class lists stay as they are (bench/map.py's naive baseline
        # uses them), and add_js_link/add_css_link would change these copies only.
        self.default_js = list(js)
        self.default_css = list(css)

    def render(self, **kwargs):
        super().render(**kwargs)
        figure = self.get_root()
        figure.header.add_child(Element(""), name=self.get_name())  # replaces folium's page styles
        figure.header._children.pop("meta_http", None)  # the page has its own charset


PAGE_JS = [
    ("leaflet", "vendor/leaflet/leaflet.js"),
    ("markercluster", "vendor/leaflet.markercluster/leaflet.markercluster.js"),
    ("leaflet_heat", "vendor/leaflet.heat/leaflet-heat.js"),
]
PAGE_CSS = [
    ("leaflet_css", "vendor/leaflet/leaflet.css"),
    ("markercluster_css", "vendor/leaflet.markercluster/MarkerCluster.css"),
    ("markercluster_default_css", "vendor/leaflet.markercluster/MarkerCluster.Default.css"),
]


class FirstView(folium.FitBounds):
    """The first view, fitted at once rather than animated: static/js/map.js then asks for
    the data of the view the map settles on, once, instead of a view that is still moving
    (whose request the end of the animation would cancel and send again)."""

    def __init__(self, bounds):
        super().__init__(bounds)
        self.options["animate"] = False


@dataclass(frozen=True)
class MapParts:
    """What the page template embeds: `header` in <head>, `html` (the map's div) where the map
    goes, `script` (JavaScript, without its <script> tag) before static/js/map.js."""

    name: str
    header: Markup
    html: Markup
    script: Markup


def add_nonce(html: str, nonce: str) -> str:
    """Give every <script> tag in folium's output the page's CSP nonce."""
    return re.sub(r"<script\b", f'<script nonce="{nonce}"', html)


def base_map(
    map_class=PageMap, tile_url: str = "", tile_attribution: str = "", prefer_canvas: bool = True, **options
) -> folium.Map:
    """A folium map of Peru with the configured tiles, or none with no tile URL (the page
    draws region outlines beneath any tiles, the download its regions)."""
    fmap = map_class(
        location=PERU_CENTRE, zoom_start=5, tiles=None, prefer_canvas=prefer_canvas, maxZoom=MAX_ZOOM, **options
    )
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=tile_attribution or " ", max_zoom=MAX_ZOOM).add_to(fmap)
    FirstView(PERU_BOUNDS).add_to(fmap)
    return fmap


def map_figure(fmap: folium.Map) -> Figure:
    """The page a folium map is drawn on (folium puts every Map in a Figure of its own)."""
    root = fmap.get_root()
    if not isinstance(root, Figure):
        raise TypeError(f"folium put the map in a {type(root).__name__}, not a Figure")
    return root


def page_map(tile_url: str, tile_attribution: str, nonce: str) -> MapParts:
    """The map page's folium map, rendered into the pieces the template places, its <script>
    tags carrying this response's CSP nonce."""
    name, header, html, script = _rendered_page_map(
        tile_url,
        tile_attribution,
        tuple((name, _static(path)) for name, path in PAGE_JS),
        tuple((name, _static(path)) for name, path in PAGE_CSS),
    )
    header, html = add_nonce(header, nonce), add_nonce(html, nonce)
    # folium's own rendering of our map: its inputs are the operator's tile settings, our static
    # URLs and the nonce from secrets.token_urlsafe; no user input reaches it.
    return MapParts(name=name, header=Markup(header), html=Markup(html), script=Markup(script))  # noqa: S704


@lru_cache(maxsize=8)
def _rendered_page_map(tile_url: str, tile_attribution: str, js: tuple, css: tuple) -> tuple[str, str, str, str]:
    """Name, header, html and script of the page's map. The same for every request with these
    settings (building it makes folium compile its templates, which is slow), so kept."""
    fmap = base_map(PageMap, tile_url, tile_attribution, js=list(js), css=list(css))
    root = map_figure(fmap)
    root.render()
    return fmap.get_name(), root.header.render(), root.html.render(), root.script.render()
