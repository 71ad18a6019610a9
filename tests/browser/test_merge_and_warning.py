"""In Chromium: two people edit one incident and the second chooses, field by field, what to
keep; the form warns as a name is typed into the title of an incident partners will see."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import _open_context
from tests.browser.steps import login, use_english

pytestmark = pytest.mark.browser


@pytest.fixture
def draft(live_server):
    """A monitor's draft, made afresh for each test."""
    from tests.browser.steps import email_of
    from tests.factories import incident_data
    from tracker.auth.service import find_user
    from tracker.extensions import db
    from tracker.incidents.service import create_incident

    with live_server.app.app_context():
        incident = create_incident(incident_data(title="Borrador compartido"), find_user(email_of("monitor")))
        ref = incident.ref
        db.session.remove()
    return ref


def save(page) -> None:
    with page.expect_navigation():
        page.click("#save-draft")


def test_the_second_saver_chooses_what_to_keep(page, browser, live_server, traffic, draft):
    login(page, "monitor")
    use_english(page)
    page.goto(f"/incidents/{draft}/edit")  # the monitor opens the form…

    other = _open_context(browser, live_server, traffic)
    reviewer = other.new_page()
    login(reviewer, "reviewer")
    reviewer.goto(f"/incidents/{draft}/edit")  # …the reviewer changes the title and the description
    reviewer.fill("#title", "Título del revisor")
    reviewer.fill("#description", "Descripción del revisor")
    save(reviewer)
    other.close()

    page.fill("#title", "Título de la monitora")  # the monitor changed the title too
    page.select_option("#confidence", "confirmed")
    save(page)
    assert page.locator("#conflict").is_visible()
    assert page.locator("#merge tbody tr").count() == 1  # only the title: both changed it
    assert page.input_value("#description") == "Descripción del revisor"  # theirs, taken
    assert page.input_value("#confidence") == "confirmed"  # yours, kept

    save(page)  # nothing chosen: the same choice again, and nothing is saved
    assert page.locator("#conflict").is_visible()
    page.check("#merge input[value=theirs]")
    save(page)
    assert urlsplit(page.url).path == f"/incidents/{draft}"
    assert "Título del revisor" in page.inner_text("h1")
    page.goto(f"/incidents/{draft}/edit")
    assert page.input_value("#description") == "Descripción del revisor"
    assert page.input_value("#confidence") == "confirmed"


def test_the_form_warns_as_a_name_is_typed_into_the_title(page, draft):
    login(page, "monitor")
    use_english(page)
    page.goto(f"/incidents/{draft}/edit")
    warning = page.locator("#exposure-warning")
    page.select_option("#visibility", "partners")
    page.fill("#victims-0-name", "Rosa Yupanqui")
    page.fill("#title", "Threats against Yupanqui")
    assert warning.is_visible() and "Rosa Yupanqui" in warning.inner_text()
    page.select_option("#visibility", "internal")  # only staff see it: nothing to warn about
    assert warning.is_hidden()
    page.select_option("#visibility", "partners")
    page.fill("#title", "Threats against a journalist")
    assert warning.is_hidden()
