"""A victim row's key field finds a record of the register of persons at risk
(static/js/person-picker.js): typing part of a name offers the record, picking it (with the
keyboard or the mouse) fills in its key, and saving links the row; a key typed by hand works as
well. The words typed go to the server in POST bodies only, and nothing typed lies in the
browser's storage."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.browser.steps import add_row, email_of, login, open_violation, use_english

pytestmark = pytest.mark.browser

NAME = "Rosa Buscable Ficticia"
KEY = "DEF-7301"
TYPED_KEY = "DEF-7302"  # no record has it: saving adds one


@pytest.fixture
def registered(live_server):
    """A record the monitor added to the register."""
    from tracker.extensions import db
    from tracker.models import User
    from tracker.persons.service import PersonData, by_key, create_person

    with live_server.app.app_context():
        if by_key(KEY) is None:
            monitor = db.session.scalar(sa.select(User).where(User.email == email_of("monitor")))
            create_person(PersonData(key=KEY, name=NAME, kind="person"), monitor)
            db.session.commit()
        db.session.remove()


def stored_keys(live_server, ref: str) -> list[str]:
    from tracker.extensions import db
    from tracker.models import Incident

    with live_server.app.app_context():
        incident = db.session.scalar(sa.select(Incident).where(Incident.ref == ref))
        keys = [v.person.key if v.person else "" for v in incident.victims]
        db.session.remove()
    return keys


def browser_storage(page) -> str:
    return page.evaluate("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")


def matches(page, index: int):
    return page.locator(f"#victims-{index}-person ~ .person-matches [role=option]")


def test_typing_a_name_offers_the_person_and_picking_fills_the_key(page, live_server, registered):
    sent = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data or "")))
    login(page, "monitor")
    use_english(page)
    page.goto("/incidents/new")
    page.fill("#title", "Seguimiento a defensora en Tambopata")
    page.fill("#date", "2024-05-14")
    open_violation(page, "threat")
    page.select_option("#sources-0-kind", "testimony")
    page.select_option("#victims-0-group", "environmental_defender")

    # the keyboard: type part of the name, go down to the match, Enter picks it (and does not save)
    page.locator("#victims-0-person").press_sequentially("buscable", delay=30)
    option = matches(page, 0).first
    option.wait_for()
    assert NAME in option.inner_text() and KEY in option.inner_text()
    assert page.get_attribute("#victims-0-person", "aria-expanded") == "true"
    page.press("#victims-0-person", "ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    page.press("#victims-0-person", "Enter")
    assert page.input_value("#victims-0-person") == KEY
    assert matches(page, 0).count() == 0 and "/incidents/new" in page.url

    # the mouse, in a row added in the browser; then a new key typed by hand replaces the pick
    add_row(page, "victims")
    page.select_option("#victims-1-group", "environmental_defender")
    page.locator("#victims-1-person").press_sequentially("Rosa Bus", delay=30)
    matches(page, 1).first.click()
    assert page.input_value("#victims-1-person") == KEY
    page.fill("#victims-1-person", "")
    page.locator("#victims-1-person").press_sequentially(TYPED_KEY.lower(), delay=30)
    page.wait_for_timeout(600)  # the search for what was typed has been answered: nothing matches
    assert matches(page, 1).count() == 0
    assert page.input_value("#victims-1-person") == TYPED_KEY.lower()

    searches = [(method, url, body) for method, url, body in sent if "/persons/search" in url]
    assert searches and all(method == "POST" and url.endswith("/persons/search") for method, url, _ in searches)
    assert any('"buscable"' in body for _, _, body in searches)
    for typed in ("buscable", "Rosa", "Bus", KEY, TYPED_KEY, TYPED_KEY.lower()):
        assert not [url for _, url, _ in sent if typed in url], f"{typed!r} went into an address"
        assert typed not in browser_storage(page), f"{typed!r} lies in the browser's storage"

    with page.expect_navigation():
        page.click("#save-draft")
    assert re.search(r"/incidents/PE-2024-\d+\?saved=1$", page.url), page.url
    ref = page.inner_text("h1 .ref").strip()
    assert stored_keys(live_server, ref) == [KEY, TYPED_KEY]
    victims = page.inner_text("#victims")
    assert KEY in victims and TYPED_KEY in victims
    assert page.locator(f"#victims a:text-is('{KEY}')").get_attribute("href").startswith("/persons/")
    for typed in (NAME, KEY, TYPED_KEY):
        assert typed not in browser_storage(page)


CHECK = """() => trackerValidate.check(
  document.getElementById("incident-form"), JSON.parse(document.getElementById("device-rules").textContent)
).map(p => p.id + " " + p.label + ": " + p.message)"""


def test_the_phone_checks_a_requests_dates_as_the_server_does(page):
    login(page, "monitor")
    use_english(page)
    page.goto("/incidents/new")
    page.fill("#title", "Seguimiento")
    page.fill("#date", "2024-05-14")
    add_row(page, "requests")
    page.fill("#requests-0-filed_on", "2024-06-01")
    page.fill("#requests-0-decided_on", "2024-05-20")  # before it was filed, and still pending
    page.check("#requests-0-measures-0")
    page.fill("#requests-0-measures_end", "2024-07-01")
    assert page.evaluate(CHECK) == [
        "requests-0-decided_on Protection requests 1: Decided on: A pending request has no decision date: "
        "choose the decision, or clear the date.",
        "requests-0-measures Protection requests 1: Measures granted: "
        "Measures are recorded only for a granted request.",
        "requests-0-measures_end Protection requests 1: Measures end on: "
        "An end date for measures goes only with a granted request.",
    ]
    page.select_option("#requests-0-decision", "granted")
    assert page.evaluate(CHECK) == [
        "requests-0-decided_on Protection requests 1: Decided on: "
        "The decision date is before the date the request was filed."
    ]
    page.fill("#requests-0-decided_on", "2024-06-09")
    assert page.evaluate(CHECK) == []
    page.fill("#requests-0-filed_on", "")  # a request with no filing date is not blank, and needs one
    assert page.evaluate(CHECK) == [
        "requests-0-filed_on Protection requests 1: Filed on: Enter the date the request was filed."
    ]
