"""Pages and endpoints for recording with no signal. HTTP only: the service worker script, the
outbox page, the endpoint phones send sealed records to, and discarding a held draft."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..extensions import csrf, db
from ..i18n import select_locale
from ..incidents import held
from ..security import can_record
from ..taxonomy import VIOLATIONS, choices
from .sealing import MAX_SEALED_CHARS, public_jwk
from .service import MAX_RECORDS, receive
from .worker import precache_manifest

bp = Blueprint("offline", __name__)
bp.app_context_processor(lambda: {"outbox_key": public_jwk})  # the form seals with it

SYNC_HEADER = "X-Tracker-Sync"
MAX_SYNC_BYTES = MAX_RECORDS * (MAX_SEALED_CHARS + 4096)


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that it may control every page. Public: a
    browser checks it for updates from any page, signed in or not; it holds no data."""
    # rendered without the context processors: they load the user, and a script the browser
    # fetches at any moment must not rewrite the session cookie (tracker/auth/__init__.py)
    response = make_response(
        current_app.jinja_env.get_template("offline/sw.js").render(
            precache=precache_manifest(),
            workbox=url_for("static", filename="vendor/workbox/"),
            form_url=url_for("incidents.new"),
            outbox_url=url_for("offline.outbox"),
            outlines_urls=[
                url_for("incidents.outlines"),
                url_for("maps.map_page_data", layer="outlines"),
                url_for("maps.public_map_data", layer="outlines"),
            ],
        )
    )
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline/ping")
def ping():
    """204 for a signed-in recorder: the phone asks before a save whether the server is there
    and still knows the user (a session that ended answers with the login gate's redirect)."""
    if not can_record(current_user):
        abort(403)
    return Response(status=204, mimetype="text/plain")


@bp.get("/offline/outbox")
def outbox():
    """What waits on this phone (drawn by static/js/offline/outbox-page.js from IndexedDB) and
    what the server held back for this monitor."""
    if not can_record(current_user):
        abort(403)
    labels = dict(choices(VIOLATIONS, select_locale()))
    drafts = [_listed(draft, labels) for draft in held.held_for(current_user)]
    return render_template("offline/outbox.html", held_drafts=drafts, violation_labels=labels)


def _listed(draft, labels: dict[str, str]) -> tuple[object, str, list[str]]:
    """A held draft with its date and violations in words."""
    summary = held.summary(draft)
    return draft, str(summary["date"]), [labels.get(code, code) for code in summary["violations"]]


@bp.post("/offline/held/<int:draft_id>/discard")
def discard_held(draft_id: int):
    if not can_record(current_user):
        abort(403)
    draft = held.own_held(current_user, draft_id)
    if draft is None:
        abort(404)
    held.discard(draft)
    audit.record("held draft discarded", str(draft_id))
    db.session.commit()
    flash(_("The held draft is deleted."), "success")
    return redirect(url_for("offline.outbox"))


@bp.post("/offline/sync")
@csrf.exempt
def sync():
    """Store sealed records: {"records": [envelope, …]} → {"results": [answer, …]}, one answer
    per record, in order (service.receive). A page's CSRF token may be hours old when a phone
    finds a signal, so instead of it the request must carry our header (which a cross-site
    form cannot send, and a cross-site script cannot without a CORS grant we never give) and
    come from our own origin."""
    if not can_record(current_user):
        abort(403)
    origin = request.headers.get("Origin", "")
    if request.headers.get(SYNC_HEADER) != "1" or urlsplit(origin).netloc != request.host:
        return jsonify(error=_("This request did not come from the tracker's own pages.")), 403
    if (request.content_length or 0) > MAX_SYNC_BYTES:
        return jsonify(error=_("Too much at once: send at most %(n)d records a request.", n=MAX_RECORDS)), 413
    body = request.get_json(silent=True)
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list) or not 1 <= len(records) <= MAX_RECORDS:
        return jsonify(error=_('Send between 1 and %(n)d records as {"records": [...]}.', n=MAX_RECORDS)), 400
    return jsonify(results=[receive(record, current_user) for record in records])
