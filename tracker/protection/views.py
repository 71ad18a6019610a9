"""The early-warning alerts page and their acknowledgement. Reviewers and admins only: alerts
name persons at risk. The alert's key (ids only) and the comment travel in POST bodies."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import ServiceError
from ..models import AlertAcknowledgement
from ..security import can_see_alerts
from . import alerts as service
from .forms import AcknowledgeForm

bp = Blueprint("protection", __name__, url_prefix="/protection")
PER_PAGE = 50


@bp.before_request
def staff_only():
    if not can_see_alerts(current_user):
        abort(403)


@bp.get("/alerts")
def alerts():
    return _page(AcknowledgeForm(formdata=None))


@bp.post("/alerts/acknowledge")
def acknowledge():
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        return _page(form), 400
    try:
        service.acknowledge(form.alert_key.data, form.comment.data, current_user)
    except ServiceError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Alert acknowledged: it is now listed under “Acknowledged”."), "success")
    kind, _show, page = _where()
    return redirect(url_for("protection.alerts", kind=kind or None, page=page if page > 1 else None))


def _where() -> tuple[str, str, int]:
    """The list the reader was on, from the query or the acknowledging form's body: the kind
    ("" for all), "open" or "acknowledged", and the page."""
    kind = request.values.get("kind", "")
    show = request.values.get("show", "")
    page = request.values.get("page", 1, type=int) or 1
    return (kind if kind in service.KINDS else "", "acknowledged" if show == "acknowledged" else "open", max(page, 1))


def _page(form: AcknowledgeForm):
    kind, show, page = _where()
    today = date.today()
    every = service.compute(today)
    done = service.acknowledged_keys()
    open_alerts = [a for a in every if a.key not in done]
    counts = {k: sum(1 for a in open_alerts if a.kind == k) for k in service.KINDS}
    rows: list[tuple[service.Alert | None, AlertAcknowledgement | None]]
    if show == "acknowledged":  # the acknowledged ones, the latest first, with the alert when it is still raised
        acknowledged, total = service.acknowledgements(kind, (page - 1) * PER_PAGE, PER_PAGE)
        by_key = {a.key: a for a in every}
        rows = [(by_key.get(ack.alert_key), ack) for ack in acknowledged]
        service.describe([a for a, _ack in rows if a is not None], current_user)
    else:
        shown = [a for a in open_alerts if not kind or a.kind == kind]
        total = len(shown)
        rows = [(a, None) for a in service.describe(shown[(page - 1) * PER_PAGE : page * PER_PAGE], current_user)]
    return render_template(
        "protection/alerts.html",
        rows=rows,
        kind=kind,
        show=show,
        counts=counts,
        open_total=len(open_alerts),
        acknowledged_total=len(done),
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        form=form,
        failed_key=form.alert_key.data if form.errors else None,
        kinds=service.KINDS,
        summary=lambda alert: service.summary(alert, today),
        today=today,
    )
