"""Incident pages: list, record, edit, detail, workflow, history. HTTP only; the work is in
service.py and the shared filter builder."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import audit
from ..errors import InvalidTransition, ServiceError
from ..extensions import db
from ..filters import SORTS, count_incidents, filtered_incidents, parse_filters
from ..i18n import term_label
from ..models import Incident
from ..regions.service import outlines_geojson, region_names
from ..security import IncidentAccess, can_record, incident_access, user_may_open
from ..taxonomy import STATUSES
from .forms import IncidentForm, StatusForm, initial_data, row_templates
from .service import EditConflict, allowed_transitions, change_status, create_incident, snapshot, update_incident

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


def _save(form: IncidentForm, incident: Incident | None):
    """Save the form; with "submit", also send it for review. Whatever the user typed is
    stored first, so an incomplete submission is kept as a draft with a note of what is missing."""
    data = form.to_data()
    if incident is None:
        incident = create_incident(data, current_user)
    else:
        incident = update_incident(incident, data, current_user, int(form.version.data or 0))
    if "submit" not in request.form or incident.status != "draft":
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


def _saved_or_kept(form: IncidentForm, incident: Incident | None):
    """Save the form; when the save is refused, the form again with everything the user typed.
    (A failure the app cannot explain gives an error page instead: the browser's copy of the
    form, static/js/form-keeper.js, still holds the input when the form is opened again.)"""
    try:
        return _save(form, incident)
    except EditConflict as conflict:
        # The next save is a deliberate overwrite.
        form.version.data = str(conflict.incident.version)
        return _render_form(form, incident, conflict=conflict, status=409)
    except ServiceError as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return _render_form(form, incident, status=400)


def _render_form(form: IncidentForm, incident: Incident | None, conflict: EditConflict | None = None, status=200):
    return render_template(
        "incidents/form.html",
        form=form,
        incident=incident,
        conflict=conflict,
        admin1_names=region_names("admin1"),
        row_templates=row_templates(),
    ), status


@bp.route("/new", methods=["GET", "POST"])
def new():
    if not can_record(current_user):
        abort(403)
    form = IncidentForm()
    if form.validate_on_submit():
        return _saved_or_kept(form, None)
    return _render_form(form, None, status=400 if form.errors else 200)


@bp.route("/<ref>/edit", methods=["GET", "POST"])
def edit(ref: str):
    incident = _get_visible(ref)
    if not incident_access(current_user, incident).edit:
        abort(403)
    if request.method == "GET":
        _audit_read(incident, "edit")
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
        just_saved=request.args.get("saved") == "1",
    )


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


@bp.get("/<ref>/history")
def history(ref: str):
    incident = _get_visible(ref)
    access = incident_access(current_user, incident)
    if not access.history:
        abort(403)
    _audit_read(incident, "history")
    return render_template("incidents/history.html", incident=incident, access=access)


def _audit_read(incident: Incident, via: str) -> IncidentAccess:
    """Audit what restricted fields this page shows the reader of the incident; their access."""
    access = incident_access(current_user, incident)
    shown = audit.restricted_shown(access, incident, incident.victims, incident.perpetrators, incident.sources)
    audit.record_read(incident.ref, shown, via=via)
    return access


@bp.get("/outlines.geojson")
def outlines():
    """Department outlines for the location picker when no tile server is configured."""
    return outlines_geojson("admin1")
