"""`tracker backup` and `tracker restore`: a snapshot taken while others write, loaded into an
empty database of the other engine, with every row, id and stored byte as it was."""

from __future__ import annotations

import gzip
import json
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from shapely.geometry import box

from tests.factories import incident_data, record
from tests.support import PASSWORD, ROLES, make_app, postgres_schema
from tracker.auth.service import authenticate, create_user, make_reset_link
from tracker.auth.tokens import issue_token
from tracker.backup.service import FORMAT, restore_backup, storage_type, write_backup
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.incidents.service import create_incident
from tracker.models import ImportJob, Incident, Region, User


@contextmanager
def migrated(url: str, instance: Path):
    """An app whose schema the migrations built, as `tracker init-db` does."""
    app = make_app(url, instance)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        yield app
        db.session.remove()
        db.engine.dispose()


@contextmanager
def bare(url: str, instance: Path):
    """An app on a database with no tables at all."""
    app = make_app(url, instance)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def source(database_url, tmp_path):
    with migrated(database_url, tmp_path / "instance") as app:
        yield app


@pytest.fixture
def other_engine_url(request, database_url, tmp_path):
    """An empty database of the engine the source is not on."""
    if database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    with postgres_schema(request.getfixturevalue("pg_engine")) as url:
        yield url


def fill(users) -> None:
    """Something in every kind of table: incidents with children and history, audit entries,
    tokens, a reset link, a failed login, an import job, a region with its geometry."""
    record(users, "published")
    record(users, "verified", title="Ataque a periodista ficticio", date=incident_data().date.replace(month=7))
    create_incident(incident_data(title="Borrador"), users["monitor"])
    issue_token(users["author"], "script")
    make_reset_link(users["viewer"], actor=users["admin"])
    authenticate("monitor@example.org", "not-the-password", address="192.0.2.7")
    shape = box(-70.5, -13.5, -68.5, -9.5)
    minx, miny, maxx, maxy = shape.bounds
    db.session.add(
        Region(
            level="admin1",
            name="Madre de Dios",
            name_key="madre de dios",
            code="17",
            geometry=shape.wkb,
            centroid_lat=shape.centroid.y,
            centroid_lon=shape.centroid.x,
            min_lon=minx,
            min_lat=miny,
            max_lon=maxx,
            max_lat=maxy,
        )
    )
    db.session.add(ImportJob(token="job-1", user_id=users["monitor"].id, file_name="in.csv", summary={"rows": 3}))
    db.session.commit()


def make_users() -> dict[str, User]:
    return {role: create_user(f"{role}@example.org", role, PASSWORD, name=role.title()) for role in ROLES}


def every_row() -> dict[str, list[tuple]]:
    """Every table's rows, each column read through its storage type (ciphertext as stored)."""
    out = {}
    for table in db.metadata.sorted_tables:
        columns = [sa.type_coerce(c, storage_type(c.type)) for c in table.columns]
        query = sa.select(*columns).order_by(*table.primary_key.columns)
        out[table.name] = [tuple(row) for row in db.session.execute(query)]
    return out


def raw_values() -> list:
    """Stored values read with plain SQL, past every type of the models."""
    return [
        db.session.execute(sa.text(query)).all()
        for query in (
            "SELECT id, name, organisation FROM victims ORDER BY id",
            "SELECT id, title, url FROM sources ORDER BY id",
            "SELECT id, place FROM incidents ORDER BY id",
            "SELECT id, geometry FROM regions ORDER BY id",
            "SELECT id, password_hash FROM users ORDER BY id",
        )
    ]


def backup_file(runner_app, path: Path):
    result = runner_app.test_cli_runner().invoke(args=["backup", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return result


def lines_of(path: Path) -> list:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def rows_in_backup(path: Path) -> dict[str, list[list]]:
    header, *rows = lines_of(path)
    out, start = {}, 0
    for entry in header["tables"]:
        out[entry["name"]] = rows[start : start + entry["rows"]]
        start += entry["rows"]
    return out


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_a_backup_moves_everything_to_the_other_engine(source, other_engine_url, tmp_path):
    users = make_users()
    fill(users)
    before, before_raw = every_row(), raw_values()
    assert all(before[name] for name in ("users", "incidents", "incident_versions", "status_changes", "audit_log"))
    backup = tmp_path / "tracker.backup"
    result = backup_file(source, backup)
    assert "incidents: 3 rows" in result.stderr
    # read now: touching the source's objects inside the target's context would load them
    # through the source's session from the target's database, and hold that connection open
    monitor_id = users["monitor"].id

    with bare(other_engine_url, tmp_path / "instance") as target:
        result = target.test_cli_runner().invoke(args=["restore", str(backup)])
        assert result.exit_code == 0, result.output
        assert "victims: 3 rows" in result.stderr
        assert every_row() == before
        assert raw_values() == before_raw  # byte for byte: nothing decoded and encoded again

        assert authenticate("monitor@example.org", PASSWORD) is not None  # what the login page checks

        highest = max(row[0] for row in before["incidents"])
        monitor = db.session.get(User, monitor_id)
        assert create_incident(incident_data(title="Después"), monitor).id == highest + 1
        assert create_user("new@example.org", "viewer", PASSWORD).id == len(ROLES) + 1


def test_a_backup_is_a_snapshot_while_others_write(source, tmp_path):
    """An incident stored (by another connection) while the backup is being written is in
    none of its tables, so the incidents and their children always agree."""
    users = make_users()
    for n in range(3):
        create_incident(incident_data(title=f"Caso {n}"), users["monitor"])
    written: list[str] = []

    def write_meanwhile(table: str, rows: int) -> None:
        if not written:
            create_incident(incident_data(title="Mientras tanto"), users["monitor"])
        written.append(table)

    write_backup(tmp_path / "b", progress=write_meanwhile)

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 4
    rows = rows_in_backup(tmp_path / "b")
    incident_ids = {row[0] for row in rows["incidents"]}
    assert len(incident_ids) == 3
    for child in ("victims", "perpetrators", "sources", "incident_versions"):
        position = [c.name for c in db.metadata.tables[child].columns].index("incident_id")
        assert {row[position] for row in rows[child]} == incident_ids, child
    assert len(rows["sources"]) == 6


def test_the_backup_is_readable_by_its_owner_only(source, tmp_path):
    make_users()
    backup = tmp_path / "tracker.backup"
    files_before = {p.name for p in tmp_path.iterdir()}
    backup_file(source, backup)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert {p.name for p in tmp_path.iterdir()} - files_before == {"tracker.backup"}  # no snapshot left over
    header = lines_of(backup)[0]
    assert header["format"] == FORMAT and header["alembic_revision"]
    assert {t["name"] for t in header["tables"]} == set(db.metadata.tables)


def test_a_failed_backup_leaves_no_file(source, tmp_path):
    make_users()

    def fail(table: str, rows: int) -> None:
        raise OSError("disk full")

    files_before = {p.name for p in tmp_path.iterdir()}
    with pytest.raises(OSError):
        write_backup(tmp_path / "tracker.backup", progress=fail)
    assert {p.name for p in tmp_path.iterdir()} == files_before


def test_restore_refuses_a_database_that_holds_rows(source, tmp_path):
    make_users()
    backup = tmp_path / "tracker.backup"
    write_backup(backup)
    before = every_row()
    result = source.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 1
    assert "already holds data" in result.output
    assert every_row() == before


def damaged_files(good: Path, folder: Path) -> dict[str, Path]:
    """Files restore must refuse, each with a word of its message."""
    data = good.read_bytes()
    header, *rest = gzip.decompress(data).split(b"\n", 1)

    def with_header(**changes) -> bytes:
        return gzip.compress(json.dumps({**json.loads(header), **changes}).encode() + b"\n" + rest[0])

    files = {
        "not a tracker backup": b"incident,date\nA,2024-01-01\n",
        "damaged": data[: len(data) // 2],
        "cut short": gzip.compress(gzip.decompress(data)[:-40]),
        "newer tracker": with_header(version=2),
        "schema revision": with_header(alembic_revision="0001"),
        "not a tracker backup.": gzip.compress(b'{"format": "something else"}\n'),
    }
    out = {}
    for n, (words, content) in enumerate(files.items()):
        path = folder / f"bad{n}.backup"
        path.write_bytes(content)
        out[words] = path
    return out


def test_restore_refuses_a_bad_file_and_stores_nothing(source, other_engine_url, tmp_path):
    make_users()
    backup = tmp_path / "tracker.backup"
    write_backup(backup)
    with bare(other_engine_url, tmp_path / "instance"):
        for words, path in damaged_files(backup, tmp_path).items():
            with pytest.raises(ServiceError) as refused:
                restore_backup(path)
            assert words.rstrip(".") in str(refused.value), (words, str(refused.value))
            assert table_names() == set(), words  # not even the schema was built
        restore_backup(backup)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(ROLES)


def test_restore_into_a_schema_made_by_init_db(source, tmp_path):
    make_users()
    backup = tmp_path / "tracker.backup"
    write_backup(backup)
    before = every_row()
    target_url = f"sqlite:///{tmp_path / 'initialised.db'}"
    with migrated(target_url, tmp_path / "instance"):
        assert restore_backup(backup) == sum(len(rows) for rows in before.values())
        assert every_row() == before


@pytest.mark.databases("sqlite")
def test_a_database_without_schema_version_is_not_backed_up(app, tmp_path):
    """`db.create_all` (tests only) leaves no Alembic revision; a backup of it could never be restored."""
    with pytest.raises(ServiceError, match="init-db"):
        write_backup(tmp_path / "tracker.backup")
    assert not (tmp_path / "tracker.backup").exists()
