"""Nothing a monitor types is lost: not after a validation error, not after the session ends,
not when the database cannot be reached as they save; and nothing typed lies readable in the
browser meanwhile (the choices are kept in the tab, the rest in the sealed outbox)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from tests.browser.steps import add_row, login, open_violation, use_english

pytestmark = pytest.mark.browser

TEXT_VALUES = {
    "#title": "Community radio closed in Juliaca",
    "#description": "Police sealed the station after a report on the mine.",
    "#date": "2024-03-02",
    "#longitude": "-70.13",
    "#victims-0-name": "Rosa Inventada",
    "#victims-0-count": "1",
    "#victims-1-organisation": "Radio Comunitaria Ficticia",
    "#victims-1-count": "3",
    "#sources-0-title": "Station statement",
    "#sources-0-url": "https://radio.example.org/statement",
    "#sources-1-title": "Phone interview with the director",
}
SELECT_VALUES = {
    "#victims-0-group": "journalist",
    "#victims-1-group": "organisation",
    "#sources-0-kind": "media",
    "#sources-1-kind": "testimony",
}
VIOLATIONS = ("media_closure", "judicial_harassment")


def fill_incident(page) -> None:
    add_row(page, "victims")
    add_row(page, "sources")
    for selector, value in SELECT_VALUES.items():
        page.select_option(selector, value)
    for selector, value in TEXT_VALUES.items():
        page.fill(selector, value)
    page.check("#victims-0-indigenous")
    for code in VIOLATIONS:
        open_violation(page, code)


def test_invalid_value_keeps_everything_typed(page):
    login(page, "monitor")
    use_english(page)
    page.goto("/incidents/new")
    fill_incident(page)
    page.fill("#latitude", "123")

    with page.expect_navigation() as nav:
        page.click("#save-draft")
    assert nav.value.status == 400
    assert urlsplit(page.url).path == "/incidents/new"
    assert page.locator("#form-errors").is_visible()
    latitude_field = page.locator(".field", has=page.locator("#latitude"))
    assert "has-error" in latitude_field.get_attribute("class")
    assert "Latitude must be between -90 and 90." in latitude_field.locator(".error").inner_text()

    assert page.input_value("#latitude") == "123"
    for selector, value in TEXT_VALUES.items():
        assert page.input_value(selector) == value, selector
    for selector, value in SELECT_VALUES.items():
        assert page.input_value(selector) == value, selector
    assert page.is_checked("#victims-0-indigenous")
    assert page.locator("[data-rows=victims] .row-item").count() == 2
    assert page.locator("[data-rows=sources] .row-item").count() == 2
    checked = page.eval_on_selector_all("input[name=violations]:checked", "els => els.map(e => e.value)")
    assert sorted(checked) == sorted(VIOLATIONS)
    for code in VIOLATIONS:  # the groups holding ticked violations are open, so they are seen
        assert page.locator(f"input[name=violations][value={code}]").is_visible()
    assert page.locator("#restored-note").is_hidden()  # the server's copy, not the browser's


def stored_victims(live_server, title: str) -> list[list[str]]:
    """The victims' names of each incident stored under `title`."""
    from tracker.extensions import db
    from tracker.models import Incident

    with live_server.app.app_context():
        found = db.session.scalars(sa.select(Incident).where(Incident.title == title)).all()
        names = [[v.name for v in incident.victims] for incident in found]
        db.session.remove()
    return names


def fill_leader_threatened(page, title: str) -> None:
    """A leader and four relatives threatened: text, choices, a row added, a violation."""
    page.fill("#title", title)
    page.fill("#date", "2024-03-02")
    page.select_option("#victims-0-group", "community_leader")
    page.fill("#victims-0-name", "Juan Supuesto")
    add_row(page, "victims")
    page.select_option("#victims-1-group", "family_member")
    page.fill("#victims-1-count", "4")
    open_violation(page, "threat")


def test_a_reload_brings_back_the_choices_but_keeps_no_typed_text(page):
    login(page, "monitor")
    page.goto("/incidents/new")
    fill_leader_threatened(page, "Leader threatened in Ilave")
    assert "Juan Supuesto" not in page.evaluate("JSON.stringify(sessionStorage)")

    page.reload()
    assert page.locator("#restored-note").is_visible()
    assert page.input_value("#victims-0-group") == "community_leader"
    assert page.input_value("#victims-1-group") == "family_member"
    assert page.input_value("#victims-1-count") == "4"
    assert page.is_checked("input[name=violations][value=threat]")
    assert page.input_value("#title") == "" and page.input_value("#victims-0-name") == ""
    assert page.input_value("#date") == "2024-03-02"

    with page.expect_navigation():  # not wanted after all: the form as the server has it
        page.click("#discard-kept")
    assert page.locator("#restored-note").is_hidden()
    assert page.input_value("#victims-0-group") == ""


def test_a_save_after_the_session_ended_waits_sealed_and_is_stored_after_login(page, context, live_server):
    login(page, "monitor")
    page.goto("/incidents/new")
    title = "Leader threatened in Ilave after the session ended"
    fill_leader_threatened(page, title)

    context.clear_cookies()  # the session ends while the form is open
    with page.expect_navigation():
        page.click("#save-draft")
    page.wait_for_load_state()
    url = urlsplit(page.url)
    assert url.path == "/auth/login", page.url
    assert parse_qs(url.query).get("next") == ["/offline/outbox"]
    assert stored_victims(live_server, title) == []

    login(page, "monitor", expect_path="/offline/outbox")
    page.wait_for_selector("#queued-note:not([hidden])")
    page.wait_for_selector("#outbox-empty:not([hidden])")
    assert stored_victims(live_server, title) == [["Juan Supuesto", ""]]


def test_a_save_while_the_database_is_unreachable_loses_nothing(page, monkeypatch, live_server):
    login(page, "monitor")
    use_english(page)
    page.goto("/incidents/new")
    title = "Radio closed while the database was down"
    page.fill("#title", title)
    page.fill("#description", "Typed before the outage.")
    page.fill("#date", "2024-03-02")
    page.select_option("#victims-0-group", "journalist")
    page.fill("#victims-0-name", "Rosa Inventada")

    def unreachable(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT INTO incidents", {}, ConnectionRefusedError())

    monkeypatch.setattr("tracker.incidents.service.allocate_refs", unreachable)  # the live server runs in-process
    with page.expect_navigation() as nav:
        page.click("#save-draft")
    assert nav.value.status == 503
    assert "The database cannot be reached just now" in page.inner_text("main")
    assert stored_victims(live_server, title) == []
    monkeypatch.undo()

    # The phone kept a sealed copy of the save: once the database answers, it is stored, once.
    page.goto("/offline/outbox")
    page.wait_for_selector("#outbox-empty:not([hidden])")
    assert stored_victims(live_server, title) == [["Rosa Inventada"]]
    page.goto("/incidents/new")
    assert page.locator("#restored-note").is_hidden()
