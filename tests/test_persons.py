"""The register of persons at risk (tracker/persons/): who may open which record, adding and
editing one, merging two records of one person and undoing it, the timeline, and the search the
victim rows' picker calls. Names and keys are restricted: they never reach readers who may not
see them, addresses, the audit log or the logs."""

from __future__ import annotations

import json
import logging
import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask import g

from tests.factories import incident_data, record
from tests.support import PASSWORD, ROLES, make_app, schema_created
from tracker.auth.service import create_user
from tracker.extensions import db
from tracker.incidents.data import RequestData, VictimData
from tracker.incidents.service import create_incident
from tracker.models import AuditEntry, Person, Victim
from tracker.persons.service import PersonData, create_person, update_person

MINE = ("DEF-0001", "Rosa Ficticia")  # the monitor's record
THEIRS = ("DEF-0002", "Otro Ficticio")  # another monitor's
STAFFS = ("DEF-0003", "Ana Revisora")  # the reviewer's


def a_record(user, key: str, name: str, **values) -> Person:
    person = create_person(PersonData(key=key, name=name, community="Comunidad Nativa Ficticia", **values), user)
    db.session.commit()
    return person


@pytest.fixture
def other_monitor(app):
    return create_user("monitor2@example.org", "monitor", PASSWORD, name="Monitor Two")


@pytest.fixture
def records(users, other_monitor):
    return {
        "mine": a_record(users["monitor"], *MINE, groups=["environmental_defender"], admin1="Loreto"),
        "theirs": a_record(other_monitor, *THEIRS),
        "staff": a_record(users["reviewer"], *STAFFS),
    }


def naming(key: str, name: str = "", group: str = "environmental_defender", **values) -> VictimData:
    return VictimData(group=group, gender="female", name=name, person=key, **values)


def search(client, text: str):
    return client.post("/persons/search", json={"q": text})


# --- who may open what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_staff_list_and_open_every_record(client, auth, records, role):
    auth.login(role)
    listing = client.get("/persons/").text
    for key, name in (MINE, THEIRS, STAFFS):
        assert key in listing and name in listing
    for person in records.values():
        assert client.get(f"/persons/{person.id}").status_code == 200
        assert client.get(f"/persons/{person.id}/edit").status_code == 200
    found = search(client, "ficticio").get_json()["results"]
    assert [(r["key"], r["name"], r["kind"], r["id"]) for r in found] == [
        (THEIRS[0], THEIRS[1], "person", records["theirs"].id)
    ]


def test_a_monitor_sees_only_the_records_they_added(client, auth, records):
    auth.login("monitor")
    listing = client.get("/persons/").text
    assert MINE[0] in listing and MINE[1] in listing
    for key, name in (THEIRS, STAFFS):
        assert key not in listing and name not in listing
    assert client.get(f"/persons/{records['mine'].id}").status_code == 200
    for other in (records["theirs"], records["staff"]):
        assert client.get(f"/persons/{other.id}").status_code == 404  # not 403: nobody is confirmed to exist
        assert client.get(f"/persons/{other.id}/edit").status_code == 404
        assert client.post(f"/persons/{other.id}/edit", data={"name": "x", "version": "1"}).status_code == 404
    # nor through the search, by name or by key
    assert search(client, "Otro").get_json()["results"] == []
    assert search(client, THEIRS[0]).get_json()["results"] == []
    assert [r["key"] for r in search(client, "DEF").get_json()["results"]] == [MINE[0]]
    # merging is a reviewer's work
    assert client.post(f"/persons/{records['mine'].id}/merge", data={"into": STAFFS[0]}).status_code == 403
    assert client.post(f"/persons/{records['mine'].id}/unmerge").status_code == 403


@pytest.mark.parametrize("role", ["author", "viewer"])
def test_readers_reach_no_record(client, auth, records, role):
    auth.login(role)
    assert client.get("/persons/").status_code == 403
    assert client.get("/persons/new").status_code == 403
    assert search(client, "Rosa").status_code == 403
    for person in records.values():
        for response in (client.get(f"/persons/{person.id}"), client.get(f"/persons/{person.id}/edit")):
            assert response.status_code == 404
            assert person.key not in response.text and person.name not in response.text
    assert "Persons at risk" not in client.get("/incidents/").text  # no link in the menu either


def test_anonymous_visitors_are_sent_to_log_in(client, records):
    person = records["mine"]
    for response in (client.get("/persons/"), client.get(f"/persons/{person.id}"), search(client, "Rosa")):
        assert response.status_code == 302 and response.location.startswith("/auth/login")


@pytest.mark.parametrize("role", ["admin", "reviewer", "monitor"])
def test_the_menu_links_the_register_for_those_who_keep_it(client, auth, users, role):
    auth.login(role)
    assert 'href="/persons/"' in client.get("/incidents/").text


# --- the search ---------------------------------------------------------------------------------


def test_the_search_is_post_only(client, auth, records):
    auth.login("reviewer")
    assert client.get("/persons/search").status_code == 405
    assert client.get("/persons/search?q=Rosa").status_code == 405
    assert client.post("/persons/search", data={"q": "Rosa"}).status_code == 400  # JSON only
    response = search(client, "rosa")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "results": [{"key": MINE[0], "name": MINE[1], "kind": "person", "id": records["mine"].id}]
    }


def test_the_search_needs_the_page_s_csrf_token_in_its_header(database_url, tmp_path):
    with schema_created(make_app(database_url, tmp_path / "csrf", WTF_CSRF_ENABLED=True)) as app:
        user = create_user("monitor@example.org", "monitor", PASSWORD)
        a_record(user, *MINE)

        # each request starts afresh, as served ones do (the app context stays open here: see conftest `client`)
        def afresh():
            g.pop("_login_user", None)
            g.pop("csrf_token", None)

        app.before_request_funcs.setdefault(None, []).insert(0, afresh)
        client = app.test_client()
        page = client.get("/auth/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/auth/login", data={"email": "monitor@example.org", "password": PASSWORD, "csrf_token": token})
        assert search(client, "Rosa").status_code == 400  # no token: refused
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/persons/new").text).group(1)
        response = client.post("/persons/search", json={"q": "Rosa"}, headers={"X-CSRFToken": token})
        assert response.status_code == 200
        assert [r["key"] for r in response.get_json()["results"]] == [MINE[0]]


# --- adding and editing ------------------------------------------------------------------------


def new_record(**fields) -> dict:
    return {"key": "def-0042", "kind": "person", "name": "Juana Ficticia", "gender": "female"} | fields


def test_a_monitor_adds_a_record_and_opens_it(client, auth, users):
    auth.login("monitor")
    response = client.post(
        "/persons/new",
        data=new_record(groups=["land_defender", "indigenous_leader"], indigenous="y", admin1="Ucayali"),
    )
    person = db.session.scalar(sa.select(Person).where(Person.key == "DEF-0042"))  # stored as keys are
    assert response.status_code == 302 and response.location == f"/persons/{person.id}"
    assert "DEF-0042" not in response.location
    assert person.created_by_id == users["monitor"].id and person.group_codes == ["land_defender", "indigenous_leader"]
    page = client.get(response.location).text
    for shown in ("DEF-0042", "Juana Ficticia", "Land defender", "Indigenous leader", "Ucayali", "Record added."):
        assert shown in page


@pytest.mark.parametrize(
    "key,problem",
    [
        ("DEF 42", "is not a person&#39;s key"),
        ("DEF;42", "is not a person&#39;s key"),
        ("", "Give the record a key"),
    ],
)
def test_a_key_that_cannot_be_one_is_refused_in_words(client, auth, users, key, problem):
    auth.login("monitor")
    response = client.post("/persons/new", data=new_record(key=key))
    assert response.status_code == 400
    assert problem in response.text
    assert 'value="Juana Ficticia"' in response.text  # what was typed stays in the form
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_a_key_another_record_has_is_refused(client, auth, records):
    auth.login("monitor")
    response = client.post("/persons/new", data=new_record(key=STAFFS[0].lower()))
    assert response.status_code == 400
    assert "A record with the key DEF-0003 exists already" in response.text
    assert STAFFS[1] not in response.text  # whose it is stays unsaid
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 3


def edit_fields(person: Person, **fields) -> dict:
    return {"kind": person.kind, "name": person.name, "gender": person.gender, "version": str(person.version)} | fields


def test_an_edit_is_saved_and_shown_in_the_history(client, auth, users, records):
    person = records["mine"]
    auth.login("monitor")
    response = client.post(f"/persons/{person.id}/edit", data=edit_fields(person, name="Rosa María Ficticia"))
    assert response.status_code == 302
    page = client.get(f"/persons/{person.id}").text
    history = page[page.index('id="person-history"') :]
    assert "Rosa Ficticia" in history and "Rosa María Ficticia" in history  # old → new
    assert "Monitor" in history


def test_a_stale_edit_is_refused_and_keeps_the_typed_form(client, auth, users, records):
    person = records["mine"]
    auth.login("monitor")
    opened = client.get(f"/persons/{person.id}/edit").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', opened).group(1)
    # meanwhile, a reviewer changes the record
    update_person(person, PersonData(key=person.key, name="Rosa Cambiada", community="Otra"), users["reviewer"], 1)
    response = client.post(
        f"/persons/{person.id}/edit",
        data=edit_fields(person, name="Rosa Tecleada", notes="Vive en Iquitos", version=version),
    )
    assert response.status_code == 409
    assert "Someone else changed this record" in response.text
    assert "Rosa Tecleada" in response.text and "Vive en Iquitos" in response.text  # what was typed
    assert "Rosa Cambiada" in response.text  # and what is saved now, beside it
    db.session.expire_all()
    assert (person.name, person.notes) == ("Rosa Cambiada", "")
    # a second save, made knowingly from what the form now holds, goes through
    again = re.search(r'name="version" type="hidden" value="(\d+)"', response.text).group(1)
    saved = client.post(f"/persons/{person.id}/edit", data=edit_fields(person, name="Rosa Tecleada", version=again))
    assert saved.status_code == 302
    db.session.expire_all()
    assert person.name == "Rosa Tecleada"


def test_a_record_s_key_never_changes(client, auth, records):
    person = records["mine"]
    auth.login("reviewer")
    client.post(f"/persons/{person.id}/edit", data=edit_fields(person, key="DEF-9999"))
    db.session.expire_all()
    assert person.key == MINE[0]


# --- the timeline ------------------------------------------------------------------------------


def test_the_timeline_lists_only_incidents_the_reader_sees_with_identities(client, auth, users, records, other_monitor):
    person = records["mine"]
    request = RequestData(
        filed_on=date(2024, 5, 12),
        authority="mechanism",
        reference="EXP-2024-77",
        decision="granted",
        decided_on=date(2024, 6, 3),
        measures=["police_patrols", "communication_equipment"],
        measures_end=date(2024, 12, 31),
    )
    own = record(users, victims=[naming(MINE[0], MINE[1])], requests=[request], date=date(2024, 5, 10))
    # another monitor's published incident naming the same person: its identities are theirs
    foreign = create_incident(
        incident_data(victims=[naming(MINE[0].lower())], date=date(2024, 8, 1), title="De otro monitor"), other_monitor
    )
    assert foreign.victims[0].person_id == person.id

    auth.login("monitor")
    page = client.get(f"/persons/{person.id}").text
    assert own.ref in page and foreign.ref not in page
    for shown in ("Intersectoral Mechanism", "EXP-2024-77", "Granted", "Police patrols", "Communication equipment"):
        assert shown in page
    assert re.search(r'class="incident-count">1<', client.get("/persons/").text)

    auth.logout()
    auth.login("reviewer")
    page = client.get(f"/persons/{person.id}").text
    assert own.ref in page and foreign.ref in page
    assert page.index(own.ref) < page.index(foreign.ref)  # by date
    assert page.count('data-kind="incident"') == 2 and 'data-kind="measures_end"' in page
    assert re.search(r'class="incident-count">2<', client.get("/persons/").text)


# --- merging -------------------------------------------------------------------------------------


def rows_of(person: Person) -> list[tuple[int, int]]:
    return sorted(
        db.session.execute(sa.select(Victim.incident_id, Victim.position).where(Victim.person_id == person.id))
    )


def test_merge_then_undo_restores_the_victim_rows_and_both_pages_say_so(client, auth, users, caplog):
    caplog.set_level(logging.DEBUG)
    kept = a_record(users["reviewer"], "DEF-0100", "Rosa Ficticia")
    twin = a_record(users["reviewer"], "DEF-0101", "Rosa F.")
    first = record(users, victims=[naming("DEF-0100")])
    second = record(users, victims=[naming("DEF-0101"), naming("", group="family_member")])
    twin_rows = rows_of(twin)
    assert twin_rows == [(second.id, 0)]

    auth.login("reviewer")
    confirm = client.post(f"/persons/{twin.id}/merge", data={"into": "def-0100"})
    assert confirm.status_code == 200  # nothing merged yet: both records side by side
    assert "Rosa F." in confirm.text and "Rosa Ficticia" in confirm.text and 'id="confirm-merge"' in confirm.text
    assert rows_of(kept) == [(first.id, 0)]

    done = client.post(f"/persons/{twin.id}/merge", data={"into": "DEF-0100", "confirmed": "1"})
    assert done.status_code == 302 and done.location == f"/persons/{kept.id}"
    assert rows_of(kept) == sorted([(first.id, 0), (second.id, 0)]) and rows_of(twin) == []
    twin_page = client.get(f"/persons/{twin.id}").text
    assert f'href="/persons/{kept.id}">DEF-0100</a>' in twin_page and 'id="unmerge"' in twin_page
    kept_page = client.get(f"/persons/{kept.id}").text
    assert first.ref in kept_page and second.ref in kept_page  # the timeline has both now
    assert f'href="/persons/{twin.id}">DEF-0101</a> was merged into this record' in kept_page
    assert "DEF-0101" not in client.get("/persons/").text  # a merged record leaves the list

    assert client.post(f"/persons/{twin.id}/unmerge").status_code == 302
    assert rows_of(twin) == twin_rows and rows_of(kept) == [(first.id, 0)]
    twin_page = client.get(f"/persons/{twin.id}").text
    assert "Merge undone" in twin_page and 'id="unmerge"' not in twin_page and "undone on" in twin_page
    kept_page = client.get(f"/persons/{kept.id}").text
    assert "was taken out of this record again" in kept_page and second.ref not in kept_page

    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("person_%"))).all()
    assert {"person_created", "person_merged", "person_unmerged", "person_read"} <= {e.action for e in entries}
    for entry in entries:
        said = entry.target + json.dumps(entry.details, ensure_ascii=False)
        for secret in ("DEF-", "def-", "Rosa"):
            assert secret not in said, (entry.action, said)
    merged = next(e for e in entries if e.action == "person_merged")
    assert (merged.target, merged.details) == (f"person:{twin.id}", {"into": kept.id, "rows": 1})
    assert "DEF-" not in caplog.text and "Rosa" not in caplog.text

    auth.logout()
    auth.login("admin")
    log = client.get("/admin/audit").text
    assert "merged into record" in log and "merge into record" in log and "DEF-0" not in log


def test_a_merge_into_an_unknown_or_the_same_record_is_refused(client, auth, users, records):
    person = records["staff"]
    auth.login("reviewer")
    unknown = client.post(f"/persons/{person.id}/merge", data={"into": "DEF-7777", "confirmed": "1"})
    assert unknown.status_code == 400 and "No record has the key DEF-7777." in unknown.text
    itself = client.post(f"/persons/{person.id}/merge", data={"into": STAFFS[0], "confirmed": "1"})
    assert itself.status_code == 400 and "own key" in itself.text
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.merged_into_id.is_not(None))) == 0
    )


def test_a_monitor_s_merged_record_does_not_name_a_record_they_may_not_open(client, auth, users, records):
    auth.login("reviewer")
    mine, staff = records["mine"], records["staff"]
    client.post(f"/persons/{mine.id}/merge", data={"into": STAFFS[0], "confirmed": "1"})
    auth.logout()
    auth.login("monitor")
    page = client.get(f"/persons/{mine.id}").text
    assert "merged into another record, which you may not open" in page
    assert STAFFS[0] not in page and f"/persons/{staff.id}" not in page
    assert 'id="unmerge"' not in page  # a reviewer's
    assert client.get(f"/persons/{mine.id}/edit").status_code == 302  # edit the surviving record instead


# --- escaping ----------------------------------------------------------------------------------


def test_a_name_with_markup_is_shown_as_text(client, auth, users):
    person = a_record(users["monitor"], "DEF-0666", "<script>alert(1)</script>")
    other = a_record(users["reviewer"], "DEF-0667", "<b>bold</b>")
    auth.login("reviewer")
    for path in (f"/persons/{person.id}", "/persons/", f"/persons/{person.id}/edit"):
        page = client.get(path).text
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    confirm = client.post(f"/persons/{other.id}/merge", data={"into": "DEF-0666"}).text
    assert "<b>bold</b>" not in confirm and "&lt;b&gt;bold&lt;/b&gt;" in confirm
    assert "<script>alert(1)" not in confirm


@pytest.mark.parametrize("role", ROLES)
def test_no_page_of_the_register_puts_a_key_in_an_address(client, auth, records, role):
    """Links, form actions and redirects name records by number."""
    auth.login(role)
    for path in ("/persons/", *(f"/persons/{p.id}" for p in records.values())):
        page = client.get(path).text
        for address in re.findall(r'(?:href|action)="([^"]*)"', page):
            assert "DEF-" not in address, address
