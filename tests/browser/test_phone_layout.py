"""The tracker on a phone. Nothing sticks out sideways: every page of every role, found from
the app's routes and filled with long data (long emails, long audit details, long unbroken
words and links in an incident), fits a 390 px screen, and the incident form keeps fitting
375 px as rows are added. The list's filters fold away and say what is active. The tracker
has its own icon and can go on the home screen."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from tests.browser.steps import email_of, login, open_violation
from tests.factories import incident_data, submit_incident
from tests.support import PASSWORD, ROLES, line
from tracker.exchange.formats.csv_format import COLUMNS

pytestmark = pytest.mark.browser

ANONYMOUS = "anonymous"
TOLERANCE = 2  # px, for sub-pixel rounding
# No spaces to break at: a browser wraps such text only where the page's CSS allows it.
LONG_WORD = "Defensoresambientalesdelaamazoniaperuanaamenazados" * 2
LONG_URL = (
    "https://noticias.example.org/2024/05/10/defensores-ambientales-amenazados-en-madre-de-dios-por-la-"
    "mineria-ilegal-segun-el-informe-de-la-defensoria-del-pueblo?utm_source=whatsapp&utm_medium=compartido"
)
LONG_EMAILS = [
    f"coordinacion.regional.{n}.proteccion.defensores@asociacion-de-defensores-ambientales-del-sur.org.pe"
    for n in range(1, 5)
]
UPLOAD_NAME = "informe-regional-de-incidentes-contra-defensores-ambientales-madre-de-dios-2024.csv"
# Values for the parameters of routes (the data fixture adds an incident, an import job and a
# reset link). A route with a parameter not named here fails the test, so no new page is left
# out; whether an answer is a page (not a download, an image or data) is told by the answer.
ARGUMENTS = {"fmt": "csv", "ext": "svg", "section": "protection", "filename": "favicon.svg", "z": 0, "x": 0, "y": 0}
# What a phone-width check finds when a page is too wide: the outermost elements sticking out.
TOO_WIDE = """limit => {
  const out = el => el.getBoundingClientRect().right > limit;
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className ? "." + el.className.trim().replace(/\\s+/g, ".") : "");
  const wide = [...document.body.querySelectorAll("*")].filter(el => out(el) && !out(el.parentElement));
  return {width: document.documentElement.scrollWidth, culprits: wide.slice(0, 5).map(name)};
}"""


@dataclass
class Crowd:
    ref: str
    reset_token: str
    jobs: dict[str, int]  # role -> an import job of that role's own
    person_id: int  # the long incident's defender, in the register

    def arguments(self, role: str) -> dict[str, object]:
        job = self.jobs.get(role, next(iter(self.jobs.values())))
        return {**ARGUMENTS, "ref": self.ref, "token": self.reset_token, "job_id": job, "person_id": self.person_id}


def _long_incident():
    from tracker.incidents.data import RequestData, SourceData, VictimData

    return incident_data(
        title=f"Amenazas a {LONG_WORD}",
        description=f"Según {LONG_URL} la {LONG_WORD} denunció amenazas.",
        place=f"Comunidad nativa {LONG_WORD}",
        admin1="Madre de Dios",
        victims=[
            VictimData(
                group="environmental_defender",
                gender="female",
                name=f"María {LONG_WORD}",
                organisation=LONG_WORD,
                person="DEF-" + LONG_WORD.upper()[:30],
            )
        ],
        requests=[
            RequestData(
                filed_on=date(2024, 5, 12),
                reference=LONG_WORD,
                decision="granted",
                decided_on=date(2024, 5, 30),
                measures=["police_patrols", "communication_equipment"],
                notes=f"{LONG_WORD} {LONG_URL}",
            )
        ],
        sources=[SourceData(kind="media", title=LONG_WORD, url=LONG_URL, publisher=LONG_WORD, reliability="B")],
        visibility="public",
        public_location="exact",
    )


def _checked_upload(user) -> int:
    """An import job of `user`, checked, whose preview holds the long incident."""
    import time

    from werkzeug.datastructures import FileStorage

    from tracker.exchange import jobs
    from tracker.extensions import db
    from tracker.models import ImportJob

    rows = [
        line(title=f"Amenazas a {LONG_WORD}", description=LONG_URL, date="2024-05-10", violations="threat"),
        line(title=LONG_WORD, date="no-es-fecha", source_urls=LONG_URL),
    ]
    upload = FileStorage(io.BytesIO("\n".join([",".join(COLUMNS), *rows]).encode()), filename=UPLOAD_NAME)
    job_id = jobs.start_check(upload, "csv", user).id
    deadline = time.monotonic() + 30
    while db.session.get_one(ImportJob, job_id).status == "checking" and time.monotonic() < deadline:
        time.sleep(0.05)
        db.session.expire_all()
    assert db.session.get_one(ImportJob, job_id).status == "checked"
    return job_id


@pytest.fixture(scope="module")
def crowd(live_server) -> Crowd:
    """Long data wherever a page lists it: users, the audit log, an incident with its history
    and an import of it."""
    from tracker.auth.service import create_user, make_reset_link
    from tracker.exchange.exporter import Export
    from tracker.extensions import db
    from tracker.filters import IncidentFilter
    from tracker.incidents.service import change_status, update_incident
    from tracker.models import User

    with live_server.app.app_context():
        users = {role: db.session.scalar(sa.select(User).where(User.email == email_of(role))) for role in ROLES}
        long_named = [
            create_user(email, ROLES[n % len(ROLES)], PASSWORD, name=f"María Fernanda {LONG_WORD[:30]}")
            for n, email in enumerate(LONG_EMAILS)
        ]
        incident = submit_incident(_long_incident(), users["monitor"])
        for status in ("verified", "published"):
            change_status(incident, status, users["reviewer"], "ok")
        changed = _long_incident()
        changed.description += f" {LONG_URL}?actualizado=1"
        update_incident(incident, changed, users["reviewer"], incident.version)
        # an audit entry with long details: an export with a long text search
        Export("csv", IncidentFilter(q=LONG_WORD, admin1=["Madre de Dios"]), users["admin"], "incidents").write_to(
            io.BytesIO()
        )
        crowd = Crowd(
            ref=incident.ref,
            reset_token=make_reset_link(long_named[0]),
            jobs={role: _checked_upload(users[role]) for role in ("reviewer", "admin")},
            person_id=incident.victims[0].person_id,
        )
        db.session.remove()
    return crowd


def route_paths(app, arguments: dict[str, object]) -> list[str]:
    """The path of every GET route of the app, its parameters filled from `arguments`."""
    from flask import url_for

    paths = set()
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()):
                continue
            unknown = rule.arguments - arguments.keys()
            assert not unknown, f"{rule.rule}: give {sorted(unknown)} a real value here, so its page is checked"
            paths.add(url_for(rule.endpoint, **{name: arguments[name] for name in rule.arguments}))
    return sorted(paths)


def is_page(response) -> bool:
    """HTML shown in the browser: not data, an image or a download."""
    headers = response.headers
    return headers.get("content-type", "").startswith("text/html") and "attachment" not in headers.get(
        "content-disposition", ""
    )


def too_wide(page) -> dict | None:
    """How the page sticks out of the screen, if it does. Measured against the screen, not
    the page's own idea of it: a page without a viewport is laid out 980 px wide."""
    limit = page.viewport_size["width"] + TOLERANCE
    found = page.evaluate(TOO_WIDE, limit)
    return found if found["width"] > limit else None


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_no_page_is_wider_than_a_phone(phone_context, live_server, crowd, role):
    page = phone_context().new_page()
    if role != ANONYMOUS:
        login(page, role)
    shown: dict[str, int] = {}  # path -> status, each page once (redirects lead to the same ones)
    wide = {}
    for path in route_paths(live_server.app, crowd.arguments(role)):
        response = page.request.get(path)
        shown_path = urlsplit(response.url).path
        if not is_page(response) or shown_path in shown:
            continue
        shown[shown_path] = response.status
        page.goto(response.url)
        if found := too_wide(page):
            wide[shown_path] = found
    assert not wide, f"wider than the phone for {role}: {wide}"

    # The pages with long data were among them, for the roles that may open them.
    opened = {path for path, status in shown.items() if status == 200}
    ref, job = crowd.ref, crowd.arguments(role)["job_id"]
    crowded = {
        "/incidents/": ROLES,
        f"/incidents/{ref}": ROLES,
        f"/incidents/{ref}/history": ("monitor", "reviewer", "admin"),
        f"/incidents/{ref}/edit": ("reviewer", "admin"),
        f"/import/{job}": ("reviewer", "admin"),
        "/admin/users": ("admin",),
        "/admin/audit": ("admin",),
        f"/auth/reset/{crowd.reset_token}": (ANONYMOUS, *ROLES),
    }
    assert {path for path, roles in crowded.items() if role in roles} <= opened


def test_incident_form_has_no_horizontal_scroll_on_a_small_phone(phone_page):
    page = phone_page
    login(page, "monitor")
    page.goto("/incidents/new")
    page.wait_for_selector("#location-map.leaflet-container")
    assert too_wide(page) is None

    # Rows added in the browser and opened violation groups must not widen it either.
    page.click("[data-rows=victims] [data-add-row]")
    page.click("[data-rows=sources] [data-add-row]")
    open_violation(page, "protest_excessive_force")
    assert too_wide(page) is None


FILTERED = "/incidents/?status=published&admin1=Madre+de+Dios&violation=threat&sort=date_asc&page=1"


def active_filters(page) -> list[str]:
    return [text.replace("×", "").strip() for text in page.locator("#active-filters .chip").all_inner_texts()]


def test_phone_list_folds_its_filters_and_names_the_active_ones(phone_context, crowd):
    page = phone_context().new_page()
    login(page, "reviewer")
    page.goto(FILTERED)
    assert not page.is_visible("#filters")
    assert page.locator("#result-count").bounding_box()["y"] < page.viewport_size["height"], "the list is off screen"
    assert "(3)" in page.inner_text("#filters-panel summary")
    assert active_filters(page) == ["Vulneración: Amenaza", "Departamento: Madre de Dios", "Estado: Publicado"]

    # Each active filter is a link that removes it and keeps the rest, and the order.
    with page.expect_navigation():
        page.locator("#active-filters .chip", has_text="Estado").click()
    assert parse_qs(urlsplit(page.url).query) == {
        "admin1": ["Madre de Dios"],
        "violation": ["threat"],
        "sort": ["date_asc"],
    }
    assert "(2)" in page.inner_text("#filters-panel summary")
    with page.expect_navigation():
        page.click("#active-filters .clear-filters")
    assert parse_qs(urlsplit(page.url).query) == {"sort": ["date_asc"]}
    assert active_filters(page) == []

    # The folded form opens and filters.
    page.click("#filters-panel summary")
    page.select_option("#filter-status", "published")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    assert active_filters(page) == ["Estado: Publicado"]


@pytest.mark.parametrize(
    "options",
    [{"viewport": {"width": 1280, "height": 900}}, {"java_script_enabled": False}],
    ids=["wide screen", "no JavaScript"],
)
def test_list_filters_stay_open_on_a_wide_screen_or_without_javascript(phone_context, crowd, options):
    page = phone_context(**options).new_page()
    login(page, "reviewer")
    page.goto(FILTERED)
    assert page.is_visible("#filters")
    assert active_filters(page) == ["Vulneración: Amenaza", "Departamento: Madre de Dios", "Estado: Publicado"]


def check_icon(page, icon: dict) -> None:
    """The icon is there, of the type and size it is declared with (where it is)."""
    from PIL import Image

    response = page.request.get(icon["src"])
    assert response.ok, icon
    assert response.headers["content-type"].startswith(icon.get("type") or "image/"), icon
    if (icon.get("sizes") or "any") != "any":
        assert "{}x{}".format(*Image.open(io.BytesIO(response.body())).size) == icon["sizes"], icon


# The paths of everything in the browser's Cache Storage.
KEPT_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) {
      const url = new URL(request.url);
      urls.push(url.pathname + url.search);
    }
  }
  return urls;
}"""


def test_phone_can_keep_the_tracker_on_its_home_screen(page):
    page.goto("/auth/login")
    response = page.request.get(page.get_attribute("link[rel=manifest]", "href"))
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"]
    assert (manifest["start_url"], manifest["display"]) == ("/", "standalone")
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}  # what Android asks for
    linked = page.eval_on_selector_all(
        "link[rel=icon], link[rel=apple-touch-icon]",
        "links => links.map(link => ({src: link.href, type: link.type, sizes: link.getAttribute('sizes')}))",
    )
    assert any(icon["type"] == "image/svg+xml" for icon in linked), "no SVG favicon"
    for icon in [*manifest["icons"], *linked]:
        check_icon(page, icon)

    # For a monitor, a service worker keeps what recording with no signal needs (tests/browser/
    # test_offline_entry.py), and no other signed-in page: lists and incidents stay uncached.
    login(page, "monitor")
    page.goto("/incidents/")
    deadline = time.monotonic() + 10
    while "/incidents/new" not in (kept := page.evaluate(KEPT_URLS)):
        assert time.monotonic() < deadline, f"the form is not kept for use with no signal: {kept}"
        page.wait_for_timeout(100)
    assert not [url for url in kept if url.startswith("/incidents/?") or url.startswith("/incidents/INC")]
    assert page.request.get("/incidents/").headers["cache-control"] == "no-store"
