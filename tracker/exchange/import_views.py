"""The import pages (reviewers and administrators): upload, the check's report and preview,
the import's progress, recent imports, and possible duplicates. HTTP only: the work is in
jobs.py, importer.py and duplicates.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import ServiceError
from ..extensions import db
from ..models import ImportJob
from ..security import can_review
from . import duplicates, jobs
from .forms import ConfirmForm, DecisionForm, UploadForm

bp = Blueprint("imports", __name__, url_prefix="/import")


@bp.before_request
def _reviewers_only():
    if not can_review(current_user):
        abort(403)


def _own_job(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    return job


@bp.route("/", methods=["GET", "POST"])
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        job = jobs.start_check(form.file.data, form.format.data, current_user)
        return redirect(url_for("exchange.imports.job", job_id=job.id))
    return render_template(
        "exchange/upload.html", form=form, jobs=jobs.recent_jobs(current_user), pending=duplicates.pending_count()
    ), 400 if form.errors else 200


@bp.get("/<int:job_id>")
def job(job_id: int):
    job = _own_job(job_id)
    return render_template(
        "exchange/job.html",
        job=job,
        form=ConfirmForm(),
        progress=progress_text(job),
        file_kept=jobs.upload_path(job) is not None,
    )


@bp.get("/<int:job_id>/progress")
def progress(job_id: int):
    """What the job page polls (static/js/import-progress.js)."""
    job = _own_job(job_id)
    return {"status": job.status, "done": job.done, "total": job.total, "text": progress_text(job)}


def progress_text(job: ImportJob) -> str:
    done = format_decimal(job.done)
    if job.stage == "storing" and job.done and job.total:
        return _("Storing: %(done)s of %(total)s rows", done=done, total=format_decimal(job.total))
    if job.stage == "storing":
        return _("Storing the rows…")
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
