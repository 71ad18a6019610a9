"""The incident map in Chromium: it renders, its layers switch, a filter changes the count,
and the public map shows only what the public may see. The fixtures fail the test if any
request leaves 127.0.0.1 (TILE_URL is "", so no tiles: the map shows its region outlines)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from tests.browser.steps import email_of, login
from tests.factories import incident_data, submit_incident

pytestmark = pytest.mark.browser

TAG = "Mapaprueba"  # in every title, so the other browser tests' incidents stay out of the counts
PLACES = (  # title suffix, violation, (lat, lon), published publicly at its exact place?
    ("Lima", "threat", (-12.05, -77.04), True),
    ("Puno", "protest_excessive_force", (-15.84, -70.02), False),
    ("Cusco", "threat", (-13.53, -71.97), False),
)


@pytest.fixture(scope="module")
def map_incidents(live_server):
    from tracker.extensions import db
    from tracker.incidents.service import change_status
    from tracker.models import User

    with live_server.app.app_context():
        monitor, reviewer = (
            db.session.scalar(sa.select(User).where(User.email == email_of(role))) for role in ("monitor", "reviewer")
        )
        for suffix, code, (lat, lon), public in PLACES:
            incident = submit_incident(
                incident_data(
                    title=f"{TAG} {suffix}",
                    violations=[code],
                    latitude=lat,
                    longitude=lon,
                    visibility="public" if public else "internal",
                    public_location="exact",
                ),
                monitor,
            )
            change_status(incident, "verified", reviewer, "ok")
            if public:
                change_status(incident, "published", reviewer, "ok")
        db.session.remove()


def wait_loaded(page, layer: str) -> None:
    page.wait_for_selector(f"#incident-map[data-state=loaded][data-shown={layer}]")


def shown_total(page) -> int:
    return int(page.get_attribute("#map-count", "data-total"))


def choose_layer(page, index: int, layer: str) -> None:
    page.locator(".leaflet-control-layers-base input").nth(index).check()
    wait_loaded(page, layer)


def test_map_renders_switches_layers_and_follows_filters(page, map_incidents):
    login(page, "reviewer")
    page.goto(f"/map?q={TAG}")
    wait_loaded(page, "points")
    assert shown_total(page) == 3
    assert page.locator("#incident-map .leaflet-marker-icon").count() >= 1
    assert page.locator("#incident-map path.leaflet-interactive, #incident-map canvas").count() >= 1  # outlines

    choose_layer(page, 1, "admin1")
    assert page.locator(".map-legend div").count() >= 1
    assert "layer=regions" in page.url and "level=admin1" in page.url  # the view can be shared as a link
    choose_layer(page, 3, "heat")
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    assert page.locator(".map-legend").count() == 0
    choose_layer(page, 0, "points")

    page.select_option("#filter-violation", "threat")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    wait_loaded(page, "points")
    assert shown_total(page) == 2
    page.locator("#incident-map .leaflet-marker-icon").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert TAG in popup.inner_text() and "/incidents/" in popup.locator("a").get_attribute("href")
    listed = page.request.get(f"/incidents/?q={TAG}&violation=threat").text()
    assert 'data-total="2"' in listed


def test_public_map_shows_only_published_public_incidents(page, live_server, map_incidents):
    from tracker.filters import IncidentFilter, count_incidents

    with live_server.app.app_context():
        published_public = count_incidents(IncidentFilter(), None)
    page.goto("/public/map")
    wait_loaded(page, "points")
    assert shown_total(page) == published_public
    assert page.locator("#incident-map .leaflet-marker-icon").count() >= 1
    data = page.request.get("/public/map/data").text()
    assert f"{TAG} Lima" in data
    assert f"{TAG} Puno" not in data and f"{TAG} Cusco" not in data


@pytest.mark.parametrize("path", ["/map", "/public/map", "/map?layer=regions"])
def test_map_asks_once_for_the_data_of_its_first_view(page, map_incidents, path):
    """One request for the layer (and one for the outlines drawn without tiles): a second one
    would mean the first view moved after the data were asked for, cancelling them."""
    if not path.startswith("/public"):
        login(page, "reviewer")
    asked: list[dict] = []  # the query of each data request
    page.on(
        "request", lambda request: "/map/data" in request.url and asked.append(parse_qs(urlsplit(request.url).query))
    )
    page.goto(path)
    wait_loaded(page, "admin1" if "regions" in path else "points")
    page.wait_for_timeout(1000)  # past the map's 250 ms wait after a move: a late request would be seen
    layer = "regions" if "regions" in path else "points"
    assert sorted(query["layer"][0] for query in asked) == sorted(["outlines", layer])
    bbox = next(query["bbox"][0] for query in asked if query["layer"] == [layer])
    west, south, east, north = (float(v) for v in bbox.split(","))
    assert west <= -81.4 and south <= -18.4 and east >= -68.6 and north >= -0.03  # all of Peru in view


def test_image_download_follows_the_region_level_shown(page, map_incidents):
    login(page, "reviewer")
    page.goto(f"/map?q={TAG}")
    wait_loaded(page, "points")
    assert "level=admin1" in page.get_attribute("#map-downloads a", "href")
    choose_layer(page, 2, "admin2")
    href = page.get_attribute("#map-downloads a", "href")
    assert "level=admin2" in href and f"q={TAG}" in href
    image = page.request.get(href)
    assert image.headers["content-type"] == "image/png" and image.body().startswith(b"\x89PNG")
    html_href = page.get_attribute("#map-downloads a[href*='download.html']", "href")
    assert "level=admin2" in html_href and f"q={TAG}" in html_href


def test_html_download_works_on_its_own(page, map_incidents):
    """The downloaded file draws its regions with no request at all (Leaflet is inside it), and
    says what it shows: title, period and filters above, legend and credits below."""
    login(page, "reviewer")
    page.goto(f"/map?q={TAG}")
    wait_loaded(page, "points")
    download = page.request.get(page.get_attribute("#map-downloads a[href*='download.html']", "href"))
    assert download.headers["content-disposition"].startswith("attachment")
    standalone = page.context.new_page()
    seen: list[str] = []
    standalone.on("request", lambda request: seen.append(request.url))
    standalone.set_content(download.text())
    standalone.wait_for_selector("path.leaflet-interactive")
    assert standalone.locator("path.leaflet-interactive").count() == 25  # departments
    assert standalone.locator(".map-legend span").count() >= 2
    assert standalone.locator("h1").inner_text() == "Incidents by department"
    assert standalone.locator(".map-period").inner_text().startswith("Period: all dates. 3 incidents on the map.")
    assert standalone.locator(".map-filters").inner_text() == f"Filters: Text: “{TAG}”."
    credits = standalone.locator(".map-source").all_inner_texts()
    assert credits[0].startswith("Source: Civic space tracker") and credits[1].startswith("Boundaries: ")
    assert [url for url in seen if not url.startswith("data:")] == []
    standalone.close()
