"""Imports from the web page: the uploaded file waits in instance/uploads/<random id>/ while
the user reads the check's report, and the check and the import run in a background thread
with an app context of their own, so a large file neither times out the request nor ties
the user to the page. Each step is an `ImportJob` row the page polls.

The file is deleted once imported, and any upload older than UPLOAD_TTL with it; its contents
are never logged (an error is logged by its type only, since a database error repeats values).
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from ..errors import ServiceError
from ..extensions import db
from ..models import ImportJob, User
from ..timeutil import utcnow
from .importer import ImportResult, SampleRow, check_file, import_file

UPLOAD_TTL = timedelta(days=1)
RUNNING = ("checking", "importing")
PROBLEMS_KEPT = 500  # per kind, in the report a job keeps; the counts are always complete
PROGRESS_EVERY = 1.0  # seconds between progress writes


def uploads_dir() -> Path:
    return Path(current_app.instance_path) / "uploads"


def upload_path(job: ImportJob) -> Path | None:
    """The job's file, or None once it has been deleted."""
    folder = uploads_dir() / job.token
    return next(folder.iterdir(), None) if folder.is_dir() else None


def start_check(upload: FileStorage, fmt: str, user: User) -> ImportJob:
    """Keep the uploaded file and check it in the background."""
    discard_stale_uploads()
    token = secrets.token_urlsafe(24)
    folder = uploads_dir() / token
    folder.mkdir(parents=True)
    name = upload.filename or "upload"
    upload.save(folder / (secure_filename(name) or "upload"))
    job = ImportJob(token=token, user_id=user.id, file_name=name[:200], format=fmt, status="checking")
    db.session.add(job)
    db.session.commit()
    _start(job, "check")
    return job


def start_import(job: ImportJob, skip_invalid: bool) -> None:
    """Import a checked file in the background: all its rows, or its valid ones by choice."""
    if job.status != "checked" or upload_path(job) is None:
        raise ServiceError(_("This file is no longer waiting to be imported; upload it again."))
    job.status, job.stage, job.done, job.skip_invalid = "importing", "", 0, skip_invalid
    db.session.commit()
    _start(job, "import")


def recent_jobs(user: User, limit: int = 20) -> Sequence[ImportJob]:
    return db.session.scalars(
        sa.select(ImportJob).where(ImportJob.user_id == user.id).order_by(ImportJob.id.desc()).limit(limit)
    ).all()


def discard_stale_uploads() -> None:
    """Delete uploads older than UPLOAD_TTL; their jobs keep counts, not rows. A job still
    running by then was cut short (the server restarted)."""
    cutoff = time.time() - UPLOAD_TTL.total_seconds()
    folder = uploads_dir()
    stale = [f.name for f in folder.iterdir() if f.stat().st_mtime < cutoff] if folder.is_dir() else []
    cut_short = sa.and_(ImportJob.status.in_(RUNNING), ImportJob.created_at < utcnow() - UPLOAD_TTL)
    for job in db.session.scalars(sa.select(ImportJob).where(sa.or_(ImportJob.token.in_(stale), cut_short))):
        if job.status in RUNNING:
            job.status, job.summary = "failed", {**job.summary, "failure": "interrupted"}
        _forget_file(job)
    for token in stale:  # also files whose job is gone
        shutil.rmtree(folder / token, ignore_errors=True)
    db.session.commit()


def _forget_file(job: ImportJob) -> None:
    shutil.rmtree(uploads_dir() / job.token, ignore_errors=True)
    if job.summary.get("sample"):
        job.summary = {key: value for key, value in job.summary.items() if key != "sample"}


def _start(job: ImportJob, action: str) -> None:
    """Run the job in a thread, in the language of the user who started it: the problems it
    finds are kept as text, and the thread has no request to take the language from."""
    # the app behind the proxy, for the thread; Flask types current_app as the app itself
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    args = (app, job.id, action, str(get_locale()))
    threading.Thread(target=_run, args=args, name=f"import-job-{job.id}", daemon=True).start()


def _run(app: Flask, job_id: int, action: str, locale: str) -> None:
    with app.app_context(), force_locale(locale):
        job = _job(job_id)
        user = db.session.get(User, job.user_id) if job.user_id else None
        fmt, path = job.format or None, upload_path(job)
        try:
            if path is None:  # deleted as stale meanwhile: the job fails as any error fails it
                raise FileNotFoundError("the uploaded file is gone")
            if action == "check":
                job.summary, job.status = _report(check_file(path, fmt, user, _JobProgress(job_id))), "checked"
            else:
                result = import_file(path, fmt, user, skip_invalid=job.skip_invalid, progress=_JobProgress(job_id))
                job = _job(job_id)
                job.summary = {**job.summary, "result": _outcome(result)}
                job.status = "done" if result.valid and (job.skip_invalid or result.ok) else "failed"
                if job.status == "done":
                    _forget_file(job)
        except ServiceError as exc:
            job = _failed(job_id, str(exc))
        except Exception as exc:  # noqa: BLE001 - the page must learn that the job ended
            app.logger.error("import job %s failed: %s", job_id, exc.__class__.__name__)
            job = _failed(job_id, "")
        job.finished_at = utcnow()
        db.session.commit()


def _job(job_id: int) -> ImportJob:
    """The job a thread works on: committed before the thread starts, and never deleted."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise LookupError(f"import job {job_id} is gone")
    return job


def _failed(job_id: int, message: str) -> ImportJob:
    db.session.rollback()
    job = _job(job_id)
    job.status = "failed"
    job.summary = {**job.summary, "failure": message or "error"}
    return job


class _JobProgress:
    """Writes a job's progress through a connection of its own, so the page sees it while the
    import's transaction is open. SQLite allows one writer at a time: there, the count stops
    once the import starts writing, and the page shows the stage alone until it ends."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.written = (0.0, "")
        self.one_writer = db.engine.dialect.name == "sqlite"

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        last, last_stage = self.written
        if stage == last_stage and (
            now - last < PROGRESS_EVERY and done != total or self.one_writer and stage == "storing"
        ):
            return
        self.written = (now, stage)
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(ImportJob).where(ImportJob.id == self.job_id).values(stage=stage, done=done, total=total)
            )


# --- what a job keeps ----------------------------------------------------------------------------


def _report(result: ImportResult) -> dict:
    """The check's report as JSON: counts, problems (the first PROBLEMS_KEPT of each kind)
    and the first rows as they will be stored."""
    counts = {
        name: getattr(result, name)
        for name in ("rows", "invalid", "valid", "to_update", "similar", "already", "readable", "format", "encoding")
    }
    return {
        **counts,
        "errors": [list(asdict(p).values()) for p in result.errors[:PROBLEMS_KEPT]],
        "error_count": len(result.errors),
        "warnings": [list(asdict(p).values()) for p in result.warnings[:PROBLEMS_KEPT]],
        "warning_count": result.warning_count,
        "sample": [_sample(row) for row in result.sample],
    }


def _sample(row: SampleRow) -> dict:
    """A preview row without restricted names (the page is for checking codes and places)."""
    d = row.data
    return {
        "line": row.line,
        "action": row.action,
        "ref": row.ref,
        "match": row.match,
        "status": row.status,
        "title": d.title,
        "date": d.date.isoformat() if d.date != d.date.min else "",
        "date_precision": d.date_precision,
        "place": d.place,
        "regions": [name for name in (d.admin1, d.admin2, d.admin3) if name],
        "latitude": d.latitude,
        "longitude": d.longitude,
        "geo_precision": d.geo_precision,
        "violations": d.violations,
        "victims": [[v.group, v.count, v.gender] for v in d.victims],
        "perpetrators": [p.type for p in d.perpetrators],
        "killed": d.killed,
        "injured": d.injured,
        "detained": d.detained,
        "sources": len(d.sources),
    }


def _outcome(result: ImportResult) -> dict:
    return {name: getattr(result, name) for name in ("created", "updated", "unchanged", "skipped", "similar")} | {
        "error_count": len(result.errors)
    }
