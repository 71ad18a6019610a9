"""Every route × every role: who may reach what, in one table (ROUTES) read against the app's
url_map. A route added without a row here fails the suite, and so does a row left behind by a
route that is gone. Each role then requests every route, on SQLite and PostgreSQL.

A POST is sent without its form's data: nothing changes, yet the access rule still answers
(CSRF checks are off in tests: an allowed role gets its form again, 200 or 400, or a redirect).
The API reads no session: each role calls it with a token of its own, anonymous without one.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest
from flask import url_for

from tests.factories import incident_data, record
from tests.support import PASSWORD, ROLES, Auth, import_departments
from tracker.auth import sessions
from tracker.auth.service import create_user, make_reset_link
from tracker.auth.tokens import issue_token
from tracker.extensions import db
from tracker.incidents.service import create_incident
from tracker.models import DuplicateCandidate, ImportJob
from tracker.persons.service import PersonData, create_person

LOGIN = "302 to login"  # the deny-by-default gate: anonymous visitors are sent to log in
IGNORED_METHODS = {"HEAD", "OPTIONS"}

STAFF = ("admin", "reviewer")
RECORDERS = (*STAFF, "monitor")
REPORT_READERS = (*STAFF, "author")


def rule(ok, *allowed: str, denied=403, anonymous=LOGIN) -> dict[str, object]:
    """Status per role: `ok` for the `allowed` roles, `denied` for the other signed-in ones."""
    return {"anonymous": anonymous} | {role: ok if role in allowed else denied for role in ROLES}


def public(ok):
    return rule(ok, *ROLES, anonymous=ok)


def signed_in(ok):
    return rule(ok, *ROLES)


def staff(ok):
    return rule(ok, *STAFF)


def admins(ok):
    return rule(ok, "admin")


def report_readers(ok):
    return rule(ok, *REPORT_READERS)


def recorders(ok):
    return rule(ok, *RECORDERS)


# The import job is the reviewer's: a job is its uploader's alone, so to the admin it is not found.
OWN_JOB = staff(200) | {"admin": 404}
OWN_JOB_POST = staff(302) | {"admin": 404}


class Route(NamedTuple):
    endpoint: str
    method: str
    expected: dict[str, object]
    on: str = ""  # which incident a <ref> names (see `world`); "no token" for the API without one


# fmt: off
ROUTES = [
    Route("main.index", "GET", signed_in(302)),
    Route("main.health", "GET", public(200)),
    Route("main.set_language", "POST", public(302)),

    Route("auth.login", "GET", public(200)),
    Route("auth.login", "POST", public(200)),  # the form again, saying what is missing
    Route("auth.logout", "POST", signed_in(302)),  # run last
    Route("auth.reset_with_link", "GET", public(200)),
    Route("auth.reset_with_link", "POST", public(200)),
    Route("auth.own_password", "GET", signed_in(200)),
    Route("auth.own_password", "POST", signed_in(200)),
    Route("auth.own_sessions", "GET", signed_in(200)),
    Route("auth.end_own_session", "POST", signed_in(302)),  # another account's session: left alone
    Route("auth.end_other_sessions", "POST", signed_in(302)),
    Route("auth.own_tokens", "GET", signed_in(200)),
    Route("auth.own_tokens", "POST", signed_in(200)),
    # another account's token: only an admin may revoke it; to the others it does not exist
    Route("auth.revoke_api_token", "POST", rule(302, "admin", denied=404)),
    # the code step without a password typed first: back to the login page (not the gate's redirect)
    Route("second_factor.login_code", "GET", public(302)),
    Route("second_factor.login_code", "POST", public(302)),
    Route("second_factor.setup", "GET", signed_in(200)),
    Route("second_factor.setup", "POST", signed_in(200)),  # the enrolment again, saying what is missing
    Route("second_factor.renew_recovery_codes", "POST", signed_in(302)),
    Route("second_factor.remove_own", "POST", signed_in(302)),

    Route("admin.users", "GET", admins(200)),
    Route("admin.users", "POST", admins(200)),
    Route("admin.change_role", "POST", admins(302)),
    Route("admin.toggle_active", "POST", admins(302)),
    Route("admin.make_reset_link", "POST", admins(200)),
    Route("admin.unlock_logins", "POST", admins(302)),
    Route("admin.end_sessions", "POST", admins(302)),
    Route("admin.reset_second_factor", "POST", admins(302)),
    Route("admin.api_tokens", "GET", admins(200)),
    Route("admin.api_tokens", "POST", admins(200)),
    Route("admin.audit_log", "GET", admins(200)),

    Route("incidents.list_incidents", "GET", signed_in(200)),
    Route("incidents.outlines", "GET", signed_in(200)),
    Route("incidents.new", "GET", recorders(200)),
    Route("incidents.new", "POST", recorders(400)),
    # "published": public, the monitor's. "draft": the monitor's. "other draft": the reviewer's.
    # An incident a role may not open is not found (404), one it may open but not change is 403.
    Route("incidents.detail", "GET", signed_in(200), on="published"),
    Route("incidents.detail", "GET", rule(200, *RECORDERS, denied=404), on="draft"),
    Route("incidents.detail", "GET", rule(200, *STAFF, denied=404), on="other draft"),
    # the published incident is the monitor's own: their edits of it wait for review (revisions.py)
    Route("incidents.edit", "GET", recorders(200), on="published"),
    Route("incidents.edit", "GET", rule(200, *RECORDERS, denied=404), on="draft"),
    Route("incidents.edit", "GET", rule(200, *STAFF, denied=404), on="other draft"),
    Route("incidents.edit", "POST", recorders(400), on="published"),
    Route("incidents.edit", "POST", rule(400, *RECORDERS, denied=404), on="draft"),
    Route("incidents.history", "GET", recorders(200), on="published"),
    Route("incidents.history", "GET", rule(200, *STAFF, denied=404), on="other draft"),
    # who may move it where is the workflow's rule (tests/test_incidents.py); here, who may open it
    Route("incidents.status", "POST", signed_in(400), on="published"),
    # accepting proposed changes (none wait here: staff are told so)
    Route("incidents.decide_revision", "POST", staff(302), on="published"),
    Route("incidents.status", "POST", rule(400, *RECORDERS, denied=404), on="draft"),

    Route("maps.map_page", "GET", signed_in(200)),
    Route("maps.map_page_data", "GET", signed_in(200)),
    Route("maps.map_page_image", "GET", signed_in(200)),
    Route("maps.map_page_download", "GET", signed_in(200)),
    Route("maps.public_map", "GET", public(200)),
    Route("maps.public_map_data", "GET", public(200)),
    Route("maps.public_map_image", "GET", public(200)),
    Route("maps.public_map_download", "GET", public(200)),
    Route("maps.tile", "GET", public(404)),  # no tile file configured here (tests/test_local_tiles.py)

    Route("reports.index", "GET", report_readers(200)),
    Route("reports.export", "GET", report_readers(200)),
    Route("reports.chart", "GET", report_readers(200)),

    Route("exchange.exports.incidents", "GET", signed_in(200)),
    Route("exchange.exports.public", "GET", public(200)),
    Route("exchange.imports.upload", "GET", staff(200)),
    Route("exchange.imports.upload", "POST", staff(400)),
    Route("exchange.imports.job", "GET", OWN_JOB),
    Route("exchange.imports.progress", "GET", OWN_JOB),
    Route("exchange.imports.confirm", "POST", OWN_JOB_POST),
    Route("exchange.imports.run_again", "POST", OWN_JOB_POST),
    Route("exchange.imports.duplicate_pairs", "GET", staff(200)),
    Route("exchange.imports.decide", "POST", staff(400)),

    # recording with no signal: the service worker is public (it holds no data); the outbox is the recorders'
    Route("offline.service_worker", "GET", public(200)),
    Route("offline.ping", "GET", recorders(204)),
    Route("offline.outbox", "GET", recorders(200)),
    Route("offline.sync", "POST", recorders(403)),  # without the sync header: refused in words
    Route("offline.discard_held", "POST", rule(404, *RECORDERS)),  # no such held draft

    # the register of persons at risk: the record is the monitor's; to those who may not see it, it does not exist
    Route("persons.index", "GET", recorders(200)),
    Route("persons.new", "GET", recorders(200)),
    Route("persons.new", "POST", recorders(400)),
    Route("persons.detail", "GET", rule(200, *RECORDERS, denied=404)),
    Route("persons.edit", "GET", rule(200, *RECORDERS, denied=404)),
    Route("persons.edit", "POST", rule(400, *RECORDERS, denied=404)),
    Route("persons.merge", "POST", staff(400)),  # no key of a record to keep
    Route("persons.unmerge", "POST", staff(302)),  # not merged: back to the page, saying so
    Route("persons.search", "POST", recorders(400)),  # no JSON body

    # early-warning alerts name persons at risk: staff only (an empty acknowledgement: the page again, 400)
    Route("protection.alerts", "GET", staff(200)),
    Route("protection.acknowledge", "POST", staff(400)),

    # the API: a role is its token; no session counts, and without a token the caller is anonymous
    Route("api.openapi", "GET", public(200)),
    Route("api.list_incidents", "GET", public(200)),
    Route("api.incident", "GET", public(200), on="published"),
    Route("api.incident", "GET", rule(200, *RECORDERS, denied=404, anonymous=404), on="draft"),
    Route("api.stats", "GET", report_readers(200) | {"anonymous": 401}),
    Route("api.stats", "GET", rule(401, *ROLES, anonymous=401), on="no token"),  # a session is not a token
]
# fmt: on

YEAR = "from=2024-01-01&to=2024-12-31"
QUERIES = {  # what a route needs besides its URL's variables to answer at all
    "reports.export": f"{YEAR}&format=csv",
    "reports.chart": f"{YEAR}&kind=violation",
    "api.stats": YEAR,
}
VALUES = {
    **{"fmt": "csv", "ext": "png", "section": "protection", "decision": "approve", "draft_id": 1},
    **{"z": 0, "x": 0, "y": 0},
}


def served_routes(app) -> set[tuple[str, str]]:
    return {
        (url_rule.endpoint, method)
        for url_rule in app.url_map.iter_rules()
        if url_rule.endpoint != "static"
        for method in url_rule.methods - IGNORED_METHODS
    }


def listed_routes() -> set[tuple[str, str]]:
    return {(route.endpoint, route.method) for route in ROUTES}


@pytest.mark.databases("sqlite")
def test_every_route_of_the_app_has_a_rule(app):
    unlisted = sorted(served_routes(app) - listed_routes())
    assert not unlisted, f"routes without a row in ROUTES (say who may reach them): {unlisted}"


@pytest.mark.databases("sqlite")
def test_every_rule_names_a_route_of_the_app(app):
    gone = sorted(listed_routes() - served_routes(app))
    assert not gone, f"rows of ROUTES for routes the app no longer has: {gone}"


@pytest.mark.databases("sqlite")
def test_the_public_allowlist_names_only_routes_of_the_app(app):
    """A name on it that is no route would make a future route of that name public unseen."""
    from tracker.security import ENROLMENT_ENDPOINTS, PUBLIC_ENDPOINTS

    endpoints = {url_rule.endpoint for url_rule in app.url_map.iter_rules()}
    assert not (PUBLIC_ENDPOINTS | ENROLMENT_ENDPOINTS) - endpoints


def test_every_rule_names_each_role_once():
    for route in ROUTES:
        assert set(route.expected) == {"anonymous", *ROLES}, route
    keys = [(route.endpoint, route.method, route.on) for route in ROUTES]
    assert len(keys) == len(set(keys)), "a route is listed twice"


@pytest.fixture
def world(app, users):
    """Something real for every URL variable: incidents of each kind, another account with a
    session, an API token and a reset link, the reviewer's import job, a possible duplicate."""
    import_departments()  # so the choropleth images and map downloads have boundaries to draw
    published = record(users, visibility="public")
    draft = create_incident(incident_data(title="Borrador del monitor"), users["monitor"])
    other_draft = create_incident(incident_data(title="Borrador del revisor"), users["reviewer"])
    other = create_user("other@example.org", "viewer", PASSWORD, name="Other")
    forgetful = create_user("forgetful@example.org", "viewer", PASSWORD, name="Forgetful")
    sessions.start(other, "another browser")
    session_id = sessions.sessions_of(other)[0].id
    job = ImportJob(token="matrix-job", user_id=users["reviewer"].id, file_name="in.csv", status="failed")
    pair = DuplicateCandidate(incident_id=other_draft.id, candidate_of_id=published.id)
    person = create_person(PersonData(key="DEF-0001", name="Persona Ficticia"), users["monitor"])
    db.session.add_all([job, pair])
    db.session.commit()
    return {
        "refs": {"published": published.ref, "draft": draft.ref, "other draft": other_draft.ref},
        "user_id": other.id,
        "session_id": session_id,
        "token_id": issue_token(other, "other's script").token.id,
        "token": make_reset_link(forgetful),
        "job_id": job.id,
        "pair_id": pair.id,
        "person_id": person.id,
    }


def url_of(app, route: Route, world: dict) -> str:
    (url_rule,) = [r for r in app.url_map.iter_rules(route.endpoint) if route.method in r.methods]
    values = {**VALUES, **world}
    args = {name: values[name] for name in url_rule.arguments if name != "ref"}
    if "ref" in url_rule.arguments:
        args["ref"] = world["refs"][route.on]
    with app.test_request_context():
        url = url_for(route.endpoint, **args)
    query = QUERIES.get(route.endpoint)
    return f"{url}?{query}" if query else url


def outcome(response) -> object:
    """The status, or LOGIN for the gate's redirect to the login page (with where to return)."""
    if response.status_code == 302 and response.location.startswith("/auth/login?next="):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_each_role_reaches_each_route_by_its_rule(app, client, users, world, role):
    app.config["REQUIRE_2FA_ROLES"] = ()  # role rules only: the second factor's gate is tested on its own
    headers = {}
    if role != "anonymous":
        assert Auth(client).login(role).status_code == 302
        headers = {"Authorization": f"Bearer {issue_token(users[role], 'matrix').plaintext}"}
    wrong, served = [], served_routes(app)
    for route in sorted(ROUTES, key=lambda route: route.endpoint == "auth.logout"):  # logout last
        if (route.endpoint, route.method) not in served:
            continue  # a row for a route that is gone: test_every_rule_names_a_route_of_the_app says so
        url = url_of(app, route, world)
        api = route.endpoint.startswith("api.") and route.on != "no token"
        response = client.open(url, method=route.method, headers=headers if api else {})
        response.close()  # downloads stream: end each before the next request
        got, expected = outcome(response), route.expected[role]
        if got != expected:
            wrong.append(f"{route.method} {url} ({route.endpoint}): expected {expected}, got {got}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", STAFF)
def test_staff_without_a_second_factor_reach_nothing_but_enrolment(app, client, users, world, role):
    """With the shipped TRACKER_REQUIRE_2FA_ROLES, every route but the public ones, enrolment,
    logout and the API (which refuses such an account's tokens itself) sends them to enrolment."""
    from tracker.security import ENROLMENT_ENDPOINTS, PUBLIC_ENDPOINTS

    app.config["REQUIRE_2FA_ROLES"] = STAFF
    assert Auth(client).login(role).status_code == 302
    wrong = []
    for route in ROUTES:
        if route.endpoint in PUBLIC_ENDPOINTS | ENROLMENT_ENDPOINTS or route.endpoint.startswith("api."):
            continue
        url = url_of(app, route, world)
        response = client.open(url, method=route.method)
        response.close()
        if (response.status_code, response.location) != (302, "/account/second-factor"):
            wrong.append(f"{route.method} {url}: {response.status_code} {response.location}")
    assert not wrong, "\n".join(wrong)
