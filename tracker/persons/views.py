"""The register of persons at risk: the list, a record's page (its timeline and history), adding
and editing a record, merging two records of one person and undoing it, and the search the
victim rows' picker calls. HTTP only; the work is in service.py.

Every address names a record by its number: its key is a pseudonym, as restricted as a name, so
it travels in POST bodies only. A record the reader may not see is not found (404), so a page
does not tell who is in the register."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import audit
from ..errors import ServiceError
from ..extensions import db
from ..i18n import term_label
from ..models import Person, PersonChange
from ..regions.service import region_names
from ..security import can_record, can_review, can_see_person
from ..taxonomy import GENDERS, PERSON_KINDS, VICTIM_GROUPS
from . import service
from .forms import LABELS, EditPersonForm, MergeForm, NewPersonForm, PersonForm
from .service import KeyTaken, PersonData, StaleEdit

bp = Blueprint("persons", __name__, url_prefix="/persons")
PER_PAGE = 100
SEARCH_TEXT_LIMIT = 200


def _visible_or_404(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None or not can_see_person(current_user, person):
        abort(404)  # not 403: do not confirm that a record exists
    return person


def _audit_read(target: str, via: str, **details: Any) -> None:
    """Names and communities are restricted: who was shown which records goes into the audit
    log (by number), as reads of incidents do."""
    audit.record("person_read", target, via=via, **details)
    db.session.commit()


def shown(name: str, value: Any) -> str:
    """A field's value in words, as the page, the history and the conflict note show it."""
    if name == "groups":
        return ", ".join(term_label(VICTIM_GROUPS, code) for code in value or []) or "–"
    if name == "kind":
        return term_label(PERSON_KINDS, value)
    if name == "gender":
        return term_label(GENDERS, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value) if value not in (None, "") else "–"


def _readable(changes: dict[str, list[Any]]) -> list[tuple[str, str, str]]:
    """(label, old, new) of field changes, in the order of the form."""
    return [(str(LABELS[name]), shown(name, old), shown(name, new)) for name, (old, new) in _in_form_order(changes)]


def _in_form_order(changes: dict[str, list[Any]]) -> list[tuple[str, list[Any]]]:
    return [(name, changes[name]) for name in LABELS if name in changes]


@bp.get("/")
def index():
    if not can_record(current_user):
        abort(403)
    total = service.count_persons(current_user)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    persons = service.list_persons(current_user, PER_PAGE, (page - 1) * PER_PAGE)
    if persons:
        _audit_read("", "list", rows=len(persons))
    return render_template(
        "persons/index.html",
        persons=persons,
        summary=service.incident_summary(current_user, persons),
        total=total,
        page=page,
        pages=pages,
        shown=shown,
    )


def _form_page(form: PersonForm, person: Person | None, stale: list | None = None, status: int = 200):
    return make_response(
        render_template(
            "persons/form.html", form=form, person=person, stale=stale, admin1_names=region_names("admin1")
        ),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    if not can_record(current_user):
        abort(403)
    form = NewPersonForm()
    if not form.validate_on_submit():
        return _form_page(form, None, status=400 if form.is_submitted() else 200)
    try:
        person = service.create_person(form.to_data(form.key.data), current_user)
        db.session.commit()
    except KeyTaken as taken:
        db.session.rollback()
        form.key.errors = [*form.key.errors, str(taken)]
        return _form_page(form, None, status=400)
    except ServiceError as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return _form_page(form, None, status=400)
    # no key or name in the message: flashed messages travel in the session cookie
    flash(_("The record was added to the register."), "success")
    return redirect(url_for("persons.detail", person_id=person.id))


@dataclass
class HistoryLine:
    """One entry of a record's history, with the other record of a merge when the reader may
    open it (None: they may not, and the page says "another record")."""

    change: PersonChange
    other: Person | None = None
    changes: list[tuple[str, str, str]] | None = None


OTHER_RECORD = {"merged": "into_id", "absorbed": "from_id", "unmerged": "from_id", "split": "to_id"}


def _history(person: Person) -> list[HistoryLine]:
    lines = []
    for change in reversed(person.changes):
        details = change.details or {}
        line = HistoryLine(change)
        if change.action == "edited":
            line.changes = _readable(details.get("changes", {}))
        elif change.action in OTHER_RECORD:
            other = db.session.get(Person, details.get(OTHER_RECORD[change.action]) or 0)
            line.other = other if other is not None and can_see_person(current_user, other) else None
        lines.append(line)
    return lines


def _detail_page(person: Person, merge_form: MergeForm, status: int = 200):
    merged = person.merged_into_id is not None
    into = person.merged_into if merged else None
    _audit_read(service.target(person), "page")
    return make_response(
        render_template(
            "persons/detail.html",
            person=person,
            data=service.person_data(person),
            fields=[f.name for f in fields(PersonData) if f.name != "key"],
            labels=LABELS,
            shown=shown,
            timeline=[] if merged else service.timeline(person, current_user),
            history=_history(person),
            into=into if into is not None and can_see_person(current_user, into) else None,
            merged=merged,
            may_edit=can_record(current_user) and not merged,
            may_review=can_review(current_user),
            merge_form=merge_form,
        ),
        status,
    )


@bp.get("/<int:person_id>")
def detail(person_id: int):
    return _detail_page(_visible_or_404(person_id), MergeForm(formdata=None))


def _version(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
def edit(person_id: int):
    person = _visible_or_404(person_id)
    if person.merged_into_id is not None:
        flash(_("This record was merged into another: edit that one, or undo the merge first."), "info")
        return redirect(url_for("persons.detail", person_id=person.id))
    if request.method == "GET":
        data = vars(service.person_data(person))
        _audit_read(service.target(person), "edit")
        return _form_page(EditPersonForm(data={**data, "version": person.version}), person)
    form = EditPersonForm()
    if not form.validate_on_submit():
        return _form_page(form, person, status=400)
    typed = form.to_data(person.key)
    try:
        changed = service.update_person(person, typed, current_user, _version(form.version.data))
    except StaleEdit:
        # keep what was typed, show where the record as saved now differs from it, and let a
        # second save (from the version now shown) go through
        db.session.rollback()
        form.version.data = str(person.version)
        stale = _readable(service.differences(service.person_data(person), typed))
        return _form_page(form, person, stale=stale, status=409)
    except ServiceError as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return _form_page(form, person, status=400)
    flash(_("Saved.") if changed else _("Nothing was changed."), "success" if changed else "info")
    return redirect(url_for("persons.detail", person_id=person.id))


@bp.post("/<int:person_id>/merge")
def merge(person_id: int):
    """Two steps: the reviewer names the record to keep (by key, in the form), sees both
    records side by side, and confirms."""
    if not can_review(current_user):
        abort(403)
    person = _visible_or_404(person_id)
    form = MergeForm()
    if not form.validate_on_submit():
        return _detail_page(person, form, status=400)
    kept = service.by_key(form.into.data)
    problem = (
        _("No record has the key %(key)s.", key=service.normalise_key(form.into.data)[:60])
        if kept is None
        else service.merge_problem(person, kept)
    )
    if problem or kept is None:
        form.into.errors = [*form.into.errors, problem]
        return _detail_page(person, form, status=400)
    if form.confirmed.data != "1":
        summary = service.incident_summary(current_user, [person, kept])
        for shown_record in (person, kept):
            _audit_read(service.target(shown_record), "merge")
        return render_template(
            "persons/merge.html",
            absorbed=person,
            kept=kept,
            summary=summary,
            labels=LABELS,
            shown=shown,
            form=form,
            rows=service.row_count(person),
        )
    try:
        moved = service.merge(person, kept, current_user)
    except ServiceError as refusal:
        db.session.rollback()
        form.into.errors = [*form.into.errors, str(refusal)]
        return _detail_page(person, form, status=400)
    flash(
        ngettext(
            "The records were merged: %(num)d victim row now points to this record.",
            "The records were merged: %(num)d victim rows now point to this record.",
            moved,
        ),
        "success",
    )
    return redirect(url_for("persons.detail", person_id=kept.id))


@bp.post("/<int:person_id>/unmerge")
def unmerge(person_id: int):
    if not can_review(current_user):
        abort(403)
    person = _visible_or_404(person_id)
    try:
        moved = service.unmerge(person, current_user)
    except ServiceError as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
    else:
        flash(
            ngettext(
                "The merge was undone: %(num)d victim row points to this record again.",
                "The merge was undone: %(num)d victim rows point to this record again.",
                moved,
            ),
            "success",
        )
    return redirect(url_for("persons.detail", person_id=person.id))


@bp.post("/search")
def search():
    """JSON `{"q": "…"}` → `{"results": [{"key", "name", "kind", "id"}]}`, of the records the
    reader may see (static/js's victim picker). A POST, so the words typed (a name) stay out of
    addresses and logs; Flask-WTF checks the X-CSRFToken header as for any form."""
    if not can_record(current_user):
        abort(403)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("q"), str):
        return jsonify(error=_('Send the words to look for as JSON: {"q": "…"}.')), 400
    found = service.search(current_user, body["q"][:SEARCH_TEXT_LIMIT])
    response = jsonify(results=[{"key": p.key, "name": p.name, "kind": p.kind, "id": p.id} for p in found])
    response.headers["Cache-Control"] = "no-store"  # names: not for any cache
    return response
