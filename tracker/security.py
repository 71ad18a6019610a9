"""The one place that decides who may do and see what: password hashing, role rules,
which incidents a user may list, and which restricted fields they may read.

Views, exports and the API all ask this module; none decides on its own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import request, url_for

from .taxonomy import REPORTABLE_STATUSES

if TYPE_CHECKING:
    from .models import User

_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def configure_password_hashing(profile: str) -> None:
    """Pick an argon2 parameter profile by name (tests use the cheapest one for speed)."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(getattr(profiles, profile))


STAFF_ROLES = ("admin", "reviewer")
RECORDING_ROLES = ("admin", "reviewer", "monitor")
# Monitors may change their own incident, but for a rejected one; once it is verified their
# edits wait for a reviewer (tracker/incidents/revisions.py).
MONITOR_EDITABLE_STATUSES = ("draft", "submitted", "verified", "published")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def is_authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def role_of(user) -> str | None:
    return user.role if is_authenticated(user) else None


def can_record(user) -> bool:
    return role_of(user) in RECORDING_ROLES


def can_review(user) -> bool:
    return role_of(user) in STAFF_ROLES


def can_manage_users(user) -> bool:
    return role_of(user) == "admin"


def can_read_reports(user) -> bool:
    """Report authors and staff: the report page counts verified data and offers exports."""
    return role_of(user) in ("admin", "reviewer", "author")


def can_see_alerts(user) -> bool:
    """The early-warning alerts (tracker/protection/) name persons at risk: staff only."""
    return role_of(user) in STAFF_ROLES


def can_see_person(user, person) -> bool:
    """A record of the register of persons at risk (tracker/persons/): staff, and the monitor
    who recorded it."""
    role = role_of(user)
    return role in STAFF_ROLES or (role == "monitor" and person.created_by_id == user.id)


def persons_clause(user) -> sa.ColumnElement[bool]:
    """SQL twin of `can_see_person`."""
    from .models import Person

    role = role_of(user)
    if role in STAFF_ROLES:
        return sa.true()
    if role == "monitor":
        return Person.created_by_id == user.id
    return sa.false()


def visible_incidents_clause(user) -> sa.ColumnElement[bool]:
    """SQL condition selecting the incidents this user may list or open."""
    from .models import Incident

    role = role_of(user)
    cited = Incident.status.in_(REPORTABLE_STATUSES)
    if role in STAFF_ROLES:
        return sa.true()
    if role == "monitor":
        return sa.or_(Incident.created_by_id == user.id, cited)
    if role == "author":
        return cited
    if role == "viewer":
        return sa.and_(cited, Incident.visibility.in_(("public", "partners")))
    return sa.and_(Incident.status == "published", Incident.visibility == "public")


class AccessedIncident(Protocol):
    """What the access rules read of an incident: an `Incident`, or a row of these columns."""

    @property
    def status(self) -> str: ...
    @property
    def visibility(self) -> str: ...
    @property
    def public_location(self) -> str: ...
    @property
    def created_by_id(self) -> int | None: ...


def is_owner(user, incident: AccessedIncident) -> bool:
    return is_authenticated(user) and incident.created_by_id == user.id


@dataclass(frozen=True)
class IncidentAccess:
    """What one user may do with and see of one incident."""

    edit: bool
    review: bool
    identities: bool  # victim names and organisations, perpetrators' names, confidential sources
    exact_location: bool  # coordinates and place name precise enough to find someone
    history: bool


def incident_access(user, incident: AccessedIncident) -> IncidentAccess:
    role = role_of(user)
    staff = role in STAFF_ROLES
    owner = role == "monitor" and is_owner(user, incident)
    identities = staff or owner
    return IncidentAccess(
        edit=staff or (owner and incident.status in MONITOR_EDITABLE_STATUSES),
        review=staff,
        identities=identities,
        # anonymous readers: as on the public map (`exact_location_clause`)
        exact_location=identities
        or (incident.visibility == "public" if role is not None else incident.public_location == "exact"),
        history=staff or owner,
    )


def identities_clause(user) -> sa.ColumnElement[bool]:
    """SQL twin of `incident_access(user, incident).identities`, for exports that decide
    row by row without loading incidents."""
    from .models import Incident

    role = role_of(user)
    if role in STAFF_ROLES:
        return sa.true()
    if role == "monitor":
        return Incident.created_by_id == user.id
    return sa.false()


def exact_location_clause(user) -> sa.ColumnElement[bool]:
    """SQL twin of `incident_access(user, incident).exact_location`."""
    from .models import Incident

    role = role_of(user)
    if role in STAFF_ROLES:
        return sa.true()
    if role is None:
        return Incident.public_location == "exact"
    public = Incident.visibility == "public"
    if role == "monitor":
        return sa.or_(Incident.created_by_id == user.id, public)
    return public


def user_may_open(user: User | None, incident: AccessedIncident) -> bool:
    """The same rule as `visible_incidents_clause`, for an incident already loaded."""
    role = role_of(user)
    cited = incident.status in REPORTABLE_STATUSES
    if role in STAFF_ROLES:
        return True
    if role == "monitor":
        return is_owner(user, incident) or cited
    if role == "author":
        return cited
    if role == "viewer":
        return cited and incident.visibility in ("public", "partners")
    return incident.status == "published" and incident.visibility == "public"


# Endpoints an anonymous visitor may reach; every other route requires login (deny by default).
PUBLIC_ENDPOINTS = frozenset(
    {
        "auth.login",
        "second_factor.login_code",  # after the password, before the session
        "auth.reset_with_link",
        "static",
        "main.set_language",
        "main.health",
        "maps.public_map",
        "maps.public_map_data",
        "maps.public_map_image",
        "maps.public_map_download",
        "maps.tile",  # the local base map, under the public map too
        "exchange.exports.public",
        "offline.service_worker",  # browsers check it for updates from any page; it holds no data
    }
)
# What an account that must have a second factor, and has none yet, may reach besides the
# public endpoints (auth.require_second_factor).
ENROLMENT_ENDPOINTS = frozenset({"second_factor.setup", "auth.logout"})
# Blueprints that identify their callers themselves (the API, by token; without one a caller
# is anonymous and sees public data only): the login gate lets them answer, not redirect.
SELF_AUTHENTICATING_BLUEPRINTS = frozenset({"api"})

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # A list's address holds its filters and text searches, which may name people: it goes to no
    # site, not even in our own logs. Forms are checked by Fetch Metadata instead (fetch_metadata.py).
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
}
# Behind HTTPS only (TRACKER_SECURE_COOKIES=1): browsers then refuse plain HTTP to the host for two years.
HSTS = "max-age=63072000; includeSubDomains"


def _tile_origin(tile_url: str) -> str:
    """The origin map tiles come from, as a CSP source ('{s}.' subdomains become '*.')."""
    wildcard = "{s}." in tile_url
    parts = urlsplit(tile_url.replace("{s}.", ""))
    return f"{parts.scheme}://{'*.' if wildcard else ''}{parts.netloc}"


def csp_nonce() -> str:
    """This request's Content-Security-Policy nonce: an inline <script> runs only if it
    carries it (the map page's folium script does). New for every request."""
    # Kept with the request, not on `g`: an app context may outlive one request.
    if "tracker.csp_nonce" not in request.environ:
        request.environ["tracker.csp_nonce"] = secrets.token_urlsafe(16)
    return request.environ["tracker.csp_nonce"]


def content_security_policy(tile_url: str, nonce: str) -> str:
    """Scripts from this server, or inline with this response's nonce; styles only from this
    server's files (no style attributes or <style> in pages; Leaflet sets element styles from
    script, which CSP allows); images also from the configured tile host. No plugins, no
    <base>, no framing, and forms post only here."""
    img = "'self' data:" + (f" {_tile_origin(tile_url)}" if tile_url.startswith("http") else "")
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
        f"img-src {img}; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )


def safe_redirect_target(target: str) -> str:
    """Only follow relative paths, so a `next` address cannot be used as an open redirect."""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return url_for("main.index")
