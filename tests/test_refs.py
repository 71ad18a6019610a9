"""References (PE-2024-00042) from a counter per year: concurrent creates never collide (in
threads, and from browsers' requests to gunicorn's worker processes), an
import continues past the references its file gives, a rolled-back create gives its number
back, and an upgraded database continues after the references it already holds."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.factories import incident_data
from tests.served import gunicorn, record_incidents
from tests.support import PASSWORD, line, make_app, write
from tracker.auth.service import create_user
from tracker.exchange.importer import import_file
from tracker.extensions import db
from tracker.incidents.refs import allocate_refs
from tracker.incidents.service import create_incident
from tracker.models import Incident, RefCounter, User

CLIENTS, CREATES = 4, 25
SERVED_CREATES = 10


def stored_refs() -> list[str]:
    return sorted(db.session.scalars(sa.select(Incident.ref)))


def test_concurrent_creates_get_distinct_consecutive_refs(app, users):
    monitor_id = users["monitor"].id
    db.session.commit()
    failures: list[BaseException] = []

    def monitor_saves() -> None:
        with app.app_context():
            try:
                monitor = db.session.get(User, monitor_id)
                for _n in range(CREATES):
                    create_incident(incident_data(), monitor)
            except BaseException as exc:  # the test reports it below
                failures.append(exc)

    clients = [threading.Thread(target=monitor_saves) for _n in range(CLIENTS)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=120)
    assert failures == []
    assert stored_refs() == [f"PE-2024-{n:05d}" for n in range(1, CLIENTS * CREATES + 1)]


def test_monitors_saving_at_once_through_gunicorn_all_get_their_incident(app, database_url, tmp_path):
    emails = [f"m{i}@example.org" for i in range(CLIENTS)]
    for email in emails:
        create_user(email, "monitor", PASSWORD)
    db.session.commit()
    with gunicorn(database_url, tmp_path / "served", workers=4) as base, ThreadPoolExecutor(CLIENTS) as pool:
        runs = list(pool.map(lambda email: record_incidents(base, email, PASSWORD, SERVED_CREATES), emails))
    assert [problem for run in runs for _seconds, problem in run if problem] == []
    assert stored_refs() == [f"PE-2024-{n:05d}" for n in range(1, CLIENTS * SERVED_CREATES + 1)]


@pytest.mark.databases("postgresql")  # SQLite lets one connection write at a time anyway
def test_saves_go_on_while_a_long_import_is_still_storing(app, users):
    monitor_id = users["monitor"].id
    db.session.commit()
    assert allocate_refs("PE", [2024, 2024], apart=True) == ["PE-2024-00001", "PE-2024-00002"]
    db.session.execute(sa.text("SELECT 1"))  # the import's transaction stays open, uncommitted
    saved: list[str] = []

    def monitor_saves() -> None:
        with app.app_context():
            saved.append(create_incident(incident_data(), db.session.get(User, monitor_id)).ref)

    thread = threading.Thread(target=monitor_saves)
    thread.start()
    thread.join(timeout=10)
    assert saved == ["PE-2024-00003"]
    db.session.rollback()  # the import fails: its numbers stay used, a gap
    assert create_incident(incident_data(), users["monitor"]).ref == "PE-2024-00004"


def test_a_rolled_back_create_gives_its_number_back(app, users, monkeypatch):
    create_incident(incident_data(), users["monitor"])

    def fails(*args, **kwargs):
        raise RuntimeError("the save fails after its number was taken")

    with monkeypatch.context() as patched:
        patched.setattr("tracker.incidents.service.audit.record", fails)
        with pytest.raises(RuntimeError):
            create_incident(incident_data(), users["monitor"])
    db.session.rollback()  # as the request's teardown does
    assert create_incident(incident_data(), users["monitor"]).ref == "PE-2024-00002"


def test_an_import_continues_after_the_refs_its_file_gives(app, users, tmp_path):
    create_incident(incident_data(), users["monitor"])  # PE-2024-00001
    path = write(
        tmp_path,
        line(title="given", date="2024-03-01", ref="PE-2024-00040"),
        line(title="new in 2024", date="2024-03-02"),
        line(title="new in 2023", date="2023-03-02"),
        line(title="another prefix", date="2024-03-03", ref="XX-2024-00900"),
    )
    assert import_file(path).created == 4
    assert stored_refs() == ["PE-2023-00001", "PE-2024-00001", "PE-2024-00040", "PE-2024-00041", "XX-2024-00900"]
    assert create_incident(incident_data(), users["monitor"]).ref == "PE-2024-00042"


def test_an_upgraded_database_continues_after_its_stored_refs(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        monitor = create_user("m@example.org", "monitor", PASSWORD)
        for when in (date(2024, 1, 1), date(2024, 2, 1), date(2023, 1, 1)):
            create_incident(incident_data(date=when), monitor)
        db.session.execute(sa.update(Incident).where(Incident.ref == "PE-2024-00002").values(ref="PE-2024-00012"))
        db.session.commit()
        downgrade(revision="0006")  # a database from before the counters, holding these references
        upgrade()
        counters = {(c.prefix, c.year): c.last for c in db.session.scalars(sa.select(RefCounter))}
        assert counters == {("PE", 2024): 12, ("PE", 2023): 1}
        assert create_incident(incident_data(), monitor).ref == "PE-2024-00013"
        db.session.remove()
        db.engine.dispose()


def test_refs_follow_the_year_of_the_incident(app, users):
    assert create_incident(incident_data(date=date(2022, 5, 1)), users["monitor"]).ref == "PE-2022-00001"
