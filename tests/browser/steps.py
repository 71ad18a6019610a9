"""Steps the browser tests share: logging in and out, the language switch, form rows."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.support import PASSWORD


def email_of(role: str) -> str:
    return f"{role}@example.org"


def login(page, role: str, *, expect_path: str | None = None) -> None:
    """Log in through the login page (the current one if it is already open)."""
    if "/auth/login" not in page.url:
        page.goto("/auth/login")
    page.fill("#email", email_of(role))
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/auth/login" not in page.url, "login failed"
    if expect_path is not None:
        assert urlsplit(page.url).path == expect_path


def logout(page) -> None:
    with page.expect_navigation():
        page.click("#logout")
    assert urlsplit(page.url).path == "/auth/login"


def use_english(page) -> None:
    """Switch the interface to English with the header's language switch (a POST)."""
    if page.get_attribute("html", "lang") == "en":
        return
    with page.expect_navigation():
        page.click(".lang-switch button[value=en]")
    assert page.get_attribute("html", "lang") == "en"


def open_violation(page, code: str) -> None:
    """Open the <details> group holding a violation's checkbox and tick it."""
    group = page.locator("details.violation-group", has=page.locator(f"input[name=violations][value={code}]"))
    box = group.locator(f"input[name=violations][value={code}]")
    if group.get_attribute("open") is None:
        group.locator("summary").click()
    box.check()


def add_row(page, kind: str) -> int:
    """Click the block's "Add …" button; check the new row is named as WTForms expects
    (`victims-1-group`), and return its index."""
    rows = page.locator(f"[data-rows={kind}] .row-list .row-item")
    before = rows.count()
    page.click(f"[data-rows={kind}] [data-add-row]")
    assert rows.count() == before + 1, f"no {kind} row was added"
    names = rows.nth(before).evaluate("row => Array.from(row.querySelectorAll('[name]'), el => el.name)")
    indexes = {m.group(1) for m in map(re.compile(rf"^{kind}-(\d+)-[a-z_]+$").match, names) if m}
    assert names and len(indexes) == 1 and all(re.match(rf"^{kind}-\d+-", n) for n in names), (
        f"the added {kind} row's fields are misnamed, so the server ignores them: {names}"
    )
    return int(indexes.pop())
