"""The incident form works on a phone: nothing sticks out sideways at 375 px."""

from __future__ import annotations

import pytest

from tests.browser.steps import login, open_violation

pytestmark = pytest.mark.browser

PHONE_WIDTH = 375
TOLERANCE = 2  # px, for sub-pixel rounding


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_incident_form_has_no_horizontal_scroll_on_a_phone(phone_page):
    page = phone_page
    login(page, "monitor")
    page.goto("/incidents/new")
    page.wait_for_selector("#location-map.leaflet-container")
    assert page.evaluate("window.innerWidth") == PHONE_WIDTH
    assert scroll_width(page) <= PHONE_WIDTH + TOLERANCE

    # Rows added in the browser and opened violation groups must not widen it either.
    page.click("[data-rows=victims] [data-add-row]")
    page.click("[data-rows=sources] [data-add-row]")
    open_violation(page, "protest_excessive_force")
    assert scroll_width(page) <= PHONE_WIDTH + TOLERANCE
