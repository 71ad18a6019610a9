"""Browser tests: headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright
against a live server of the real application.

One server per test session, on a SQLite file in a temporary folder (the `database_url`
fixture is not used here, so these tests run once, not per database backend). CSRF stays
on, exactly as in production. Every request a page makes is recorded; a request to any
host other than 127.0.0.1 is blocked and fails the test (TILE_URL is "" so no map tiles).

Without Chromium or Playwright the tests are skipped, or fail under TRACKER_REQUIRE_ALL=1.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.steps import email_of
from tests.support import PASSWORD, ROLES, SHARED_GEO, make_app, missing
from tracker.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL_HOST = "127.0.0.1"
LEAFLET = PROJECT_ROOT / "static" / "vendor" / "leaflet" / "leaflet.js"
TIMEOUT_MS = 10_000
PHONE = {"width": 390, "height": 844}  # a common phone, in CSS pixels

BOUNDARIES = (  # file, level, name field, code field
    ("peru_departamental_simple.geojson", "admin1", "NOMBDEP", "FIRST_IDDP"),
    ("peru_provincial_simple.geojson", "admin2", "NOMBPROV", "FIRST_IDPR"),
    ("peru_distrital_simple.geojson", "admin3", "NOMBDIST", "IDDIST"),
)


@dataclass
class LiveServer:
    url: str
    app: object


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from werkzeug.serving import make_server

    from tracker.auth.service import create_user
    from tracker.extensions import db
    from tracker.regions.service import import_boundaries

    if not SHARED_GEO.is_dir():
        pytest.fail(f"boundary test data not found at {SHARED_GEO}")
    if not LEAFLET.is_file():
        pytest.fail(f"{LEAFLET} is missing: run `make vendor` first")
    root = tmp_path_factory.mktemp("browser")
    app = make_app(f"sqlite:///{root / 'browser.db'}", root / "instance", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        for role in ROLES:
            create_user(email_of(role), role, PASSWORD, name=role.title())
        for filename, level, name_field, code_field in BOUNDARIES:
            import_boundaries(SHARED_GEO / filename, level, name_field, code_field)
        db.session.remove()

    server = make_server(LOCAL_HOST, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://{LOCAL_HOST}:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        missing(f"Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:  # noqa: BLE001 - a Chromium that cannot start is a missing Chromium
        playwright.stop()
        missing(f"a working Chromium at {CHROMIUM} ({exc.__class__.__name__}: {str(exc)[:200]})")
    yield browser
    browser.close()
    playwright.stop()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname == LOCAL_HOST


@dataclass
class Traffic:
    """What the pages of one browser context asked for, and what went wrong in them."""

    requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    @property
    def foreign(self) -> list[str]:
        return [url for url in self.requests if not is_local(url)]

    def check(self) -> None:
        assert not self.foreign, f"requests left 127.0.0.1: {self.foreign}"
        assert not self.page_errors, f"JavaScript errors: {self.page_errors}"
        csp = [m for m in self.console_errors if "Content Security Policy" in m]
        assert not csp, f"Content-Security-Policy violations: {csp}"


def _open_context(browser, live_server, traffic: Traffic, **options):
    context = browser.new_context(
        base_url=live_server.url,
        locale="es-PE",
        viewport=options.pop("viewport", {"width": 1280, "height": 900}),
        **options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.on("request", lambda request: traffic.requests.append(request.url))
    # Nothing leaves the machine even if a page tries: foreign requests are aborted (and
    # still recorded above, so the test fails).
    context.route(lambda url: not is_local(url), lambda route: route.abort())

    def watch(page):
        page.on("pageerror", lambda exc: traffic.page_errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and traffic.console_errors.append(msg.text))

    context.on("page", watch)
    return context


@pytest.fixture
def traffic():
    return Traffic()


@pytest.fixture
def context(browser, live_server, traffic):
    context = _open_context(browser, live_server, traffic)
    yield context
    context.close()
    traffic.check()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def phone_context(browser, live_server, traffic):
    """Opens phone-sized browser contexts (a mobile browser with touch, two device pixels a
    CSS pixel), `viewport` wide, with Playwright's other context `options`; they are closed
    after the test."""
    opened = []

    def open_phone(viewport=PHONE, **options):
        context = _open_context(
            browser,
            live_server,
            traffic,
            viewport=viewport,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            **options,
        )
        opened.append(context)
        return context

    yield open_phone
    for context in opened:
        context.close()
    traffic.check()


@pytest.fixture
def phone_page(phone_context):
    """A page on a small phone (375 px wide)."""
    return phone_context({"width": 375, "height": 740}).new_page()
