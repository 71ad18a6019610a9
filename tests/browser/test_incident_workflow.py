"""A monitor records an incident through the real form; a reviewer verifies and publishes it."""

from __future__ import annotations

import re

import pytest

from tests.browser.steps import add_row, login, logout, open_violation, use_english

pytestmark = pytest.mark.browser

# Plaza de Armas, Puno (city): inside Puno department, province and district.
PUNO = ("-15.8402", "-70.0219")


def test_monitor_records_and_reviewer_publishes(page):
    login(page, "monitor")
    use_english(page)

    with page.expect_navigation():
        page.click("nav.main-nav a[href='/incidents/new']")
    assert page.url.endswith("/incidents/new")
    page.wait_for_selector("#location-map.leaflet-container")  # Leaflet has started

    page.fill("#title", "Journalists beaten at a protest in Puno")
    page.fill("#description", "Two reporters covering the march were beaten by police.")
    page.fill("#date", "2024-05-14")

    # Clicking the map fills the coordinates...
    page.click("#location-map", position={"x": 150, "y": 130})
    lat, lon = page.input_value("#latitude"), page.input_value("#longitude")
    assert lat and lon, "clicking the map did not fill the coordinates"
    assert -90 <= float(lat) <= 90 and -180 <= float(lon) <= 180
    assert page.locator("#location-map .leaflet-marker-icon").count() == 1
    # ...then exact coordinates are typed, so the test is deterministic.
    page.fill("#latitude", PUNO[0])
    page.fill("#longitude", PUNO[1])

    open_violation(page, "journalist_attack")
    open_violation(page, "protest_excessive_force")

    page.select_option("#victims-0-group", "journalist")
    page.select_option("#victims-0-gender", "female")
    page.fill("#victims-0-name", "Ana Ficticia")
    add_row(page, "victims")
    page.select_option("#victims-1-group", "media_worker")
    page.fill("#victims-1-count", "2")
    page.fill("#victims-1-organisation", "Radio Imaginaria")

    page.select_option("#sources-0-kind", "media")
    page.fill("#sources-0-title", "Reporters attacked during march")
    page.fill("#sources-0-url", "https://news.example.org/puno-march")
    add_row(page, "sources")
    page.select_option("#sources-1-kind", "testimony")
    page.fill("#sources-1-title", "Interview with a witness")

    with page.expect_navigation():
        page.click("#save-submit")
    assert re.search(r"/incidents/PE-2024-\d+\?saved=1$", page.url), page.url
    ref = page.inner_text("h1 .ref").strip()
    assert "status-submitted" in page.get_attribute("#incident-status", "class")
    victims = page.locator("#victims li")
    assert victims.count() == 2
    assert "Ana Ficticia" in victims.nth(0).inner_text()
    assert "Radio Imaginaria" in victims.nth(1).inner_text()
    assert page.locator("#sources li").count() == 2
    assert "puno" in page.inner_text("#incident-location").lower()

    logout(page)
    login(page, "reviewer")
    page.goto(f"/incidents/{ref}")
    for target in ("verified", "published"):
        with page.expect_navigation() as nav:
            page.click(f"#workflow button[data-status={target}]")
        assert nav.value.ok, f"changing the status to {target} answered HTTP {nav.value.status} at {page.url}"
        assert f"status-{target}" in page.get_attribute("#incident-status", "class")

    with page.expect_navigation():
        page.click("nav.main-nav a[href='/incidents/']")
    row = page.locator("table.incidents tbody tr", has=page.locator(f"a:text-is('{ref}')"))
    assert row.count() == 1
    assert row.locator("td.region").inner_text().split(" · ")[0].strip().lower() == "puno"
    assert "status-published" in row.locator(".status").get_attribute("class")
    assert "Journalists beaten at a protest in Puno" in row.inner_text()
