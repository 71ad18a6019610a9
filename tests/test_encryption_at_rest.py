"""Restricted values are encrypted at rest (tracker/crypto.py): someone holding the database
file or a dump reads no victim, perpetrator, confidential source, URL, exact place or history,
while the tracker still shows them to those who may read them and finds them by whole words."""

from __future__ import annotations

import io
import re
import stat
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict

from tests.factories import incident_data, restricted_incident, submit_incident
from tests.support import PASSWORD, ROLES, make_app
from tracker.auth.service import create_user
from tracker.auth.tokens import issue_token
from tracker.crypto import DataKeyError, Keyring, encode_key, keyring, new_key
from tracker.extensions import db
from tracker.filters import count_incidents, parse_filters
from tracker.incidents.service import incident_data as stored_data
from tracker.incidents.service import update_incident
from tracker.models import Incident

SECRETS = ("Yupanqui", "Sachawasi", "Merino", "Ollanta", "Chontabamba", "example.org/nota-reservada")
VALUE = re.compile(r"^v1:([A-Za-z0-9_-]+):[A-Za-z0-9+/=]+$")
RAW_COLUMNS = (
    "SELECT place FROM incidents",
    "SELECT name FROM victims",
    "SELECT organisation FROM victims",
    "SELECT name FROM perpetrators",
    "SELECT title FROM sources",
    "SELECT url FROM sources",
    "SELECT snapshot FROM incident_versions",
    "SELECT changes FROM incident_versions",
)


def raw_values(sql: str) -> list[str]:
    """A column as the database holds it, without the decrypting types."""
    return [str(v) for v in db.session.execute(sa.text(sql)).scalars() if v not in ("", None)]


def everything_stored() -> str:
    """Every row of every table, as the database holds it."""
    with db.engine.connect() as conn:
        return "\n".join(
            repr(row)
            for table in db.metadata.sorted_tables
            for row in conn.execute(sa.select(sa.text("*")).select_from(sa.table(table.name)))
        )


def test_the_database_holds_no_restricted_value_in_clear(app, users):
    incident = restricted_incident(users)
    data = stored_data(incident)
    data.victims[0].name = "Rosa Yupanqui Quispe"  # an edit: the history now holds old and new names
    update_incident(incident, data, users["reviewer"], incident.version)
    db.session.commit()
    stored = everything_stored()
    for secret in SECRETS:
        assert secret not in stored
    current = keyring().current_id
    for sql in RAW_COLUMNS:
        values = raw_values(sql)
        assert values, sql
        assert all((m := VALUE.match(v)) and m.group(1) == current for v in values), sql
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        path = Path(db.engine.url.database or "")
        on_disk = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert b"Kallpa" in on_disk  # the title is not restricted: the check reads the right file
        for secret in SECRETS:
            assert secret.encode() not in on_disk
    assert db.session.get(Incident, incident.id).victims[0].name == "Rosa Yupanqui Quispe"
    assert incident.versions[0].snapshot["victims"][0]["name"] == "Rosa Yupanqui"


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_the_api_shows_decrypted_names_to_those_who_may_read_them(app, client, users, role):
    incident = restricted_incident(users, visibility="public", public_location="exact")
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {issue_token(users[role], 'read').plaintext}"}
    body = client.get(f"/api/v1/incidents/{incident.ref}", headers=headers).text
    assert "Chontabamba" in body
    assert ("Yupanqui" in body and "Capataz Merino" in body) == (role in ("admin", "reviewer", "monitor"))


def _found(q: str, user) -> bool:
    filters, _errors = parse_filters(MultiDict({"q": q}))
    return count_incidents(filters, user) == 1


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_restricted_fields_match_whole_words_without_accents(app, users, role):
    restricted_incident(users)
    user = users.get(role)
    sees = role in ("admin", "reviewer", "monitor")
    assert _found("rosa YUPANQUI", user) == sees
    assert _found("Caserio", user) == sees  # "Caserío" without its accent
    assert not _found("Yupan", user)  # part of a word
    assert _found("Wayra", user) == (role != "anonymous")  # a partner incident: the public sees none of it
    assert not _found("Inexistente", user)


def test_imported_incidents_are_encrypted_and_found(app, users, tmp_path):
    from tests.support import FULL, line, write
    from tracker.exchange.importer import import_csv

    path = write(tmp_path, line(**FULL, victim_names="Rosa Yupanqui;"))
    assert import_csv(path).created == 1, import_csv(path, dry_run=True).errors
    assert all(VALUE.match(v) for v in raw_values("SELECT name FROM victims"))
    assert _found("Yupanqui", users["reviewer"]) and not _found("Yupanqui", users["viewer"])


def test_rotate_key_moves_every_value_to_a_new_key(app, users, runner):
    restricted_incident(users)
    old = keyring().current_id
    result = runner.invoke(args=["rotate-key"])
    assert result.exit_code == 0, result.output
    assert "victims: 1 rows" in result.output
    new = keyring().current_id
    assert new != old and (Path(app.instance_path) / "keys" / f"{new}.key").is_file()
    for sql in RAW_COLUMNS:
        assert {VALUE.match(v).group(1) for v in raw_values(sql)} == {new}, sql  # type: ignore[union-attr]
    db.session.expire_all()
    assert db.session.scalars(sa.select(Incident)).one().victims[0].name == "Rosa Yupanqui"
    assert _found("Yupanqui", users["reviewer"]) and not _found("Yupanqui", users["viewer"])


def test_a_value_under_a_missing_key_says_which_key(app, users):
    restricted_incident(users)
    app.extensions["tracker_keyring"] = Keyring([("other", new_key())])
    with pytest.raises(DataKeyError, match="data key '1'"):
        db.session.scalars(sa.select(Incident.place)).all()


@pytest.mark.databases("sqlite")
def test_start_up_without_the_key_of_stored_data_fails_plainly(database_url, tmp_path):
    instance = tmp_path / "instance"
    app = make_app(database_url, instance)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        submit_incident(incident_data(), create_user("m@example.org", "monitor", PASSWORD))
        db.session.remove()
    for key_file in (instance / "keys").iterdir():
        key_file.unlink()
    with pytest.raises(DataKeyError, match="holds encrypted data but no data key"):
        make_app(database_url, instance)


@pytest.mark.databases("sqlite")
def test_keys_from_the_environment(database_url, tmp_path, monkeypatch):
    key = encode_key("k7", new_key())
    monkeypatch.setenv("TRACKER_DATA_KEY", f"{key},{encode_key('k6', new_key())}")
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        assert keyring().current_id == "k7" and set(keyring().keys) == {"k7", "k6"}
    assert not (tmp_path / "instance" / "keys").exists()
    monkeypatch.setenv("TRACKER_DATA_KEY", "k7:short")
    with pytest.raises(DataKeyError, match="TRACKER_DATA_KEY must be"):
        make_app(database_url, tmp_path / "instance")


@pytest.mark.databases("sqlite")
def test_files_are_made_for_their_owner_alone(app, users):
    from tracker.exchange.jobs import start_check, uploads_dir

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    instance = Path(app.instance_path)
    assert mode(instance) == 0o700
    assert mode(instance / "keys") == 0o700
    assert {mode(p) for p in (instance / "keys").iterdir()} == {0o600}
    assert mode(Path(db.engine.url.database or "")) == 0o600
    job = start_check(FileStorage(stream=io.BytesIO(b"ref\n"), filename="a.csv"), "csv", users["reviewer"])
    assert mode(uploads_dir()) == 0o700 and mode(uploads_dir() / job.token) == 0o700
    for _attempt in range(100):  # let the check end before the database goes
        db.session.refresh(job)
        if job.status != "checking":
            break
        time.sleep(0.1)
