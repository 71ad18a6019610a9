"""Incident pages: list, record, edit, detail, workflow, history. HTTP only; the work is in
service.py and the shared filter builder."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import audit
from ..errors import InvalidTransition, PermissionDenied, ServiceError
from ..extensions import db
from ..filters import SORTS, count_incidents, filtered_incidents, parse_filters
from ..i18n import term_label
from ..models import HeldDraft, Incident, IncidentRevision
from ..regions.service import outlines_geojson, region_names
from ..security import IncidentAccess, can_record, can_review, incident_access, user_may_open
from ..taxonomy import STATUSES
from . import held, receipts, revisions
from .data import IncidentData
from .device_rules import device_rules
from .exposure import exposed
from .forms import IncidentForm, RevisionForm, StatusForm, error_summary, initial_data, row_templates
from .merge import Merge, UndecidedMerge, decide, three_way
from .receipts import AlreadyReceived
from .service import (
    EditConflict,
    allowed_transitions,
    change_status,
    create_incident,
    data_from_snapshot,
    diff,
    goes_to_review,
    snapshot,
    snapshot_of,
    update_incident,
    version_snapshot,
)

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


def _get_visible(ref: str) -> Incident:
    incident = db.session.scalar(sa.select(Incident).where(Incident.ref == ref))
    if incident is None or not user_may_open(current_user, incident):
        abort(404)  # not 403: do not confirm that a restricted incident exists
    return incident


@bp.get("/")
def list_incidents():
    filters, errors = parse_filters(request.args)
    sort = request.args.get("sort", "date_desc")
    if sort not in SORTS:
        sort = "date_desc"
    page = request.args.get("page", 1, type=int)
    per_page = current_app.config["INCIDENTS_PER_PAGE"]
    stmt = filtered_incidents(filters, current_user, sort).options(selectinload(Incident.violations))
    total = count_incidents(filters, current_user)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    incidents = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return render_template(
        "incidents/list.html",
        incidents=incidents,
        filters=filters,
        errors=errors,
        total=total,
        page=page,
        pages=pages,
        sort=sort,
        admin1_options=_pairs(region_names("admin1")),
        admin2_options=_pairs(region_names("admin2")),
        can_record=can_record(current_user),
    )


def _pairs(names: list[str]) -> list[tuple[str, str]]:
    return [(name, name) for name in names]


def _store(data: IncidentData, incident: Incident | None, base_version: int, submit: bool, client_uuid=None):
    """Store the data (a new draft, an edit, or changes proposed for review); with `submit`,
    also send a draft for review. Whatever the user typed is stored first, so an incomplete
    submission is kept as a draft with a note of what is missing."""
    names = exposed(data)
    if names and not request.form.get("exposure_ok"):
        raise ExposureUnconfirmed(names)
    if incident is None:
        incident = create_incident(data, current_user, client_uuid)
    elif goes_to_review(current_user, incident):
        if revisions.propose(incident, data, current_user, base_version) is None:
            flash(_("Nothing differs from the approved version: no changes wait for review."), "info")
        else:
            flash(
                _(
                    "Your changes to %(ref)s wait for a reviewer. Until one accepts them, everyone else keeps "
                    "seeing the approved version.",
                    ref=incident.ref,
                ),
                "success",
            )
        return redirect(url_for("incidents.detail", ref=incident.ref, saved=1))
    else:
        incident = update_incident(incident, data, current_user, base_version)
    if not submit or incident.status != "draft":
        flash(_("Saved %(ref)s.", ref=incident.ref), "success")
        return redirect(url_for("incidents.detail", ref=incident.ref, saved=1))
    try:
        change_status(incident, "submitted", current_user)
    except InvalidTransition as exc:
        flash(
            _("Saved %(ref)s as a draft. It was not submitted: %(reason)s", ref=incident.ref, reason=str(exc)), "error"
        )
        return redirect(url_for("incidents.edit", ref=incident.ref, saved=1))
    flash(_("Incident %(ref)s submitted for review.", ref=incident.ref), "success")
    return redirect(url_for("incidents.detail", ref=incident.ref, saved=1))


def _merged(form: IncidentForm, incident: Incident, base_version: int):
    """The edit combined with what others saved since `base_version` (merge.py): stored when no
    field was changed on both sides or the editor chose for each; otherwise the form again, with
    the other side's changes in it and a choice to make for each field both changed."""
    merge = three_way(
        version_snapshot(incident, base_version), snapshot(incident), snapshot_of(form.to_data(), incident.status)
    )
    decisions = {name: request.form.get(f"merge-{name}", "") for name in merge.conflicts}
    try:
        merged = decide(merge, decisions)
    except UndecidedMerge as undecided:
        if any(decisions.values()):
            flash(str(undecided), "error")
        refilled = IncidentForm(
            formdata=None, data={**initial_data(merge.merged), "version": incident.version, "merge_from": base_version}
        )
        return _render_form(refilled, incident, merge=merge, status=409)
    if any(merge.merged[name] != merge.yours[name] for name in merge.merged):
        flash(_("Someone else saved this incident while you edited it: their changes were kept with yours."), "info")
    try:
        return _store(data_from_snapshot(merged), incident, incident.version, "submit" in request.form)
    except EditConflict:  # saved again in between: merge with that too
        db.session.rollback()
        return _merged(form, incident, base_version)


def _attempt(form: IncidentForm, incident: Incident | None):
    if incident is not None and form.merge_from.data:  # the editor's choices after a conflict
        return _merged(form, incident, int(form.merge_from.data))
    client_uuid = form.client_uuid.data if incident is None and receipts.valid(form.client_uuid.data) else None
    try:
        return _store(form.to_data(), incident, int(form.version.data or 0), "submit" in request.form, client_uuid)
    except EditConflict as conflict:
        db.session.rollback()
        return _merged(form, conflict.incident, conflict.base_version)


def _saved_or_kept(form: IncidentForm, incident: Incident | None):
    """Save the form; when the save is refused, the form again with everything the user typed.
    (A failure the app cannot explain gives an error page instead: the browser's copy of the
    form, static/js/form-keeper.js, still holds the input when the form is opened again.)"""
    try:
        return _attempt(form, incident)
    except AlreadyReceived as received:  # a second click, or the phone's copy got here first
        return _already_stored(received)
    except ExposureUnconfirmed as unconfirmed:
        db.session.rollback()
        return _render_form(form, incident, exposure=unconfirmed.names, status=400)
    except ServiceError as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return _render_form(form, incident, status=400)


def _already_stored(received: AlreadyReceived):
    receipt = received.receipt
    if receipt is not None and receipt.user_id == current_user.id and receipt.incident is not None:
        flash(_("This incident was already saved as %(ref)s.", ref=receipt.incident.ref), "info")
        return redirect(url_for("incidents.detail", ref=receipt.incident.ref))
    flash(_("This record was already received from your phone: see the outbox."), "info")
    return redirect(url_for("offline.outbox"))


class ExposureUnconfirmed(ServiceError):
    """The open text names what is restricted, and the user has not confirmed it (exposure.py)."""

    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(", ".join(names))


def _render_form(
    form: IncidentForm,
    incident: Incident | None,
    merge: Merge | None = None,
    exposure: list[str] | None = None,
    status=200,
):
    form.client_uuid.data = ""  # each save of the form is a new record (entry.js sets it)
    return make_response(
        render_template(
            "incidents/form.html",
            form=form,
            incident=incident,
            merge=merge,
            exposure=exposure,
            error_links=error_summary(form),
            pending=incident.pending_revision if incident is not None else None,
            goes_to_review=incident is not None and goes_to_review(current_user, incident),
            admin1_names=region_names("admin1"),
            row_templates=row_templates(),
            # a new incident may wait on the phone when the server cannot be reached (tracker/offline/)
            device_rules=device_rules(form) if incident is None and "held" not in request.args else None,
        ),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    if not can_record(current_user):
        abort(403)
    draft = None
    if "held" in request.args:  # a record from a phone the server held back (held.py)
        draft = held.own_held(current_user, request.args["held"])
        if draft is None:
            abort(404)
        if request.method == "GET":
            return _held_form(draft)
    form = IncidentForm()
    client_uuid = form.client_uuid.data
    if form.validate_on_submit():
        response = _saved_or_kept(form, None)
        if draft is not None and response.status_code == 302:  # stored: the held copy has done its work
            held.discard(draft)
            db.session.commit()
    else:
        response = _render_form(form, None, status=400 if form.errors else 200)
    if response.status_code == 400 and receipts.valid(client_uuid):
        # back to the form to correct: the phone's sealed copy of this attempt is not needed
        receipts.retire(client_uuid, current_user)
    return response


def _held_form(draft: HeldDraft):
    """The form filled with a held draft's fields, showing what the server found wrong. The
    fields are checked without a CSRF token (they have none); the page carries a fresh one."""
    form = IncidentForm(formdata=held.as_formdata(draft), meta={"csrf": False})
    valid = form.validate() if draft.fields else True
    flash(_("This record was sent from a phone but could not be stored as it was. Check it and save it."), "warning")
    if valid:  # what the form does not show itself: a record that could not be read, a refusal
        for label, message in draft.problems:
            flash(f"{label}: {message}", "error")
    return _render_form(form, None)


@bp.route("/<ref>/edit", methods=["GET", "POST"])
def edit(ref: str):
    incident = _get_visible(ref)
    if not incident_access(current_user, incident).edit:
        abort(403)
    if request.method == "GET":
        _audit_read(incident, "edit")
        pending = incident.pending_revision
        if pending is not None and goes_to_review(current_user, incident):  # go on from the proposal
            form = IncidentForm(data={**initial_data(pending.snapshot), "version": pending.base_version})
        else:
            form = IncidentForm(data={**initial_data(snapshot(incident)), "version": incident.version})
        return _render_form(form, incident)
    form = IncidentForm()
    if form.validate_on_submit():
        return _saved_or_kept(form, incident)
    return _render_form(form, incident, status=400 if form.errors else 200)


@bp.get("/<ref>")
def detail(ref: str):
    incident = _get_visible(ref)
    access = _audit_read(incident, "page")
    return render_template(
        "incidents/detail.html",
        incident=incident,
        access=access,
        transitions=allowed_transitions(incident, current_user),
        status_form=StatusForm(version=incident.version),
        revision_form=RevisionForm(),
        pending=_pending_changes(incident, access),
        may_decide=revisions.may_decide(incident, current_user),
        just_saved=request.args.get("saved") == "1",
    )


def _pending_changes(incident: Incident, access: IncidentAccess) -> tuple[IncidentRevision, dict] | None:
    """The changes waiting for review and how they differ from the approved version, for those
    who may read the incident's history (they hold its restricted fields)."""
    pending = incident.pending_revision
    if pending is None or not access.history:
        return None
    return pending, diff(snapshot(incident), pending.snapshot)


@bp.post("/<ref>/status")
def status(ref: str):
    incident = _get_visible(ref)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        change_status(incident, form.to_status.data, current_user, form.comment.data or "", int(form.version.data))
        flash(_("Status changed to %(status)s.", status=term_label(STATUSES, form.to_status.data)), "success")
    except EditConflict as conflict:
        flash(str(conflict), "error")
    except InvalidTransition as exc:
        flash(str(exc), "error")
    return redirect(url_for("incidents.detail", ref=ref))


@bp.post("/<ref>/revision/<decision>")
def decide_revision(ref: str, decision: str):
    """A reviewer accepts or turns down the changes waiting on an incident."""
    incident = _get_visible(ref)
    if not can_review(current_user):
        abort(403)
    form = RevisionForm()
    if decision not in ("approve", "reject") or not form.validate_on_submit():
        abort(400)
    try:
        if decision == "approve":
            version = revisions.approve(incident, current_user)
            flash(_("The proposed changes are accepted: they are version %(n)d, seen by all.", n=version), "success")
        else:
            revisions.reject(incident, current_user, form.comment.data or "")
            flash(_("The proposed changes were turned down; the approved version stays."), "success")
    except PermissionDenied:
        abort(403)
    except ServiceError as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
    return redirect(url_for("incidents.detail", ref=ref))


@bp.get("/<ref>/history")
def history(ref: str):
    incident = _get_visible(ref)
    access = incident_access(current_user, incident)
    if not access.history:
        abort(403)
    _audit_read(incident, "history")
    approvals = {
        r.applied_version: r.decided_by.display_name if r.decided_by else "–"
        for r in incident.revisions
        if r.outcome == "approved"
    }
    return render_template(
        "incidents/history.html",
        incident=incident,
        access=access,
        current=snapshot(incident),
        diff=diff,
        approvals=approvals,
    )


def _audit_read(incident: Incident, via: str) -> IncidentAccess:
    """Audit what restricted fields this page shows the reader of the incident; their access."""
    access = incident_access(current_user, incident)
    shown = audit.restricted_shown(access, incident, incident.victims, incident.perpetrators, incident.sources)
    audit.record_read(incident.ref, shown, via=via)
    return access


@bp.get("/outlines.geojson")
def outlines():
    """Department outlines the location picker draws beneath its tiles, so that with no tile
    server it still shows where a point is (the service worker keeps them)."""
    return outlines_geojson("admin1")
