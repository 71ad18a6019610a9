"""Recording with no signal, in Chromium, with the server really stopped (a browser's offline
switch does not reach service workers): the form opens again from the service worker, a save
waits sealed in IndexedDB, nothing typed lies readable in the browser's storage, and once the
server is back the record arrives once, with its victim's name. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.browser.conftest import LOCAL_HOST, SHARED_GEO, Traffic, _open_context
from tests.browser.steps import email_of, login, open_violation
from tests.served import free_port
from tests.support import PASSWORD, ROLES, import_departments, make_app, schema_created

pytestmark = pytest.mark.browser

TYPED = {  # what the monitor types: none of it may lie readable on the phone
    "title": "Hostigamiento en la comunidad Nuevo Amanecer Ficticio",
    "description": "Dirigente ficticia seguida por desconocidos",
    "place": "Caserío Ficticio Alto",
    "victims-0-name": "Rosa Ficticia Quispe",
    "victims-0-organisation": "Federación Nativa Ficticia",
    "sources-0-title": "Testimonio reservado ficticio",
}
# Everything this origin keeps in the browser: IndexedDB, both web storages, Cache Storage.
STORED = """async () => {
  const out = [];
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, fail) => {
      const r = indexedDB.open(info.name);
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    for (const name of db.objectStoreNames) {
      const rows = await new Promise(ok => {
        const r = db.transaction(name).objectStore(name).getAll();
        r.onsuccess = () => ok(r.result);
      });
      out.push(JSON.stringify(rows));
    }
    db.close();
  }
  out.push(JSON.stringify(localStorage), JSON.stringify(sessionStorage));
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) out.push(request.url, await (await cache.match(request)).text());
  }
  return out.join("\\n");
}"""
OUTBOX = """async () => (await idb.openDB("tracker-outbox", 1)).getAll("records")"""
KEPT = """async path => {
  for (const name of await caches.keys())
    if (await (await caches.open(name)).match(path)) return true;
  return false;
}"""


class StoppableServer:
    """The app on a port of its own that can be stopped and started again: stopped, nothing
    listens there and every request the browser makes is refused."""

    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.url = f"http://{LOCAL_HOST}:{self.port}"
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from werkzeug.serving import make_server

        self._server = make_server(LOCAL_HOST, self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def server(database_url, tmp_path):
    if not SHARED_GEO.is_dir():
        pytest.fail(f"boundary test data not found at {SHARED_GEO}")
    app = make_app(database_url, tmp_path / "instance", WTF_CSRF_ENABLED=True)
    with schema_created(app):
        from tracker.auth.service import create_user

        for role in ROLES:
            create_user(email_of(role), role, PASSWORD, name=role.title())
        import_departments()
        server = StoppableServer(app)
        server.start()
        try:
            yield server
        finally:
            if server._server is not None:
                try:
                    server.stop()
                except OSError:
                    pass


@pytest.fixture
def open_context(browser, server):
    traffic = Traffic()
    opened = []

    def open_one():
        context = _open_context(browser, server, traffic)
        opened.append(context)
        return context

    yield open_one
    for context in opened:
        context.close()
    traffic.page_errors[:] = [e for e in traffic.page_errors if "Failed to fetch" not in e]
    traffic.check()


def stored_incidents(app):
    from tracker.extensions import db
    from tracker.models import Incident

    with app.app_context():
        rows = db.session.scalars(sa.select(Incident)).all()
        found = [(i.ref, i.title, i.status, [v.name for v in i.victims]) for i in rows]
        db.session.remove()
    return found


def eventually(page, script: str, arg=None, seconds: float = 10) -> None:
    """Wait until the page's (async) `script` answers true; wait_for_function takes a promise
    for an answer."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {script}"
        page.wait_for_timeout(100)


def ready_for_no_signal(page) -> None:
    """The form opened once, signed in: wait until the service worker holds it and the outlines."""
    page.goto("/incidents/new")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for path in ("/incidents/new", "/offline/outbox", "/incidents/outlines.geojson"):
        eventually(page, KEPT, path)


def form_with_the_server_stopped(server, context):
    """A monitor's page of the incident form, opened once online and then reloaded with the
    server stopped (from the service worker)."""
    page = context.new_page()
    login(page, "monitor")
    ready_for_no_signal(page)
    server.stop()
    page.reload()
    return page


def fill(page, **typed) -> None:
    values = TYPED | typed
    for name, value in values.items():
        page.fill(f"[name='{name}']", value)
    page.fill("#date", "2024-06-02")
    page.fill("#latitude", "-12.59")
    page.fill("#longitude", "-69.19")
    open_violation(page, "threat")
    page.select_option("[name='victims-0-group']", "indigenous_leader")
    page.select_option("[name='sources-0-kind']", "testimony")


def save_on_the_phone(page, button="#save-submit") -> None:
    with page.expect_navigation():
        page.click(button)
    assert urlsplit(page.url).path == "/offline/outbox"
    page.wait_for_selector("#queued-note:not([hidden])")


def test_a_record_saved_with_the_server_stopped_arrives_once_with_its_victim(server, open_context):
    context = open_context()
    page = form_with_the_server_stopped(server, context)
    # The form opens again from the service worker, with the outlines for the picker.
    page.wait_for_selector("#location-map .leaflet-outlines-pane path")
    fill(page)
    stored = page.evaluate(STORED)
    assert not [value for value in TYPED.values() if value in stored], "typed text kept readable while typing"
    save_on_the_phone(page)
    row = page.locator("#outbox-table tbody tr")
    assert row.count() == 1 and "2024-06-02" in row.inner_text() and "Amenaza" in row.inner_text()

    # The tab closed and opened again, the server still stopped: the record still waits.
    page.close()
    page = context.new_page()
    page.goto("/incidents/new")
    assert page.locator("#incident-form").is_visible()
    page.goto("/offline/outbox")
    page.wait_for_selector("#outbox-table tbody tr")
    (record,) = page.evaluate(OUTBOX)
    stored = page.evaluate(STORED)
    leaked = [value for value in TYPED.values() if value in stored]
    assert not leaked, f"readable in the browser's storage: {leaked}"

    # The server is back: "Send now" stores it, once, with the victim's name.
    server.start()
    page.click("#send-now")
    page.wait_for_selector("#outbox-empty:not([hidden])")
    ((ref, title, status, names),) = stored_incidents(server.app)
    assert (title, status, names) == (TYPED["title"], "submitted", [TYPED["victims-0-name"]])
    assert page.get_attribute("#outbox-status a", "href") == f"/incidents/{ref}"  # the monitor is told where it is

    # The same request replayed, and from two requests at once: still one incident.
    body = json.dumps({"records": [record["envelope"]]})
    replay = """async body => Promise.all([1, 2, 3].map(() => fetch("/offline/sync", {method: "POST",
        headers: {"Content-Type": "application/json", "X-Tracker-Sync": "1"}, body}).then(r => r.json())))"""
    answers = page.evaluate(replay, body)
    assert {a["results"][0]["ref"] for a in answers} == {ref}
    assert len(stored_incidents(server.app)) == 1


def test_two_tabs_sending_the_same_outbox_store_each_record_once(server, open_context):
    context = open_context()
    first = form_with_the_server_stopped(server, context)
    for n in range(3):
        fill(first, title=f"Registro sin señal {n}")
        save_on_the_phone(first, "#save-draft")
        first.goto("/incidents/new")
    second = context.new_page()
    second.goto("/offline/outbox")
    assert second.locator("#outbox-table tbody tr").count() == 3
    server.start()
    first.goto("/offline/outbox")
    for page in (first, second):  # both at once; neither waits for the other's answer
        page.evaluate("() => { window.sent = trackerSync.sendNow(); }")
    for page in (first, second):
        page.evaluate("() => window.sent")
        page.wait_for_selector("#outbox-empty:not([hidden])")
    titles = sorted(title for _ref, title, _status, _names in stored_incidents(server.app))
    assert titles == [f"Registro sin señal {n}" for n in range(3)]


def test_the_phone_checks_the_form_before_a_record_waits(server, open_context):
    page = form_with_the_server_stopped(server, open_context())
    fill(page, title="")
    page.fill("#latitude", "-69.19")
    page.fill("#longitude", "-12.59")
    page.fill("#end_date", "2024-01-01")
    page.click("#save-submit")
    errors = page.locator("#device-errors")
    errors.wait_for()
    text = errors.inner_text()
    for expected in ("Título", "invertidas", "fecha de fin"):
        assert expected.lower() in text.lower(), text
    assert page.evaluate(OUTBOX) == []
    assert urlsplit(page.url).path == "/incidents/new"


def test_a_session_that_ended_keeps_the_outbox_until_the_next_login(server, open_context):
    page = form_with_the_server_stopped(server, open_context())
    fill(page)
    save_on_the_phone(page)
    end_sessions(server.app, "monitor")
    server.start()
    page.click("#send-now")
    page.wait_for_selector("#outbox-status:not([hidden])")
    assert len(page.evaluate(OUTBOX)) == 1 and stored_incidents(server.app) == []
    page.goto("/auth/login")
    login(page, "monitor")
    eventually(page, "async () => (await trackerOutbox.all()).length === 0")
    assert [title for _r, title, _s, _n in stored_incidents(server.app)] == [TYPED["title"]]


def end_sessions(app, role: str) -> None:
    from tracker.auth import sessions
    from tracker.extensions import db
    from tracker.models import User

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email_of(role)))
        sessions.end_all(user)
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("answer", ["dismiss", "accept"])
def test_logout_asks_before_unsent_records_go_and_then_leaves_nothing(server, open_context, answer):
    page = form_with_the_server_stopped(server, open_context())
    fill(page)
    save_on_the_phone(page)
    # typed by another account on this shared phone: it waits for that account, unsent
    page.evaluate(
        """async () => { const db = await idb.openDB("tracker-outbox", 1);
        const [record] = await db.getAll("records"); record.owner = 999; await db.put("records", record); }"""
    )
    server.start()
    page.goto("/offline/outbox")
    page.wait_for_selector("#outbox-others:not([hidden])")
    assert page.is_visible("#outbox-empty")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), getattr(dialog, answer)()))
    page.click("#logout")
    if answer == "dismiss":
        page.wait_for_timeout(500)
        assert "1" in asked[0] and urlsplit(page.url).path == "/offline/outbox"
        assert len(page.evaluate(OUTBOX)) == 1
        return
    page.wait_for_url("**/auth/login*")
    assert page.evaluate("indexedDB.databases().then(found => found.map(d => d.name))") == []
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(found => found.length)") == 0
    assert stored_incidents(server.app) == []


def test_a_server_whose_database_is_down_counts_as_no_server(server, open_context, monkeypatch):
    page = open_context().new_page()
    login(page, "monitor")
    ready_for_no_signal(page)

    def unreachable(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError())

    monkeypatch.setattr("tracker.auth.sessions.load", unreachable)  # every signed-in request: 503
    page.goto("/incidents/new")  # the kept form, not the error page
    fill(page)
    save_on_the_phone(page)
    monkeypatch.undo()
    page.click("#send-now")
    page.wait_for_selector("#outbox-empty:not([hidden])")
    assert [title for _r, title, _s, _n in stored_incidents(server.app)] == [TYPED["title"]]


def test_a_full_phone_is_said_before_typing_and_a_record_it_cannot_keep_stays_in_the_form(server, open_context):
    context = open_context()
    # The browser reports less than 5 MB left, and then refuses to store more.
    context.add_init_script(
        """if (typeof window !== "undefined" && navigator.storage) {  // our pages, not the worker or about:blank
          navigator.storage.estimate = async () => ({ quota: 50 * 1048576, usage: 49 * 1048576 });
          addEventListener("DOMContentLoaded", () => { if (window.trackerOutbox) trackerOutbox.add = async () => {
            throw new DOMException("The quota has been exceeded.", "QuotaExceededError"); }; });
        }"""
    )
    page = form_with_the_server_stopped(server, context)
    page.wait_for_selector("#offline-note:not([hidden])")
    assert "espacio" in page.inner_text("#offline-note")  # warned before typing
    fill(page)
    page.click("#save-submit")
    page.wait_for_function("() => document.getElementById('offline-note').textContent.includes('No se guardó')")
    assert urlsplit(page.url).path == "/incidents/new"
    assert page.input_value("[name='victims-0-name']") == TYPED["victims-0-name"]  # nothing typed is lost
