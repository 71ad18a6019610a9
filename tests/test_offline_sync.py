"""The sync endpoint phones send their sealed outbox to (tracker/offline/): each record stored
once under its UUID, as an incident when the form accepts it, else held for its monitor with
the problems listed; never dropped, never readable by another account."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import form_fields, incident_data
from tests.outbox import SYNC_HEADERS, pairs, seal, sealed_record
from tracker.extensions import db
from tracker.incidents.service import create_incident
from tracker.models import AuditEntry, HeldDraft, Incident, OfflineReceipt
from tracker.offline.sealing import KEY_FILE, public_jwk


@pytest.fixture
def jwk(app):
    return public_jwk()


def send(client, *records, headers=SYNC_HEADERS):
    return client.post("/offline/sync", json={"records": list(records)}, headers=headers)


def results(client, *records) -> list[dict]:
    answer = send(client, *records)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["results"]


def incidents() -> list[Incident]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Incident)))


def test_a_record_sent_twice_is_one_incident_with_its_victim(client, auth, users, jwk):
    auth.login("monitor")
    record = sealed_record(jwk, users["monitor"].id, incident_data(title="Desde el campo"))
    first = results(client, record)[0]
    assert first["outcome"] == "stored" and first["uuid"] == record["uuid"], first
    again = results(client, record, record)
    assert [a["ref"] for a in again] == [first["ref"], first["ref"]]
    (stored,) = incidents()
    assert stored.ref == first["ref"] and stored.title == "Desde el campo" and stored.status == "draft"
    assert stored.created_by_id == users["monitor"].id
    assert [v.name for v in stored.victims] == ["Rosa Ficticia"]
    assert first["url"] == f"/incidents/{stored.ref}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OfflineReceipt)) == 1


def test_save_and_submit_on_the_phone_sends_it_for_review(client, auth, users, jwk):
    auth.login("monitor")
    (answer,) = results(client, sealed_record(jwk, users["monitor"].id, submit="1"))
    assert answer["status"] == "submitted"
    assert incidents()[0].status == "submitted"


def test_a_batch_answers_each_record_in_order(client, auth, users, jwk):
    auth.login("monitor")
    records = [sealed_record(jwk, users["monitor"].id, incident_data(title=f"Registro {n}")) for n in range(5)]
    answers = results(client, *records)
    assert [a["uuid"] for a in answers] == [r["uuid"] for r in records]
    assert sorted(i.title for i in incidents()) == [f"Registro {n}" for n in range(5)]


def test_a_record_the_form_refuses_is_held_with_its_problems_and_saved_from_the_form(client, auth, users, jwk):
    auth.login("monitor")
    record = sealed_record(jwk, users["monitor"].id, incident_data(title="", place="Comunidad Nativa Ficticia"))
    (answer,) = results(client, record)
    assert answer["outcome"] == "held"
    assert [label for label, _message in answer["problems"]] == ["Title"]
    assert incidents() == []
    outbox = client.get("/offline/outbox").get_data(as_text=True)
    assert "Give the incident a short title." in outbox and "2024-05-10" in outbox
    form = client.get(answer["url"])
    page = form.get_data(as_text=True)
    assert form.status_code == 200 and "Rosa Ficticia" in page and "Give the incident a short title." in page
    assert 'name="csrf_token"' in page
    # the monitor corrects it and saves: the incident exists, the held draft is gone
    fields = {name: value for name, value in record_fields(answer["held"])}
    fields.update(title="Título corregido", save="1")
    saved = client.post(answer["url"], data=fields)
    assert saved.status_code == 302
    assert [i.title for i in incidents()] == ["Título corregido"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HeldDraft)) == 0
    # the phone sending it once more (its answer was lost) is told there is nothing left to do
    assert results(client, record)[0]["outcome"] == "done"
    assert len(incidents()) == 1


def record_fields(draft_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [tuple(pair) for pair in db.session.get(HeldDraft, draft_id).fields]


def test_a_record_that_cannot_be_unsealed_is_held_with_the_reason(client, auth, users, jwk):
    auth.login("monitor")
    damaged = sealed_record(jwk, users["monitor"].id)
    damaged["data"] = damaged["data"][:-8] + "AAAAAAA="
    other_key = sealed_record(jwk, users["monitor"].id) | {"kid": "0" * 16}
    answers = results(client, damaged, other_key)
    assert [a["outcome"] for a in answers] == ["held", "held"]
    assert "damaged or altered" in answers[0]["problems"][0][1]
    assert "key this server no longer has" in answers[1]["problems"][0][1]
    page = client.get("/offline/outbox").get_data(as_text=True)
    assert "damaged or altered" in page
    assert incidents() == []


def test_a_record_moved_under_another_uuid_does_not_open(client, auth, users, jwk):
    auth.login("monitor")
    record = sealed_record(jwk, users["monitor"].id)
    moved = record | {"uuid": "0f0e0d0c-0b0a-4908-8706-050403020100"}
    (answer,) = results(client, moved)
    assert answer["outcome"] == "held" and "altered" in answer["problems"][0][1]


def test_another_accounts_record_is_refused_and_stays_on_the_phone(client, auth, users, jwk):
    auth.login("reviewer")
    record = sealed_record(jwk, users["monitor"].id)
    (answer,) = results(client, record)
    assert answer["outcome"] == "refused" and answer["uuid"] == record["uuid"]
    assert incidents() == [] and db.session.scalar(sa.select(sa.func.count()).select_from(OfflineReceipt)) == 0
    client.post("/auth/logout")
    auth.login("monitor")
    assert results(client, record)[0]["outcome"] == "stored"


def test_a_stored_record_is_not_described_to_another_account(client, auth, users, jwk):
    auth.login("monitor")
    record = sealed_record(jwk, users["monitor"].id)
    results(client, record)
    client.post("/auth/logout")
    auth.login("reviewer")
    (answer,) = results(client, record)
    assert answer["outcome"] == "refused" and "ref" not in answer


def test_sync_needs_our_header_and_our_origin(client, auth, users, jwk):
    auth.login("monitor")
    record = sealed_record(jwk, users["monitor"].id)
    assert send(client, record, headers={"Origin": "http://localhost"}).status_code == 403
    assert send(client, record, headers={"X-Tracker-Sync": "1", "Origin": "https://evil.example"}).status_code == 403
    assert send(client, record, headers={"X-Tracker-Sync": "1"}).status_code == 403
    cross_site = SYNC_HEADERS | {"Sec-Fetch-Site": "cross-site"}
    assert send(client, record, headers=cross_site).status_code == 403
    assert incidents() == []
    assert send(client, record).status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("not json", 400),
        ({"records": []}, 400),
        ({"records": "x"}, 400),
        ({"records": [{}] * 51}, 400),
    ],
)
def test_bodies_that_are_not_records_are_refused_in_words(client, auth, body, status):
    auth.login("monitor")
    if isinstance(body, str):
        answer = client.post("/offline/sync", data=body, headers=SYNC_HEADERS, content_type="application/json")
    else:
        answer = client.post("/offline/sync", json=body, headers=SYNC_HEADERS)
    assert answer.status_code == status
    assert "records" in answer.get_json()["error"]


def test_a_record_without_a_valid_uuid_is_refused(client, auth, users, jwk):
    auth.login("monitor")
    record = sealed_record(jwk, users["monitor"].id) | {"uuid": "../../etc"}
    (answer,) = results(client, record)
    assert answer["outcome"] == "refused" and incidents() == []


@pytest.mark.parametrize("role", ["author", "viewer"])
def test_only_those_who_record_may_sync_or_open_the_outbox(client, auth, users, jwk, role):
    auth.login(role)
    assert send(client, sealed_record(jwk, users[role].id)).status_code == 403
    assert client.get("/offline/outbox").status_code == 403
    assert client.get("/offline/ping").status_code == 403
    assert incidents() == []


def test_a_session_that_ended_is_sent_to_log_in_and_nothing_is_stored(client, users, jwk):
    answer = send(client, sealed_record(jwk, users["monitor"].id))
    assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"]
    assert client.get("/offline/ping").status_code == 302
    assert incidents() == []


def test_held_drafts_are_their_monitors_alone(client, auth, users, jwk, app):
    from tracker.auth.service import create_user

    other = create_user("monitor2@example.org", "monitor", "correct-horse-42", name="Otra")
    auth.login("monitor")
    (answer,) = results(client, sealed_record(jwk, users["monitor"].id, incident_data(title="")))
    client.post("/auth/logout")
    auth.login(other.email)
    assert client.get(answer["url"]).status_code == 404
    assert client.post(f"/offline/held/{answer['held']}/discard").status_code == 404
    assert "Rosa Ficticia" not in client.get("/offline/outbox").get_data(as_text=True)
    client.post("/auth/logout")
    auth.login("monitor")
    assert client.post(f"/offline/held/{answer['held']}/discard").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HeldDraft)) == 0
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "offline record held" in actions and "held draft discarded" in actions


def test_held_fields_are_encrypted_in_the_database(client, auth, users, jwk):
    auth.login("monitor")
    results(client, sealed_record(jwk, users["monitor"].id, incident_data(title="")))
    raw = db.session.execute(sa.text("SELECT fields, problems FROM held_drafts")).one()
    assert "Rosa Ficticia" not in raw.fields and "title" not in raw.problems.lower()


def test_the_outbox_key_is_the_servers_alone_and_the_form_carries_its_public_half(app, client, auth, users, jwk):
    key_file = Path(app.instance_path) / "keys" / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    auth.login("monitor")
    page = client.get("/incidents/new").get_data(as_text=True)
    assert 'id="outbox-key"' in page and jwk["n"] in page and "PRIVATE" not in page
    assert 'id="device-rules"' in page and "data-offline" in page
    # an edit does not wait on the phone: it is merged with the server's version when saved
    incident = create_incident(incident_data(), users["monitor"])
    db.session.commit()
    edit = client.get(f"/incidents/{incident.ref}/edit").get_data(as_text=True)
    assert "Rosa Ficticia" in edit and "data-offline" not in edit


def test_a_phone_sealed_record_opens_with_the_same_scheme(app, jwk):
    """The Python sealing the tests use matches the server's opening (the browser's is tested in
    tests/browser/test_offline_entry.py)."""
    from tracker.offline.sealing import unseal

    envelope = seal({"owner": 1, "fields": [["title", "ñandú"]]}, "0f0e0d0c-0b0a-4908-8706-050403020100", jwk)
    assert unseal(envelope, envelope["uuid"]) == {"owner": 1, "fields": [["title", "ñandú"]]}


def test_logout_clears_the_site_data_of_a_shared_phone(client, auth):
    auth.login("monitor")
    answer = client.post("/auth/logout")
    assert answer.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_the_service_worker_is_public_and_precaches_only_static_files(client, app):
    answer = client.get("/sw.js")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "no-cache"
    script = answer.get_data(as_text=True)
    assert "/static/vendor/workbox/workbox-sw.js" in script and "/static/js/offline/store.js" in script
    static = Path(app.static_folder)
    from tracker.offline.worker import precache_manifest

    with app.test_request_context():
        manifest = precache_manifest()
    assert all(entry["url"].startswith("/static/") for entry in manifest)
    assert all((static / entry["url"].removeprefix("/static/")).is_file() for entry in manifest)
    assert sum((static / e["url"].removeprefix("/static/")).stat().st_size for e in manifest) < 1_000_000


FORM_UUID = "6a1f0c2e-8d4b-4c3e-9f0a-1b2c3d4e5f60"


def test_the_form_and_the_phones_copy_of_one_save_make_one_incident(client, auth, users, jwk):
    """A save posts the form with the UUID of the sealed copy the phone keeps (entry.js): a
    second click, or the copy sent afterwards, finds it stored."""
    auth.login("monitor")
    fields = form_fields(incident_data(title="Guardado en línea"), save="1", client_uuid=FORM_UUID)
    first = client.post("/incidents/new", data=fields)
    assert first.status_code == 302
    (stored,) = incidents()
    again = client.post("/incidents/new", data=fields)
    assert again.status_code == 302 and again.headers["Location"] == f"/incidents/{stored.ref}"
    copy = seal(
        {"owner": users["monitor"].id, "fields": pairs(incident_data(title="Guardado en línea"))}, FORM_UUID, jwk
    )
    (answer,) = results(client, copy)
    assert (answer["outcome"], answer["ref"], answer["again"]) == ("stored", stored.ref, True)
    assert len(incidents()) == 1


def test_a_form_sent_back_to_correct_retires_the_phones_copy(client, auth, users, jwk):
    auth.login("monitor")
    refused = client.post("/incidents/new", data=form_fields(incident_data(title=""), save="1", client_uuid=FORM_UUID))
    assert refused.status_code == 400
    assert FORM_UUID not in refused.get_data(as_text=True)  # the corrected save is a new record
    copy = seal({"owner": users["monitor"].id, "fields": pairs(incident_data(title=""))}, FORM_UUID, jwk)
    assert results(client, copy)[0]["outcome"] == "done"
    assert incidents() == [] and db.session.scalar(sa.select(sa.func.count()).select_from(HeldDraft)) == 0


def test_a_copy_sent_before_the_form_makes_the_form_show_the_stored_incident(client, auth, users, jwk):
    auth.login("monitor")
    copy = seal({"owner": users["monitor"].id, "fields": pairs(incident_data())}, FORM_UUID, jwk)
    (answer,) = results(client, copy)
    posted = client.post("/incidents/new", data=form_fields(incident_data(), save="1", client_uuid=FORM_UUID))
    assert posted.status_code == 302 and posted.headers["Location"] == answer["url"]
    assert len(incidents()) == 1
