"""The JSON API: pages that stay right while incidents arrive, the list's filters, what each
caller may see, tokens, and errors that are always JSON. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from tests.factories import incident_data, submit_incident
from tests.report_scenario import PERIOD, build_scenario
from tests.support import import_departments
from tracker.api import views
from tracker.api.service import Cursor
from tracker.auth.service import set_active
from tracker.auth.tokens import issue_token, revoke_token
from tracker.counts.service import build_report
from tracker.exchange.demo import load_demo
from tracker.extensions import db
from tracker.filters import count_incidents, filtered_incidents, parse_filters
from tracker.incidents.service import change_status, create_incident
from tracker.models import ApiToken, AuditEntry, Incident

VICTIM_NAME = "Rosa Ficticia"
ORGANISATION = "Asociación Ficticia del Bosque"
CONFIDENTIAL_SOURCE = "Testimonio reservado"
EXACT = ("-12.5933", "-69.1891", "Puerto Maldonado")


@pytest.fixture
def tokens(users):
    """A token per role."""
    return {role: issue_token(user, f"{role} script").plaintext for role, user in users.items()}


def api(client, path: str, token: str | None = None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(f"/api/v1{path}", headers=headers, **kwargs)


def text_of(response) -> str:
    """The JSON body as readable text: `\u00f3` escapes would hide a name from a search."""
    return json.dumps(response.json, ensure_ascii=False)


def all_refs(client, query: str, token: str | None, limit: int = 100) -> list[str]:
    """Every ref the API lists for `query`, following `next` links."""
    refs, url = [], f"/api/v1/incidents?{query}&limit={limit}"
    while url:
        page = client.get(url, headers={"Authorization": f"Bearer {token}"} if token else {}).json
        refs += [item["ref"] for item in page["items"]]
        url = page["next"]
    return refs


def published(users, **overrides) -> Incident:
    incident = submit_incident(incident_data(**overrides), users["monitor"])
    change_status(incident, "verified", users["reviewer"], "ok")
    change_status(incident, "published", users["reviewer"], "ok")
    return incident


# --- pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["date_desc", "date_asc"])
def test_pages_list_every_incident_once_while_new_ones_arrive(client, users, tokens, sort):
    load_demo(230)
    before = set(db.session.scalars(sa.select(Incident.ref)))
    seen, url, pages = [], f"/api/v1/incidents?sort={sort}&limit=40", 0
    while url:
        page = client.get(url, headers={"Authorization": f"Bearer {tokens['reviewer']}"}).json
        seen += [item["ref"] for item in page["items"]]
        url, pages = page["next"], pages + 1
        # Recorded meanwhile: one dated like the last incident seen, one long ago, one recent.
        last = date.fromisoformat(page["items"][-1]["date"])
        for day in (last, date(2000, 1, 1), date.today() - timedelta(days=1)):
            create_incident(incident_data(title=f"meanwhile {pages} {day}", date=day), users["monitor"])
    assert pages >= 6
    assert len(seen) == len(set(seen)), "an incident was listed twice"
    assert before <= set(seen), "an incident was skipped"


def test_pages_are_in_date_order_and_link_to_the_next(client, tokens):
    load_demo(30)
    first = api(client, "/incidents?limit=10&status=verified&status=published", tokens["reviewer"]).json
    dates = [item["date"] for item in first["items"]]
    assert dates == sorted(dates, reverse=True) and first["limit"] == 10
    assert first["next"].startswith("/api/v1/incidents?") and "status=verified" in first["next"]
    assert f"cursor={first['next_cursor']}" in first["next"]


@pytest.mark.parametrize(
    "cursor",
    [
        "zzz",
        "bm90IGpzb24",
        Cursor("date_desc", date(2024, 1, 1), 0).encode(),
        Cursor("date_asc", date(2024, 1, 1), 5).encode(),
        "W10",
        "%00",
    ],
)
def test_a_bad_cursor_is_refused_with_a_message(client, cursor):
    response = client.get(f"/api/v1/incidents?cursor={cursor}")
    assert response.status_code == 400 and response.is_json
    assert response.json["error"] == "bad_request" and response.json["details"]


@pytest.mark.parametrize("limit", ["0", "501", "ten", "-3"])
def test_limit_is_between_1_and_500(client, limit):
    response = client.get(f"/api/v1/incidents?limit={limit}")
    assert response.status_code == 400
    assert "limit must be a whole number from 1 to 500." in response.json["details"]


# --- filters -------------------------------------------------------------------------------

QUERIES = [
    "",
    "status=verified&admin1=Puno&from=2023-01-01&to=2023-12-31",
    "section=1.2&from=2022-12-01&to=2023-03-31",
    "section=protection&victim_group=environmental_defender&gender=female",
    "violation=killing&violation=threat&perpetrator=illegal_mining",
    "q=periodista&confidence=confirmed&confidence=likely",
]


@pytest.mark.parametrize("role", ["reviewer", "author", "viewer"])
def test_filters_select_what_the_incident_list_shows(client, auth, users, tokens, role):
    load_demo(300)
    auth.login(role)
    for query in QUERIES:
        filters, errors = parse_filters(MultiDict([tuple(p.split("=")) for p in query.split("&") if p]))
        assert not errors
        expected = set(db.session.scalars(filtered_incidents(filters, users[role]).with_only_columns(Incident.ref)))
        listed = all_refs(client, query, tokens[role], limit=37)
        assert sorted(listed) == sorted(expected), query
        page = client.get(f"/incidents/?{query}").text
        assert f'data-total="{len(listed)}"' in page, query
        assert len(listed) == count_incidents(filters, users[role])


def test_invalid_filters_are_refused_with_every_message(client):
    response = client.get("/api/v1/incidents?section=1.9&from=2024-13-01&violation=thret")
    assert response.status_code == 400 and response.is_json
    assert response.json["message"] == "Some parameters cannot be used."
    assert response.json["details"] == [
        "'2024-13-01' is not a date in the form YYYY-MM-DD (from).",
        "Unknown value '1.9' for section.",
        "Unknown value 'thret' for violation.",
    ]


# --- who sees what -----------------------------------------------------------------------------


@pytest.fixture
def privacy_cases(users):
    """Published public incidents shown at a department, exactly and not at all, and
    incidents the public may not see."""
    import_departments()
    cases = {
        "department": published(users, visibility="public", public_location="admin1"),
        "exact": published(
            users,
            visibility="public",
            public_location="exact",
            title="Exacto",
            latitude=-11.1111,
            longitude=-75.2222,
            place="Plaza pública",
        ),
        "hidden": published(users, visibility="public", public_location="hidden", title="Oculto"),
        "partners": published(users, visibility="partners"),
        "internal": published(users, visibility="internal"),
    }
    verified = submit_incident(incident_data(visibility="public"), users["monitor"])
    change_status(verified, "verified", users["reviewer"], "ok")
    cases["verified"] = verified
    return cases


def test_anonymous_callers_see_public_incidents_without_restricted_fields(client, privacy_cases):
    response = api(client, "/incidents")
    assert response.status_code == 200
    items = {item["ref"]: item for item in response.json["items"]}
    cases = privacy_cases
    assert set(items) == {cases[k].ref for k in ("department", "exact", "hidden")}
    text = text_of(response)
    for secret in (VICTIM_NAME, ORGANISATION, CONFIDENTIAL_SOURCE, *EXACT, "Tambopata"):
        assert secret not in text
    department = items[cases["department"].ref]["location"]
    assert (department["precision"], department["admin1"], department["admin2"], department["place"]) == (
        "admin1",
        "Madre de Dios",
        "",
        "",
    )
    assert department["latitude"] is not None and round(department["latitude"], 4) != -12.5933
    assert items[cases["exact"].ref]["location"] == {
        "country": "PE",
        "admin1": cases["exact"].admin1,
        "admin2": cases["exact"].admin2,
        "admin3": cases["exact"].admin3,
        "place": "Plaza pública",
        "latitude": -11.1111,
        "longitude": -75.2222,
        "precision": "exact",
        "geo_precision": "exact",
    }
    hidden = items[cases["hidden"].ref]["location"]
    assert hidden["latitude"] is None and hidden["admin1"] == "" and hidden["precision"] is None
    assert all(
        item["access"] == {"identities": False, "exact_location": k == cases["exact"].ref} for k, item in items.items()
    )
    for name in ("partners", "internal", "verified"):
        assert api(client, f"/incidents/{cases[name].ref}").status_code == 404


def test_anonymous_region_filters_do_not_reveal_generalised_incidents(client, privacy_cases):
    by_province = api(client, "/incidents?admin2=Tambopata").json["items"]
    assert privacy_cases["department"].ref not in {item["ref"] for item in by_province}
    by_department = {i["ref"] for i in api(client, "/incidents?admin1=Madre de Dios").json["items"]}
    assert privacy_cases["department"].ref in by_department and privacy_cases["hidden"].ref not in by_department
    refused = api(client, "/incidents?q=Puerto")
    assert refused.status_code == 400 and "needs an API token" in refused.json["details"][0]


@pytest.mark.parametrize("role", ["author", "viewer"])
def test_readers_get_no_names_confidential_sources_or_coordinates(client, users, tokens, role):
    incident = published(users, visibility="partners")
    response = api(client, f"/incidents/{incident.ref}", tokens[role])
    assert response.status_code == 200
    for secret in (VICTIM_NAME, ORGANISATION, CONFIDENTIAL_SOURCE, *EXACT):
        assert secret not in text_of(response)
    assert response.json["location"]["admin2"] == "Tambopata"  # the incident page shows regions too
    assert "name" not in response.json["victims"][0]


@pytest.mark.parametrize("role", ["reviewer", "admin", "monitor"])
def test_staff_and_the_recording_monitor_get_restricted_fields(client, users, tokens, role):
    incident = submit_incident(incident_data(), users["monitor"])
    text = text_of(api(client, f"/incidents/{incident.ref}", tokens[role]))
    for secret in (VICTIM_NAME, ORGANISATION, CONFIDENTIAL_SOURCE, *EXACT):
        assert secret in text


def test_the_api_ignores_the_browser_session(client, auth, users):
    incident = published(users, visibility="internal")
    auth.login("reviewer")
    assert api(client, f"/incidents/{incident.ref}").status_code == 404


# --- stats ---------------------------------------------------------------------------------------


def test_stats_are_the_report_figures(client, users, tokens):
    build_scenario(users["monitor"], users["reviewer"])
    response = api(client, f"/stats?from={PERIOD[0]}&to={PERIOD[1]}&admin1=Puno&admin1=Lima", tokens["author"])
    assert response.status_code == 200
    filters, _ = parse_filters(MultiDict([("admin1", "Puno"), ("admin1", "Lima")]))
    report = build_report(*PERIOD, filters, users["author"])
    body = response.json
    assert (body["incidents"], body["sources"], body["statuses"]) == (
        report.incidents,
        report.sources,
        ["verified", "published"],
    )
    assert [s["key"] for s in body["sections"]] == [s.key for s in report.sections]
    for got, section in zip(body["sections"], report.sections, strict=True):
        assert got["totals"] == section.totals
        for dimension, rows in section.breakdowns.items():
            assert [(r["key"], r["count"], r["persons"]) for r in got["breakdowns"][dimension]] == [
                (r.key, r.count, r.persons) for r in rows
            ]
    protection = body["sections"][-1]
    assert protection["killing_incidents"] == report.section("protection").killing_incidents
    assert all(k["names"] is None for k in protection["killings"])  # authors do not see names


def test_stats_need_a_report_reader(client, tokens):
    query = "/stats?from=2024-01-01&to=2024-12-31"
    assert api(client, query).status_code == 401
    assert api(client, query, tokens["viewer"]).status_code == 403
    missing = api(client, "/stats?from=2024-01-01", tokens["reviewer"])
    assert missing.status_code == 400 and "both from and to" in missing.json["details"][0]


# --- tokens --------------------------------------------------------------------------------------


def test_a_revoked_token_gets_a_json_401(client, users):
    issued = issue_token(users["viewer"], "partner dashboard")
    assert api(client, "/incidents", issued.plaintext).status_code == 200
    revoke_token(issued.token, users["viewer"])
    response = api(client, "/incidents", issued.plaintext)
    assert response.status_code == 401 and response.is_json
    assert "revoked" in response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_tokens_of_a_deactivated_account_stop_working(client, users, tokens):
    set_active(users["author"], False, users["admin"])
    assert api(client, "/incidents", tokens["author"]).status_code == 401


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer trk_unknown", "token"])
def test_a_malformed_or_unknown_authorization_is_refused(client, header):
    response = client.get("/api/v1/incidents", headers={"Authorization": header})
    assert response.status_code == 401 and response.is_json


def test_a_user_creates_a_token_that_is_shown_once(client, auth, users, caplog):
    caplog.set_level(logging.DEBUG)
    auth.login("author")
    page = client.post("/account/tokens", data={"name": "mi hoja de cálculo"})
    token = db.session.scalars(sa.select(ApiToken)).one()
    plaintext = page.text.split('<code class="secret">')[1].split("</code>")[0]
    assert plaintext.startswith(token.prefix) and token.user_id == users["author"].id
    assert plaintext not in client.get("/account/tokens").text
    assert "mi hoja de cálculo" in client.get("/account/tokens").text
    assert api(client, "/stats?from=2024-01-01&to=2024-12-31", plaintext).status_code == 200
    assert db.session.get(ApiToken, token.id).last_used_at is not None
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "api_token_created")).one()
    assert audit.user_id == users["author"].id and audit.details["prefix"] == token.prefix
    logged = caplog.text + json.dumps([e.details for e in db.session.scalars(sa.select(AuditEntry))])
    assert plaintext not in logged and token.token_hash not in logged


def test_a_user_revokes_their_token_but_not_someone_elses(client, auth, users):
    own = issue_token(users["monitor"], "mine")
    other = issue_token(users["viewer"], "theirs")
    auth.login("monitor")
    assert client.post(f"/account/tokens/{other.token.id}/revoke").status_code == 404
    assert client.post(f"/account/tokens/{own.token.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, own.token.id).revoked_at is not None
    assert db.session.get(ApiToken, other.token.id).revoked_at is None


def test_an_admin_lists_and_revokes_anyones_tokens(client, auth, users):
    issued = issue_token(users["viewer"], "partner dashboard")
    auth.login("admin")
    page = client.get("/admin/tokens").text
    assert issued.token.prefix in page and "viewer@example.org" in page
    response = client.post(f"/account/tokens/{issued.token.id}/revoke", data={"next": "/admin/tokens"})
    assert response.headers["Location"].endswith("/admin/tokens")
    assert api(client, "/incidents", issued.plaintext).status_code == 401
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "api_token_revoked")).one()
    assert entry.user_id == users["admin"].id and entry.details["owner"] == f"user:{users['viewer'].id}"
    auth.login("reviewer")
    assert client.get("/admin/tokens").status_code == 403


def test_an_admin_makes_a_token_for_a_partner_account(client, auth, users):
    auth.login("admin")
    page = client.post("/admin/tokens", data={"user_id": users["viewer"].id, "name": "partner dashboard"})
    plaintext = page.text.split('<code class="secret">')[1].split("</code>")[0]
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert token.user_id == users["viewer"].id and "viewer@example.org" in page.text
    assert api(client, "/stats?from=2024-01-01&to=2024-12-31", plaintext).status_code == 403  # a viewer's rights
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "api_token_created")).one()
    assert entry.user_id == users["admin"].id and entry.details["owner"] == f"user:{users['viewer'].id}"


# --- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path,status",
    [
        ("get", "/api/v1/nowhere", 404),
        ("get", "/api/v2/incidents", 404),
        ("get", "/api/v1/incidents/PE-0000-00000", 404),
        ("post", "/api/v1/incidents", 405),
        ("delete", "/api/v1/incidents/PE-2024-00001", 405),
    ],
)
def test_errors_are_json_never_an_html_page_or_a_login_redirect(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status and response.is_json
    assert response.json["message"] and "<html" not in response.get_data(as_text=True)


def test_an_unexpected_failure_is_a_json_500(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(views, "incident_page", broken)
    response = client.get("/api/v1/incidents")
    assert response.status_code == 500 and response.is_json
    assert "database went away" not in response.get_data(as_text=True)
    assert "database went away" in caplog.text


def test_the_openapi_document_describes_the_endpoints(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/incidents", "/incidents/{ref}", "/stats", "/openapi.json"}
    violation = next(p for p in document["paths"]["/incidents"]["get"]["parameters"] if p["name"] == "violation")
    assert "killing" in violation["schema"]["items"]["enum"]
