"""A reviewer's first login with a second factor, in Chromium: sent to enrolment, scans (here:
reads) the key, confirms a code, gets the recovery codes; the next login asks for a code."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pyotp
import pytest

from tests.browser.steps import logout
from tests.support import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "new-reviewer@example.org"


@pytest.fixture
def reviewer_without_factor(live_server):
    """A new reviewer, on a server where reviewers must have a second factor (the default)."""
    from tracker.auth.service import create_user
    from tracker.extensions import db

    app = live_server.app
    with app.app_context():
        create_user(EMAIL, "reviewer", PASSWORD, name="New Reviewer")
        db.session.remove()
    app.config["REQUIRE_2FA_ROLES"] = ("admin", "reviewer")
    yield EMAIL
    app.config["REQUIRE_2FA_ROLES"] = ()


def path_of(page) -> str:
    return urlsplit(page.url).path


def submit(page) -> None:
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def type_password(page) -> None:
    page.goto("/auth/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    submit(page)


def test_enrolment_then_login_with_a_code(page, reviewer_without_factor):
    type_password(page)
    assert path_of(page) == "/account/second-factor"  # nothing else until enrolled
    page.goto("/incidents/")
    assert path_of(page) == "/account/second-factor"
    assert page.locator("#enrolment-qr svg").is_visible()
    secret = page.inner_text("#totp-secret").replace(" ", "")

    page.fill("#code", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    submit(page)
    assert path_of(page) == "/account/second-factor" and page.locator(".field.has-error #code").count() == 1

    page.fill("#code", pyotp.TOTP(secret).now())
    submit(page)
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    with page.expect_navigation():
        page.click("main a.button.primary")
    page.goto("/incidents/")
    assert path_of(page) == "/incidents/"  # enrolled: the tracker opens

    logout(page)
    type_password(page)
    assert path_of(page) == "/auth/login/code"
    assert page.get_attribute("#code", "autocomplete") == "one-time-code"
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))  # the enrolment spent this step's code
    submit(page)
    assert path_of(page) == "/incidents/"  # the home page, signed in
