"""Maps without tiles: with every outside host blocked, the map page, the public map and the
incident form's location picker still draw the department outlines, in a pane beneath the
tiles, whether a tile server is configured but unreachable or none is configured at all."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import Traffic, _open_context
from tests.browser.steps import login

pytestmark = pytest.mark.browser

TILE_HOST = "tiles.example.org"
TILE_URL = f"https://{TILE_HOST}/{{z}}/{{x}}/{{y}}.png"
DEPARTMENTS = 25  # in the boundary test data
BACKGROUND = "rgb(233, 238, 245)"  # light, for the outlines to read on (not Leaflet's grey)
MAPS = (  # path, role to log in as (None: anonymous), the map's element
    ("/map", "reviewer", "#incident-map"),
    ("/public/map", None, "#incident-map"),
    ("/incidents/new", "monitor", "#location-map"),
)
# How much of the outlines a map has drawn in its outlines pane: SVG paths, or painted pixels
# where the map draws on a canvas (the map page's folium map prefers canvas).
DRAWN = """selector => {
  const pane = document.querySelector(selector + " .leaflet-outlines-pane");
  if (!pane) return 0;
  let drawn = pane.querySelectorAll("path").length;
  for (const canvas of pane.querySelectorAll("canvas")) {
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) drawn++;
  }
  return drawn;
}"""
Z_INDEX = "([selector, pane]) => Number(getComputedStyle(document.querySelector(selector + ' .' + pane)).zIndex)"


def is_tile(url: str) -> bool:
    return urlsplit(url).hostname == TILE_HOST


@dataclass
class TileTraffic(Traffic):
    """Traffic in which requests to the tile host are expected (they are still aborted), and
    recorded apart with those of them that failed."""

    failed_tiles: list[str] = field(default_factory=list)

    @property
    def tiles(self) -> list[str]:
        return [url for url in self.requests if is_tile(url)]

    @property
    def foreign(self) -> list[str]:
        return [url for url in super().foreign if not is_tile(url)]


@pytest.fixture
def unreachable_tiles(browser, live_server):
    """A page of a tracker configured with tiles from a host that never answers: like every
    other outside host, the browser context aborts its requests."""
    config = live_server.app.config
    saved = config["TILE_URL"]
    config["TILE_URL"] = TILE_URL
    traffic = TileTraffic()
    context = _open_context(browser, live_server, traffic)
    context.on("requestfailed", lambda request: is_tile(request.url) and traffic.failed_tiles.append(request.url))
    try:
        yield context.new_page(), traffic
    finally:
        context.close()
        config["TILE_URL"] = saved
    traffic.check()


def open_map(page, path: str, role: str | None, selector: str) -> None:
    if role:
        login(page, role)
    page.goto(path)
    assert urlsplit(page.url).path == path
    page.wait_for_function(DRAWN, arg=selector)
    assert page.evaluate(Z_INDEX, [selector, "leaflet-outlines-pane"]) < page.evaluate(
        Z_INDEX, [selector, "leaflet-tile-pane"]
    ), "the outlines are not beneath the tiles"
    container = page.locator(f"{selector}.leaflet-container, {selector} .leaflet-container")
    assert container.evaluate("el => getComputedStyle(el).backgroundColor") == BACKGROUND
    if selector == "#location-map":
        assert page.locator(f"{selector} .leaflet-outlines-pane path").count() == DEPARTMENTS


@pytest.mark.parametrize(("path", "role", "selector"), MAPS)
def test_maps_draw_the_outlines_when_the_tiles_do_not_load(unreachable_tiles, path, role, selector):
    page, traffic = unreachable_tiles
    open_map(page, path, role, selector)
    deadline = time.monotonic() + 5  # the tile requests fail on their own time
    while not (traffic.tiles and set(traffic.tiles) <= set(traffic.failed_tiles)) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert traffic.tiles, "the map asked for no tiles"
    assert set(traffic.tiles) <= set(traffic.failed_tiles), "a tile request did not fail"
    assert page.locator(f"{selector} .leaflet-tile").count() >= 1
    assert page.locator(f"{selector} .leaflet-tile-loaded").count() == 0
    if selector == "#location-map":  # the outlines do not stand in the way of a click
        page.click(selector, position={"x": 150, "y": 130})
        assert page.input_value("#latitude") and page.input_value("#longitude")


@pytest.mark.parametrize(("path", "role", "selector"), MAPS)
def test_maps_draw_the_outlines_with_no_tile_server(page, path, role, selector):
    open_map(page, path, role, selector)
    assert page.locator(f"{selector} .leaflet-tile").count() == 0
