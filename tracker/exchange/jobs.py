"""Imports from the web page: the uploaded file waits in instance/uploads/<random id>/ while
the user reads the check's report, and the check and the import run in a background thread
with an app context of their own, so a large file neither times out the request nor ties
the user to the page. Each step is an `ImportJob` row the page polls.

A job records the process that runs it. One whose process is gone (a crash, a restart, a
gunicorn worker replaced) or, in this process, whose thread died is failed at start-up, when
its page is viewed and before each upload; nothing of it was stored (the import's one
transaction was never committed), and it can be run again from its kept file.

The file is deleted once imported, and any upload older than UPLOAD_TTL with it; its contents
are never logged (an error is logged by its type only, since a database error repeats values).
"""

from __future__ import annotations

import errno
import functools
import os
import secrets
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
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
# A job on another machine is taken for dead when its progress is older than this. Only there:
# SQLite, always on this machine, writes no progress while it stores.
HEARTBEAT_STALE = timedelta(minutes=15)

_running: set[int] = set()  # the jobs whose thread runs in this process


def uploads_dir() -> Path:
    return Path(current_app.instance_path) / "uploads"


def upload_path(job: ImportJob) -> Path | None:
    """The job's file, or None once it has been deleted."""
    folder = uploads_dir() / job.token
    return next(folder.iterdir(), None) if folder.is_dir() else None


def start_check(upload: FileStorage, fmt: str, user: User) -> ImportJob:
    """Keep the uploaded file and check it in the background. A file that cannot be kept
    (a full disk) leaves nothing behind and raises a ServiceError that says why."""
    discard_stale_uploads()
    token = secrets.token_urlsafe(24)
    folder = uploads_dir() / token
    name = upload.filename or "upload"
    try:
        uploads_dir().mkdir(mode=0o700, exist_ok=True)  # the files may name people: the owner alone reads them
        folder.mkdir(mode=0o700)
        upload.save(folder / (secure_filename(name) or "upload"))
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        current_app.logger.warning("upload not kept: %s", _kind(exc))
        raise ServiceError(upload_failure(exc)) from exc
    job = ImportJob(token=token, user_id=user.id, file_name=name[:200], format=fmt, status="checking")
    db.session.add(job)
    _start(job, "check")
    return job


def upload_failure(exc: OSError) -> str:
    """Why an upload could not be kept, in words."""
    if exc.errno == errno.ENOSPC:
        return _(
            "The server's disk is full, so the file could not be kept. "
            "Ask an administrator to free space, then upload it again."
        )
    return _(
        "The server could not keep the file. "
        "Upload it again; if that fails too, ask an administrator to look at the server's disk."
    )


def start_import(job: ImportJob, skip_invalid: bool) -> None:
    """Import a checked file in the background: all its rows, or its valid ones by choice."""
    if job.status != "checked" or upload_path(job) is None:
        raise ServiceError(_("This file is no longer waiting to be imported; upload it again."))
    job.skip_invalid = skip_invalid
    _restart(job, "import")


def rerun_action(job: ImportJob) -> str | None:
    """What running a failed job again does: "import" when the check had ended and the import
    failed on the server's side (cut short, a full disk, an error), "check" when the check
    failed or the file turned out to have errors; None when it cannot run again: its file is
    gone, or its rows were stored and only the end was lost."""
    if job.status != "failed" or job.summary.get("failure") == "after_storing" or upload_path(job) is None:
        return None
    return "import" if "rows" in job.summary and "failure" in job.summary else "check"


def rerun(job: ImportJob) -> None:
    """Run a failed check or import again from its kept file (rerun_action says which)."""
    action = rerun_action(job)
    if action is None:
        raise ServiceError(_("This file cannot be run again; upload it again."))
    if action == "check":
        job.summary = {}
    else:
        job.summary = {key: value for key, value in job.summary.items() if key not in ("failure", "result")}
    _restart(job, action)


def recent_jobs(user: User, limit: int = 20) -> Sequence[ImportJob]:
    jobs = db.session.scalars(
        sa.select(ImportJob).where(ImportJob.user_id == user.id).order_by(ImportJob.id.desc()).limit(limit)
    ).all()
    _end_abandoned(jobs)
    return jobs


def discard_stale_uploads() -> None:
    """Delete uploads older than UPLOAD_TTL, unless a job still reads one; their jobs keep
    counts, not rows. Jobs cut short are failed first."""
    _end_abandoned(_running_jobs())
    cutoff = time.time() - UPLOAD_TTL.total_seconds()
    folder = uploads_dir()
    stale = {f.name for f in folder.iterdir() if f.stat().st_mtime < cutoff} if folder.is_dir() else set()
    for job in db.session.scalars(sa.select(ImportJob).where(ImportJob.token.in_(stale))):
        if job.status in RUNNING:
            stale.discard(job.token)
        else:
            _forget_file(job)
    for token in stale:  # also files whose job is gone
        shutil.rmtree(folder / token, ignore_errors=True)
    db.session.commit()


def end_abandoned_at_start_up(app: Flask) -> None:
    """Fail the checks and imports a crash or restart cut short. Each gunicorn worker does this
    as it starts, while others may run jobs: only jobs whose process is gone are failed. Not
    before `tracker init-db` has given the jobs their runner, nor while the database cannot be
    reached: a job's page looks again when viewed."""
    with app.app_context():
        try:
            inspector = sa.inspect(db.engine)
            table = ImportJob.__tablename__
            if inspector.has_table(table) and "runner" in {c["name"] for c in inspector.get_columns(table)}:
                _end_abandoned(_running_jobs())
        except sa.exc.SQLAlchemyError as exc:
            app.logger.warning("import jobs cut short not looked for at start-up: %s", exc.__class__.__name__)
        db.session.remove()
        db.engine.dispose()  # gunicorn --preload forks after this: no worker may share its connections


def _running_jobs() -> Sequence[ImportJob]:
    return db.session.scalars(sa.select(ImportJob).where(ImportJob.status.in_(RUNNING))).all()


def end_if_abandoned(job: ImportJob) -> None:
    """Fail `job` if it runs no more, so its page tells without waiting for a restart."""
    _end_abandoned([job])


def _end_abandoned(jobs: Iterable[ImportJob]) -> None:
    """Fail the running jobs among `jobs` whose process or thread is gone. The update is
    guarded by the status and runner read, so a job run again meanwhile is left alone."""
    ended = False
    for job in jobs:
        if job.status in RUNNING and _gone(job):
            failure = "after_storing" if job.stage == "finishing" else "interrupted"
            db.session.execute(
                sa.update(ImportJob)
                .where(ImportJob.id == job.id, ImportJob.status == job.status, ImportJob.runner == job.runner)
                .values(status="failed", summary={**job.summary, "failure": failure}, finished_at=utcnow()),
                execution_options={"synchronize_session": False},
            )
            ended = True
    if not ended:
        return
    try:
        db.session.commit()  # expires the jobs: read again, they are failed
    except sa.exc.OperationalError:  # SQLite: another import holds the one write lock; the next look ends it
        db.session.rollback()


def _gone(job: ImportJob) -> bool:
    """Whether the process that runs `job` has ended, or in this process its thread. On this
    machine the process is looked up (its start time tells a pid given to a new process), so a
    long SQLite store that writes no progress is never taken for dead; elsewhere its progress
    must be recent."""
    process, _at, machine = job.runner.partition("@")
    if not machine or machine != _machine():
        return (job.heartbeat_at or job.created_at) < utcnow() - HEARTBEAT_STALE
    if job.runner == _runner(os.getpid()):
        return job.id not in _running
    pid, _colon, started = process.partition(":")
    return _started(int(pid)) != started


def _runner(pid: int) -> str:
    """A process, as a job records it: "pid:start@machine"; "" where processes cannot be
    looked up (no /proc), so that only the job's progress tells."""
    machine, started = _machine(), _started(pid)
    return f"{pid}:{started}@{machine}" if machine and started else ""


@functools.cache
def _machine() -> str:
    """This computer since it booted, and the pid namespace (each container numbers its own
    processes): where a pid names one process. "" without /proc (not Linux)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{socket.gethostname()}/{boot}/{namespace}"


def _started(pid: int) -> str | None:
    """When process `pid` started, in clock ticks after boot (field 22 of /proc/<pid>/stat,
    read after the name, which may hold spaces); None when it does not run (a zombie has
    ended too)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def _forget_file(job: ImportJob) -> None:
    shutil.rmtree(uploads_dir() / job.token, ignore_errors=True)
    if job.summary.get("sample"):
        job.summary = {key: value for key, value in job.summary.items() if key != "sample"}


def _restart(job: ImportJob, action: str) -> None:
    job.status = "checking" if action == "check" else "importing"
    job.stage, job.done, job.total, job.finished_at = "", 0, None, None
    _start(job, action)


def _start(job: ImportJob, action: str) -> None:
    """Record this process as the job's runner and run the job in a thread, in the language
    of the user who started it: the problems it finds are kept as text, and the thread has no
    request to take the language from. The job counts as running here before it is committed,
    so a poll meanwhile does not take it for dead."""
    # the app behind the proxy, for the thread; Flask types current_app as the app itself
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    job.runner, job.heartbeat_at = _runner(os.getpid()), utcnow()
    db.session.flush()  # a new job gets its id
    _running.add(job.id)
    try:
        db.session.commit()
        args = (app, job.id, action, str(get_locale()))
        threading.Thread(target=_run, args=args, name=f"import-job-{job.id}", daemon=True).start()
    except Exception:
        _running.discard(job.id)
        raise


def _run(app: Flask, job_id: int, action: str, locale: str) -> None:
    try:
        with app.app_context(), force_locale(locale):
            _work(app, job_id, action)
    finally:
        _running.discard(job_id)


def _work(app: Flask, job_id: int, action: str) -> None:
    job = _job(job_id)
    user = db.session.get(User, job.user_id) if job.user_id else None
    fmt, path = job.format or None, upload_path(job)
    try:
        if path is None:  # deleted as stale meanwhile: the job fails as any error fails it
            raise FileNotFoundError(errno.ENOENT, "the uploaded file is gone")
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
        app.logger.error("import job %s failed: %s", job_id, _kind(exc))
        job = _failed(job_id, _failure(exc))
    job.finished_at = utcnow()
    db.session.commit()


def _job(job_id: int) -> ImportJob:
    """The job a thread works on: committed before the thread starts, and never deleted."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise LookupError(f"import job {job_id} is gone")
    return job


def _failed(job_id: int, failure: str) -> ImportJob:
    """Fail the job after a rollback: nothing of the import is stored, unless it had reached
    "finishing", which commits with the rows."""
    db.session.rollback()
    job = _job(job_id)
    job.status = "failed"
    job.summary = {**job.summary, "failure": "after_storing" if job.stage == "finishing" else failure}
    return job


def _failure(exc: Exception) -> str:
    """What job.html says about an error: a full disk (the uploads' or the database's), a file
    that cannot be read, or an error of ours."""
    orig = getattr(exc, "orig", None)  # the driver's error, under SQLAlchemy's
    if (
        (isinstance(exc, OSError) and exc.errno == errno.ENOSPC)
        or getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        or getattr(orig, "sqlstate", None) == "53100"  # PostgreSQL's disk_full
    ):
        return "disk_full"
    return "file_error" if isinstance(exc, OSError) else "error"


def _kind(exc: Exception) -> str:
    """An error for the log: its type, and for a system error its code, never its message
    (which may name the file)."""
    code = errno.errorcode.get(exc.errno or 0, "") if isinstance(exc, OSError) else ""
    return f"{exc.__class__.__name__} {code}".strip()


class _JobProgress:
    """Writes a job's progress, which is also its heartbeat, through a connection of its own,
    so the page sees it while the import's transaction is open. SQLite allows one writer at a
    time: there, the count stops once the import starts writing (the page shows the stage and
    the total until it ends), and a write that finds another job writing is left for the next
    call. "finishing" is written in the import's own transaction, so it commits with the rows:
    a job cut short at that stage has its rows stored."""

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
        update = (
            sa.update(ImportJob)
            .where(ImportJob.id == self.job_id)
            .values(stage=stage, done=done, total=total, heartbeat_at=utcnow())
        )
        if stage == "finishing":
            db.session.execute(update, execution_options={"synchronize_session": False})
            return
        try:
            with db.engine.begin() as connection:
                connection.execute(update)
        except sa.exc.OperationalError:  # SQLite: another job holds the write lock
            pass


# --- what a job keeps ----------------------------------------------------------------------------


def _report(result: ImportResult) -> dict:
    """The check's report as JSON: counts, problems (the first PROBLEMS_KEPT of each kind)
    and the first rows as they will be stored."""
    counts = {
        name: getattr(result, name)
        for name in (
            "rows",
            "invalid",
            "valid",
            "to_update",
            "similar",
            "already",
            "readable",
            "format",
            "encoding",
            "persons",  # records the file would add to the register of persons at risk
        )
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
    return {
        name: getattr(result, name) for name in ("created", "updated", "unchanged", "skipped", "similar", "persons")
    } | {"error_count": len(result.errors)}
