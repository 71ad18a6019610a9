"""Jobs that end: a check or import cut short by a crash or restart is failed at start-up (or
when its page is viewed) and runs again from its kept file; a job of a live process is left
alone; a full disk fails an upload or a job with words, never a 500; the page says what the
job does now. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import errno
import html
import io
import os
import queue
import secrets
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg.errors
import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import EnvironBuilder

from tests.support import FULL, count, line, make_app
from tests.test_exchange_import_web import csv_upload, upload, wait_for
from tracker.config import PROJECT_ROOT
from tracker.exchange import importer, jobs
from tracker.exchange.formats.csv_format import COLUMNS
from tracker.extensions import db
from tracker.models import AuditEntry, DuplicateCandidate, Event, ImportJob, Incident
from tracker.timeutil import utcnow

ROWS = [line(**{**FULL, "title": f"Amenaza {n}", "date": f"2024-0{n}-10"}) for n in (1, 2, 3)]
INTERRUPTED_IMPORT = "The server stopped while this file was being imported; nothing was stored. Run it again."

# Runs the import of a checked job in a process of its own and ends that process abruptly,
# as a crash or a killed worker would: while storing (a batch written, not committed), or just
# after the rows were committed.
CRASHING_IMPORT = """
import os, sys, threading
from pathlib import Path
from tests.support import make_app
from tracker.exchange import importer, jobs
from tracker.extensions import db
from tracker.models import ImportJob

url, instance, job_id, at = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
importer.BATCH_SIZE = 2  # three rows: two batches
if at == "storing":
    write = jobs._JobProgress.__call__
    def crash(self, stage, done, total):
        write(self, stage, done, total)
        if stage == "storing" and done:
            os._exit(3)
    jobs._JobProgress.__call__ = crash
else:
    importer.refresh_statistics = lambda session: os._exit(3)
app = make_app(url, instance)
with app.app_context():
    jobs.start_import(db.session.get(ImportJob, job_id), skip_invalid=False)
    next(t for t in threading.enumerate() if t.name == f"import-job-{job_id}").join()
"""


def restart(app, database_url):
    """What a new server process (a gunicorn worker) does as it starts."""
    make_app(database_url, Path(app.instance_path))
    db.session.expire_all()


def page(client, job_id: int) -> str:
    return html.unescape(client.get(f"/import/{job_id}").text)


def kept_job(app, user, **columns) -> ImportJob:
    """A job with its uploaded file (two valid rows) kept, as the upload leaves it."""
    token = secrets.token_urlsafe(16)
    folder = Path(app.instance_path, "uploads", token)
    folder.mkdir(parents=True)
    rows = [line(title="Uno", date="2024-01-01"), line(title="Dos", date="2024-01-02")]
    (folder / "incidentes.csv").write_text("\n".join([",".join(COLUMNS), *rows]) + "\n")
    job = ImportJob(token=token, user_id=user.id, file_name="incidentes.csv", **columns)
    db.session.add(job)
    db.session.commit()
    return job


def sleeping() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])


@pytest.fixture
def sleeper():
    """A live process of this machine, to stand for a gunicorn worker running a job."""
    process = sleeping()
    yield process
    process.kill()
    process.wait()


def gone_runner() -> str:
    """The runner of a process that has ended."""
    process = sleeping()
    runner = jobs._runner(process.pid)
    process.kill()
    process.wait()
    return runner


@pytest.mark.parametrize("crash", ["storing", "after the commit"])
def test_an_import_cut_short_by_a_crash_is_failed_at_start_up_and_runs_again_to_the_end(
    client, auth, app, database_url, crash
):
    auth.login("reviewer")
    job_id = upload(client, csv_upload(*ROWS))
    assert wait_for(client, job_id)["status"] == "checked"
    child = subprocess.run(
        [sys.executable, "-c", CRASHING_IMPORT, database_url, app.instance_path, str(job_id), crash],
        cwd=PROJECT_ROOT,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert child.returncode == 3, child.stderr
    job = db.session.get(ImportJob, job_id)
    assert job.status == "importing"  # as the crash left it

    restart(app, database_url)
    assert job.status == "failed" and job.finished_at is not None
    text = page(client, job_id)
    if crash == "storing":  # the import's one transaction was never committed
        assert job.summary["failure"] == "interrupted"
        assert count(Incident) == count(Event) == count(DuplicateCandidate) == 0
        assert INTERRUPTED_IMPORT in text and "Import it again" in text
        assert client.post(f"/import/{job_id}/again").status_code == 302
        assert wait_for(client, job_id)["status"] == "done"
        assert "Stored: 3 new incidents and 0 updated" in page(client, job_id)
    else:
        assert job.summary["failure"] == "after_storing"
        assert "The rows were stored, but the server stopped before the import ended" in text
        assert 'id="rerun-form"' not in text
        refused = client.post(f"/import/{job_id}/again", follow_redirects=True)
        assert "This file cannot be run again" in refused.text
    assert sorted(db.session.scalars(sa.select(Incident.title))) == ["Amenaza 1", "Amenaza 2", "Amenaza 3"]
    assert count(Event) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "import")) == 1


def test_a_check_cut_short_is_failed_at_start_up_and_checks_again(client, auth, app, database_url, users):
    job = kept_job(app, users["reviewer"], status="checking", stage="checking", done=1, runner=gone_runner())
    restart(app, database_url)
    assert (job.status, job.summary) == ("failed", {"failure": "interrupted"})

    auth.login("reviewer")
    text = page(client, job.id)
    assert "The server stopped while this file was being checked. Check it again." in text
    assert "Check it again</button>" in text
    client.post(f"/import/{job.id}/again")
    assert wait_for(client, job.id)["status"] == "checked"
    assert "Import all 2 rows" in page(client, job.id)


RUNNERS = {
    # SQLite writes no progress while it stores: the live process counts, not its silence
    "a live process of this machine, silent for an hour": (lambda p: jobs._runner(p.pid), 60, False),
    "a process that has ended": (lambda p: gone_runner(), 0, True),
    "a new process given the same pid": (lambda p: f"{p.pid}:1@{jobs._machine()}", 0, True),
    "another machine, heard from a minute ago": (lambda p: "4242:77@elsewhere/boot/pid:[1]", 1, False),
    "another machine, silent for an hour": (lambda p: "4242:77@elsewhere/boot/pid:[1]", 60, True),
    "a job stored before runners were recorded, a day old": (lambda p: "", 24 * 60, True),
}


@pytest.mark.parametrize("whose", RUNNERS)
def test_start_up_fails_only_the_jobs_whose_process_is_gone(app, database_url, users, sleeper, whose):
    runner, silent_minutes, ends = RUNNERS[whose]
    ago = utcnow() - timedelta(minutes=silent_minutes)
    job = kept_job(
        app, users["reviewer"], status="importing", stage="storing", runner=runner(sleeper), heartbeat_at=ago
    )
    job.created_at = ago
    db.session.commit()
    restart(app, database_url)
    assert job.status == ("failed" if ends else "importing")


def test_a_job_whose_process_or_thread_died_is_shown_failed_without_a_restart(client, auth, app, users, sleeper):
    auth.login("reviewer")
    worker = kept_job(
        app,
        users["reviewer"],
        status="importing",
        stage="storing",
        summary={"rows": 2, "valid": 2},
        runner=jobs._runner(sleeper.pid),
    )
    assert client.get(f"/import/{worker.id}/progress").get_json()["status"] == "importing"
    sleeper.kill()
    sleeper.wait()
    assert client.get(f"/import/{worker.id}/progress").get_json()["status"] == "failed"
    assert INTERRUPTED_IMPORT in page(client, worker.id)

    # a thread of this very process that ended without saying so (its last write failed)
    thread = kept_job(app, users["reviewer"], status="checking", runner=jobs._runner(os.getpid()))
    assert "Checking the file" not in client.get("/import/").text  # the list shows it failed
    db.session.expire_all()
    assert thread.status == "failed" and 'id="rerun-form"' in page(client, thread.id)


def test_a_full_disk_during_the_upload_keeps_nothing_and_says_why(client, auth, app, monkeypatch):
    def full_disk(self, dst, buffer_size=16384):
        Path(dst).write_bytes(b"title,date\n")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileStorage, "save", full_disk)
    auth.login("reviewer")
    response = client.post("/import/", data={**csv_upload(*ROWS), "format": "csv"}, content_type="multipart/form-data")
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "The server's disk is full, so the file could not be kept. Ask an administrator to free space" in text
    assert '<option selected value="csv">' in text
    assert list(Path(app.instance_path, "uploads").iterdir()) == [] and count(ImportJob) == 0


class FullDisk(io.BytesIO):
    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_the_upload_is_received_says_why(client, auth, app, monkeypatch):
    """Werkzeug spools a large upload to a temporary file as it reads the request, before any
    view runs (with CSRF on, its check reads the form first)."""
    monkeypatch.setattr(app.request_class, "_get_file_stream", lambda self, *args, **kwargs: FullDisk())
    auth.login("reviewer")
    response = client.post("/import/", data=csv_upload(*ROWS), content_type="multipart/form-data")
    assert response.status_code == 400
    assert "The server's disk is full, so the file could not be kept." in html.unescape(response.text)
    assert count(ImportJob) == 0


def test_an_upload_cut_off_midway_says_why(client, auth, app):
    auth.login("reviewer")
    environ = EnvironBuilder(
        path="/import/", method="POST", data=csv_upload(*ROWS), environ_base=client.environ_base
    ).get_environ()
    body = environ["wsgi.input"].read()
    environ["wsgi.input"] = io.BytesIO(body[: len(body) // 2])  # Content-Length still says the whole
    environ.pop("wsgi.input_terminated", None)  # a server that leaves the length to werkzeug
    environ["HTTP_COOKIE"] = f"session={client.get_cookie('session').value}"  # the reviewer's browser
    answer, status, _headers = client.run_wsgi_app(environ, buffered=True)  # as sent, not rebuilt
    assert status.startswith("400")
    assert "The upload was cut off before the whole file arrived. Upload it again." in b"".join(answer).decode()
    assert not Path(app.instance_path, "uploads").exists() and count(ImportJob) == 0


def _database_full(dialect: str) -> Exception:
    if dialect == "sqlite":
        orig = sqlite3.OperationalError("database or disk is full")
        orig.sqlite_errorcode = sqlite3.SQLITE_FULL
    else:
        orig = psycopg.errors.DiskFull("could not extend file")
    return sa.exc.OperationalError("INSERT INTO incidents …", {}, orig)


@pytest.mark.parametrize(
    "error, words",
    [
        (OSError(errno.ENOSPC, "No space left on device"), "The server's disk is full. Nothing was stored"),
        (_database_full("sqlite"), "The server's disk is full. Nothing was stored"),
        (_database_full("postgresql"), "The server's disk is full. Nothing was stored"),
        (OSError(errno.EIO, "Input/output error"), "The server could not read the uploaded file. Nothing was stored"),
    ],
)
def test_a_full_disk_while_importing_fails_the_job_with_words(client, auth, monkeypatch, caplog, error, words):
    auth.login("reviewer")
    job_id = upload(client, csv_upload(*ROWS))
    wait_for(client, job_id)

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(jobs, "import_file", failing)
    client.post(f"/import/{job_id}/import")
    assert wait_for(client, job_id)["status"] == "failed"
    text = page(client, job_id)
    assert words in text and "Import it again" in text
    assert count(Incident) == 0
    assert "incidentes" not in caplog.text and "No space" not in caplog.text  # the log has the kind alone


def test_the_page_says_what_the_import_does_now(client, auth, app, monkeypatch):
    """Each stage paused while the page polls, as another process would read it: on SQLite the
    import holds the one write lock while it stores, so the count comes at the end."""
    auth.login("reviewer")
    job_id = upload(client, csv_upload(*ROWS))
    assert wait_for(client, job_id)["text"] == "Checked: waiting for your decision"
    paused, resume = queue.Queue(), queue.Queue()

    def pause(stage):
        paused.put(stage)
        resume.get(timeout=30)

    write = jobs._JobProgress.__call__

    def pausing(self, stage, done, total):
        write(self, stage, done, total)
        if stage in ("checking", "storing") and done == total:
            pause(stage)

    refresh = importer.refresh_statistics
    monkeypatch.setattr(jobs._JobProgress, "__call__", pausing)
    monkeypatch.setattr(importer, "refresh_statistics", lambda session: (pause("finishing"), refresh(session)))
    client.post(f"/import/{job_id}/import")
    storing = "Storing 3 rows…" if db.engine.dialect.name == "sqlite" else "Storing: 3 of 3 rows"
    expected = {
        "checking": "Reading the file before storing it: 3 of 3 rows",
        "storing": storing,
        "finishing": "Finishing: the rows are stored; updating the statistics…",
    }
    for stage, text in expected.items():
        assert paused.get(timeout=30) == stage
        state = client.get(f"/import/{job_id}/progress").get_json()
        assert (state["status"], state["text"]) == ("importing", text)
        shown = page(client, job_id)
        assert f'<p id="progress-text" role="status">{text}</p>' in shown and "Checking" not in shown
        assert "if the import stops before, nothing of the file is stored" in shown
        assert count(Incident) == (3 if stage == "finishing" else 0)
        resume.put(None)
    assert wait_for(client, job_id)["text"] == "Imported"


def test_only_the_owner_runs_a_job_again_and_with_the_form_token(client, auth, app, users):
    job = kept_job(app, users["reviewer"], status="failed", summary={"failure": "interrupted"})
    auth.login("monitor")
    assert client.post(f"/import/{job.id}/again").status_code == 403
    auth.logout()
    auth.login("admin")  # may import, but not someone else's file
    assert client.post(f"/import/{job.id}/again").status_code == 404
    auth.logout()
    auth.login("reviewer")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/import/{job.id}/again").status_code == 400
    app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert job.status == "failed"
    assert client.post(f"/import/{job.id}/again").status_code == 302
    assert wait_for(client, job.id)["status"] == "checked"
