"""The Content-Security-Policy (no inline styles, scripts only with the response's nonce) holds
on the main pages in Chromium: nothing on them is refused, so nothing is silently missing.
A page's refusals are caught as `securitypolicyviolation` events and, through the fixtures,
as console errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser.steps import email_of, login
from tests.factories import incident_data, submit_incident

pytestmark = pytest.mark.browser

TITLE = "Cspprueba Iquitos"
YEAR = "from=2024-01-01&to=2024-12-31"
# Listens before any of the page's own scripts run, so a refusal during loading counts too.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective}: ${event.blockedURI || "inline"} (${where})`);
});
"""


@pytest.fixture(scope="module")
def published(live_server) -> str:
    """A public, exactly placed incident, so lists, maps and the report have something to draw."""
    from tracker.extensions import db
    from tracker.incidents.service import change_status
    from tracker.models import User

    with live_server.app.app_context():
        monitor, reviewer = (
            db.session.scalar(sa.select(User).where(User.email == email_of(role))) for role in ("monitor", "reviewer")
        )
        incident = submit_incident(
            incident_data(
                title=TITLE,
                violations=["killing"],
                killed=1,
                latitude=-3.75,
                longitude=-73.25,
                visibility="public",
                public_location="exact",
            ),
            monitor,
        )
        for status in ("verified", "published"):
            change_status(incident, status, reviewer, "ok")
        ref = incident.ref
        db.session.remove()
    return ref


def violations_on(page, path: str, ready: str) -> list[str]:
    page.goto(path)
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__violations")


def test_main_pages_break_no_rule_of_the_policy(page, published):
    page.add_init_script(RECORD_VIOLATIONS)
    assert violations_on(page, "/public/map", "#incident-map[data-state=loaded]") == []
    login(page, "reviewer")
    pages = (
        ("/incidents/", f"text={TITLE}"),
        (f"/incidents/{published}", f"text={TITLE}"),
        ("/incidents/new", "form"),
        ("/map", "#incident-map[data-state=loaded]"),
        (f"/reports/?{YEAR}", ".report-section"),
    )
    for path, ready in pages:
        assert violations_on(page, path, ready) == [], path
    # the report page's styles come from its stylesheet: the grid of breakdowns is laid out
    display = page.evaluate("getComputedStyle(document.querySelector('.breakdowns')).display")
    assert display == "grid"
