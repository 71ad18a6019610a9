"""The import pages (reviewers and administrators): upload, the check's report and preview,
the import's progress, recent imports, and possible duplicates. HTTP only: the work is in
jobs.py, importer.py and duplicates.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import ClientDisconnected

from ..errors import ServiceError
from ..extensions import db
from ..models import ImportJob
from ..security import can_review
from . import duplicates, jobs
from .forms import ConfirmForm, DecisionForm, RerunForm, UploadForm

bp = Blueprint("imports", __name__, url_prefix="/import")


@bp.before_request
def _reviewers_only():
    if not can_review(current_user):
        abort(403)


def _own_job(job_id: int) -> ImportJob:
    """The signed-in user's job, failed first if its process is gone (the page then says so)."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    jobs.end_if_abandoned(job)
    return job


@bp.route("/", methods=["GET", "POST"])
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            job = jobs.start_check(form.file.data, form.format.data, current_user)
            return redirect(url_for("exchange.imports.job", job_id=job.id))
        except ServiceError as exc:  # the file could not be kept
            form.file.errors.append(str(exc))
    return _upload_page(form)


def _upload_page(form: UploadForm):
    return render_template(
        "exchange/upload.html", form=form, jobs=jobs.recent_jobs(current_user), pending=duplicates.pending_count()
    ), 400 if form.errors else 200


@bp.errorhandler(OSError)
@bp.errorhandler(ClientDisconnected)
def _upload_not_received(exc: Exception):
    """An upload that fails while the request is read, before any view runs (the CSRF check
    reads the form): a full disk where the file is spooled, or a connection cut. Nothing of it
    is kept (the spooled file has no name); the form says why."""
    if request.endpoint != "exchange.imports.upload":
        if isinstance(exc, ClientDisconnected):
            return exc  # the client is gone: werkzeug's own 400 will do
        raise exc
    form = UploadForm(formdata=None)
    if isinstance(exc, OSError):
        form.file.errors = [jobs.upload_failure(exc)]
    else:
        form.file.errors = [_("The upload was cut off before the whole file arrived. Upload it again.")]
    return _upload_page(form)


@bp.get("/<int:job_id>")
def job(job_id: int):
    job = _own_job(job_id)
    return render_template(
        "exchange/job.html",
        job=job,
        form=ConfirmForm(),
        rerun_form=RerunForm(),
        rerun=jobs.rerun_action(job),
        progress=progress_text(job),
        file_kept=jobs.upload_path(job) is not None,
    )


@bp.get("/<int:job_id>/progress")
def progress(job_id: int):
    """What the job page polls (static/js/import-progress.js)."""
    job = _own_job(job_id)
    return {"status": job.status, "done": job.done, "total": job.total, "text": progress_text(job)}


def progress_text(job: ImportJob) -> str:
    """What the job does now, in words. An import reads the whole file again before it stores
    ("checking" is its stage then too); SQLite counts no stored rows until the end."""
    done, total = format_decimal(job.done), format_decimal(job.total or 0)
    if job.status == "checked":
        return _("Checked: waiting for your decision")
    if job.status == "done":
        return _("Imported")
    if job.status == "failed":
        return _("Failed")
    if job.stage == "finishing":
        return _("Finishing: the rows are stored; updating the statistics…")
    if job.stage == "storing":
        return (
            _("Storing: %(done)s of %(total)s rows", done=done, total=total)
            if job.done
            else _("Storing %(total)s rows…", total=total)
        )
    if job.status == "importing":
        rows = format_decimal(job.summary.get("rows", 0))
        return _("Reading the file before storing it: %(done)s of %(total)s rows", done=done, total=rows)
    return _("Checking: %(done)s rows read", done=done)


@bp.post("/<int:job_id>/import")
def confirm(job_id: int):
    job = _own_job(job_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with_errors = job.summary.get("error_count", 0) > 0
    if with_errors and not form.skip_invalid.data:
        flash(_("The file has rows with errors: tick the box to import the valid rows only."), "error")
    else:
        try:
            jobs.start_import(job, skip_invalid=with_errors)
        except ServiceError as exc:
            flash(str(exc), "error")
    return redirect(url_for("exchange.imports.job", job_id=job.id))


@bp.post("/<int:job_id>/again")
def run_again(job_id: int):
    """Run a failed check or import again from its kept file, without uploading it again."""
    job = _own_job(job_id)
    if not RerunForm().validate_on_submit():
        abort(400)
    try:
        jobs.rerun(job)
    except ServiceError as exc:
        flash(str(exc), "error")
    return redirect(url_for("exchange.imports.job", job_id=job.id))


@bp.get("/duplicates")
def duplicate_pairs():
    return render_template("exchange/duplicates.html", pairs=duplicates.pending_pairs())


@bp.post("/duplicates/<int:pair_id>")
def decide(pair_id: int):
    decision = request.form.get("decision", "")
    if not DecisionForm().validate_on_submit() or decision not in duplicates.DECISIONS:
        abort(400)
    try:
        pair = duplicates.decide(pair_id, decision, current_user)
        flash(
            _(
                "%(ref)s marked as a duplicate of %(original)s and rejected.",
                ref=pair.incident.ref,
                original=pair.candidate_of.ref,
            )
            if decision == "duplicate"
            else _(
                "Kept %(ref)s and %(original)s as separate incidents.",
                ref=pair.incident.ref,
                original=pair.candidate_of.ref,
            ),
            "success",
        )
    except ServiceError as exc:
        flash(str(exc), "error")
    return redirect(url_for("exchange.imports.duplicate_pairs"))
