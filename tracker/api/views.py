"""/api/v1: HTTP only; the work is in service.py and serialise.py.

Callers identify themselves with `Authorization: Bearer <token>` and nothing else: the
browser session is ignored here, so no cookie can make a cross-site request act for
anyone, and CSRF tokens are not needed. Without a token a caller is anonymous and reads
what the public map shows.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded

from .. import audit
from ..auth.second_factor import must_enrol
from ..auth.throttle import limit_retry_after
from ..auth.tokens import TokenExpired, user_for_token
from ..extensions import csrf, db, limiter
from ..filters import IncidentFilter, parse_filters
from ..i18n import select_locale
from ..location_privacy import region_placer
from ..security import can_read_reports, is_authenticated
from .errors import ApiError, error_response, register_api_errors
from .openapi import openapi_document
from .serialise import incident_json, report_json
from .service import (
    Cursor,
    ParameterError,
    find_incident,
    incident_page,
    parse_limit,
    parse_sort,
    period_report,
    restricted_shown,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
register_api_errors(bp)

CHALLENGE = 'Bearer realm="tracker"'


def _caller() -> str:
    """Who a rate limit counts: the token sent (as a hash, never the token itself), else the address."""
    header = request.headers.get("Authorization")
    return hashlib.sha256(header.encode()).hexdigest() if header else request.remote_addr or ""


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_caller)(bp)


@bp.errorhandler(RateLimitExceeded)
def too_many_requests(_error):
    seconds = limit_retry_after()
    message = _("Too many requests in a short time. Wait %(n)d seconds, then try again.", n=seconds)
    return error_response(ApiError(429, message, headers={"Retry-After": str(seconds)}))


def _refused(problems: list[str]) -> ApiError:
    return ApiError(400, _("Some parameters cannot be used."), problems)


@bp.before_request
def identify_caller():
    """`g.api_user`: the token's user, or None without an Authorization header."""
    if any("\x00" in value for _name, value in request.args.items(multi=True)) or "\x00" in request.path:
        raise _refused([_("Parameters may not contain NUL characters.")])
    header = request.headers.get("Authorization")
    g.api_user = None
    if header is None:
        return
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401, _("Send the token as 'Authorization: Bearer <token>'."), headers={"WWW-Authenticate": CHALLENGE}
        )
    try:
        g.api_user = user_for_token(token.strip())
    except TokenExpired as expired:
        raise ApiError(
            401,
            _(
                "This token expired on %(date)s; make a new one at %(url)s.",
                date=expired.expires_at.date().isoformat(),
                url=url_for("auth.own_tokens"),
            ),
            headers={"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'},
        ) from None
    if g.api_user is None:
        raise ApiError(
            401,
            _("This token is not valid: it is unknown or revoked, or its account is deactivated."),
            headers={"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'},
        )
    if must_enrol(g.api_user):
        raise ApiError(
            403,
            _(
                "This token's account must set up a second factor before its tokens work: log in on the web "
                "pages and follow the steps at %(url)s.",
                url=url_for("second_factor.setup"),
            ),
        )


@bp.after_request
def private_answers(response):
    """What a token reads is that account's: never cached, and caches keep callers apart."""
    response.vary.add("Authorization")
    if g.get("api_user") is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


def _filters() -> IncidentFilter:
    filters, errors = parse_filters(request.args)
    if errors:
        raise _refused(errors)
    return filters


@bp.errorhandler(ParameterError)
def refused_parameter(exc: ParameterError):
    return error_response(_refused([str(exc)]))


@bp.get("/incidents")
def list_incidents():
    filters = _filters()
    sort, limit = parse_sort(request.args.get("sort")), parse_limit(request.args.get("limit"))
    cursor = Cursor.decode(request.args["cursor"]) if request.args.get("cursor") else None
    page = incident_page(filters, g.api_user, limit, sort, cursor)
    place_of = region_placer(g.api_user)
    next_cursor = page.next_cursor.encode() if page.next_cursor else None
    next_url = None
    if next_cursor:
        query = filters.to_args() + [("sort", sort), ("limit", str(limit)), ("cursor", next_cursor)]
        next_url = f"{url_for('api.list_incidents')}?{urlencode(query)}"
    items = [incident_json(r, g.api_user, place_of) for r in page.records]
    shown = sorted({kind for r in page.records for kind in restricted_shown(r, g.api_user)})
    if shown:  # one entry for the page, not one per incident
        audit.record(
            "incident_read",
            "api",
            user=g.api_user,
            fields=shown,
            via="api_list",
            rows=len(items),
            filters=filters.to_args(),
        )
        db.session.commit()
    return jsonify(
        items=items,
        limit=limit,
        next_cursor=next_cursor,
        next=next_url,
    )


@bp.get("/incidents/<ref>")
def incident(ref: str):
    found = find_incident(ref, g.api_user)
    if found is None:
        raise ApiError(404, _("No incident %(ref)s, or you may not see it.", ref=ref))
    audit.record_read(found.incident.ref, restricted_shown(found, g.api_user), user=g.api_user, via="api")
    return jsonify(incident_json(found, g.api_user, region_placer(g.api_user)))


@bp.get("/stats")
def stats():
    if not is_authenticated(g.api_user):
        raise ApiError(401, _("Report figures need an API token."), headers={"WWW-Authenticate": CHALLENGE})
    if not can_read_reports(g.api_user):
        raise ApiError(403, _("Report figures are for report authors, reviewers and administrators."))
    return jsonify(report_json(period_report(_filters(), g.api_user), select_locale()))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
