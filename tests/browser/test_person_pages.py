"""In Chromium, with CSRF on as in production: a reviewer adds two records of one person through
the register's form, merges them after seeing both side by side, and undoes the merge; no page
of the register breaks the Content-Security-Policy (the `context` fixture fails on a refusal)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.steps import login, use_english

pytestmark = pytest.mark.browser


def add_record(page, key: str, name: str) -> str:
    """The new record's page address (/persons/<number>)."""
    page.goto("/persons/new")
    page.fill("#key", key)
    page.fill("#name", name)
    page.check("input[name=groups][value=environmental_defender]")
    page.fill("#admin1", "Loreto")
    with page.expect_navigation():
        page.click("#save-person")
    path = urlsplit(page.url).path
    assert re.fullmatch(r"/persons/\d+", path), path
    return path


def test_a_reviewer_adds_merges_and_unmerges_two_records(page):
    login(page, "reviewer")
    use_english(page)
    kept = add_record(page, "brw-0001", "Rosa Navegadora")
    twin = add_record(page, "BRW-0002", "Rosa N.")
    assert page.locator("h1").inner_text() == "BRW-0002 Rosa N."
    assert "Environmental defender" in page.locator("#person-facts").inner_text()

    page.fill("#into", "brw-0001")
    page.click("#merge button[type=submit]")
    page.wait_for_selector("#confirm-merge")
    assert "Rosa Navegadora" in page.locator("#merge-records").inner_text()
    with page.expect_navigation():
        page.click("#confirm-merge")
    assert urlsplit(page.url).path == kept
    assert "BRW-0002 was merged into this record" in page.locator("#person-history").inner_text()

    page.goto(twin)
    assert "This record was merged into BRW-0001" in page.locator("#merged-note").inner_text()
    with page.expect_navigation():
        page.click("#unmerge")
    assert urlsplit(page.url).path == twin
    assert page.locator("#merged-note").count() == 0
    assert "Merge undone" in page.locator("#person-history").inner_text()

    page.goto("/persons/")
    listed = page.locator("#persons tbody tr").all_inner_texts()
    assert any("BRW-0001" in row for row in listed) and any("BRW-0002" in row for row in listed)
