"""The import pages: upload, the check's report with line and column, the preview, importing
only the valid rows, progress that can be left and come back to, the size limit, and the
reviewer's page of possible duplicates. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import FULL, line, write
from tracker.exchange.formats.csv_format import COLUMNS
from tracker.exchange.importer import import_file
from tracker.extensions import db
from tracker.models import AuditEntry, DuplicateCandidate, ImportJob, Incident, StatusChange

FINAL = ("checked", "done", "failed")


def csv_upload(*rows: str, name: str = "incidentes.csv") -> dict:
    body = "\n".join([",".join(COLUMNS), *rows]) + "\n"
    return {"file": (io.BytesIO(body.encode()), name), "format": ""}


def upload(client, data: dict) -> int:
    response = client.post("/import/", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def wait_for(client, job_id: int, timeout: float = 60) -> dict:
    """Poll the job as the page does until it stops running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/import/{job_id}/progress").get_json()
        if state["status"] in FINAL:
            return state
        time.sleep(0.05)
    raise AssertionError(f"import job {job_id} still running after {timeout} s")


@pytest.mark.parametrize(
    "role, code", [("monitor", 403), ("author", 403), ("viewer", 403), ("reviewer", 200), ("admin", 200)]
)
def test_only_reviewers_and_admins_import(client, auth, role, code):
    auth.login(role)
    assert client.get("/import/").status_code == code
    assert ('href="/import/"' in client.get("/incidents/").text) == (code == 200)


def test_upload_preview_problems_then_import_only_the_valid_rows(client, auth, app):
    auth.login("reviewer")
    job_id = upload(
        client,
        csv_upload(
            line(**FULL, ref="PE-2024-00001"),
            line(title="Amenaza", date="2024-02-01", violations="threat;protest_killings"),
            line(title="Ubicación invertida", date="2024-02-02", latitude="-77.03", longitude="-12.12"),
        ),
    )
    assert wait_for(client, job_id)["status"] == "checked"

    page = client.get(f"/import/{job_id}").text
    assert "3 rows read (CSV)." in page and "2 rows have errors" in page
    assert (
        "<td>3</td><td>violations</td><td>unknown code &#39;protest_killings&#39; (did you mean protest_killing" in page
    )
    assert "<td>4</td><td>latitude</td><td>latitude and longitude look swapped</td>" in page
    assert "The first rows, as they will be stored" in page and FULL["title"] in page
    assert "Madre de Dios" in page and "Threat" in page
    assert "Import the 1 valid rows, skip 2" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0

    refused = client.post(f"/import/{job_id}/import", follow_redirects=True)
    assert "tick the box to import the valid rows only" in refused.text
    assert client.post(f"/import/{job_id}/import", data={"skip_invalid": "y"}).status_code == 302
    assert wait_for(client, job_id)["status"] == "done"
    page = client.get(f"/import/{job_id}").text
    assert "Stored: 1 new incidents and 0 updated; 0 rows changed nothing; 2 rows with errors were left out." in page
    assert db.session.scalars(sa.select(Incident.ref)).all() == ["PE-2024-00001"]
    job = db.session.get(ImportJob, job_id)
    db.session.refresh(job)
    assert "sample" not in job.summary and not Path(app.instance_path, "uploads", job.token).exists()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "import"))
    assert entry.actor == "reviewer@example.org" and entry.details["skipped"] == 2


def test_a_file_without_errors_imports_all_rows_and_lists_in_recent_imports(client, auth):
    auth.login("admin")
    job_id = upload(
        client,
        csv_upload(line(title="Uno", date="2024-01-01"), line(title="Dos", date="2024-01-02"), name="dos-filas.csv"),
    )
    wait_for(client, job_id)
    page = client.get(f"/import/{job_id}").text
    assert "Import all 2 rows" in page and "no source: a reviewer will need one" in page
    client.post(f"/import/{job_id}/import")
    assert wait_for(client, job_id)["status"] == "done"
    assert "dos-filas.csv" in client.get("/import/").text

    progress = client.get(f"/import/{job_id}/progress").get_json()
    assert set(progress) == {"status", "done", "total", "text"}
    auth.logout()
    auth.login("reviewer")  # another reviewer's import is not theirs to see
    assert client.get(f"/import/{job_id}").status_code == 404
    assert client.get(f"/import/{job_id}/progress").status_code == 404


def test_broken_upload_is_reported_and_offers_nothing_to_import(client, auth):
    auth.login("reviewer")
    job_id = upload(client, {"file": (io.BytesIO(b"not a workbook"), "datos.xlsx"), "format": ""})
    wait_for(client, job_id)
    page = client.get(f"/import/{job_id}").text
    assert "the file is not a readable XLSX workbook" in page
    assert "The file cannot be imported" in page and 'id="confirm-form"' not in page


def test_too_large_upload_gets_a_clear_message(client, auth, app):
    auth.login("reviewer")
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    big = {"file": (io.BytesIO(b"x" * (1024 * 1024 + 1)), "big.csv"), "format": ""}
    response = client.post("/import/", data=big, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "The file is larger than 1 MB" in response.text


def test_possible_duplicates_are_decided_by_a_reviewer(client, auth, app, tmp_path, users):
    import_file(write(tmp_path, line(**FULL, ref="PE-2024-00001"), name="first.csv"))
    similar = {**FULL, "title": "Amenazas a una defensora ficticia", "date": "2024-05-11"}
    import_file(
        write(
            tmp_path,
            line(**similar),
            line(**{**similar, "title": "Amenaza a la defensora ficticia"}),
            name="second.csv",
        ),
        user=users["reviewer"],
    )
    auth.login("reviewer")
    assert "2 possible duplicates wait for a decision" in client.get("/import/").text
    page = client.get("/import/duplicates").text
    assert page.count('class="pair"') == 2 and "PE-2024-00001" in page
    first, second = db.session.scalars(sa.select(DuplicateCandidate).order_by(DuplicateCandidate.id)).all()

    response = client.post(f"/import/duplicates/{first.id}", data={"decision": "duplicate"}, follow_redirects=True)
    assert f"{first.incident.ref} marked as a duplicate of PE-2024-00001 and rejected." in response.text
    client.post(f"/import/duplicates/{second.id}", data={"decision": "dismiss"})
    db.session.expire_all()
    assert (first.status, second.status) == ("merged", "dismissed")
    assert (first.incident.status, second.incident.status) == ("rejected", "verified")
    change = db.session.scalar(sa.select(StatusChange).where(StatusChange.incident_id == first.incident_id))
    assert (change.to_status, change.comment) == ("rejected", "Duplicate of PE-2024-00001.")
    assert "No possible duplicates wait for a decision." in client.get("/import/duplicates").text
    assert (
        client.post(f"/import/duplicates/{first.id}", data={"decision": "dismiss"}, follow_redirects=True).text.count(
            "decided already"
        )
        == 1
    )


def test_uploads_older_than_a_day_are_deleted_with_their_preview(app, users, tmp_path):
    import os

    from werkzeug.datastructures import FileStorage

    from tracker.exchange import jobs

    upload = FileStorage(
        io.BytesIO(("\n".join([",".join(COLUMNS), line(title="Uno", date="2024-01-01")])).encode()),
        filename="viejo.csv",
    )
    job = jobs.start_check(upload, "", users["reviewer"])
    deadline = time.monotonic() + 30
    while db.session.get(ImportJob, job.id).status == "checking" and time.monotonic() < deadline:
        time.sleep(0.05)
        db.session.expire_all()
    assert job.summary["sample"] and jobs.upload_path(job).name == "viejo.csv"
    stuck = ImportJob(
        token="gone",
        user_id=users["reviewer"].id,
        file_name="x.csv",
        status="importing",
        created_at=job.created_at - jobs.UPLOAD_TTL,
    )
    db.session.add(stuck)
    db.session.commit()
    day_old = time.time() - jobs.UPLOAD_TTL.total_seconds() - 60
    os.utime(jobs.uploads_dir() / job.token, (day_old, day_old))

    jobs.discard_stale_uploads()
    assert jobs.upload_path(job) is None and "sample" not in job.summary and job.summary["rows"] == 1
    assert (stuck.status, stuck.summary["failure"]) == ("failed", "interrupted")
