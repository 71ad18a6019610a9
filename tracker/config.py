"""Configuration: safe defaults, then `instance/config.py`, then `TRACKER_*` environment
variables, then (in tests) the mapping passed to `create_app`."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

# The checkout: templates/, static/, migrations/ and translations/ sit beside the package.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"
LOCAL_TILE_URL = "/tiles/{z}/{x}/{y}"  # tracker/maps/views.py `tile`, when TILE_FILE is set
# What one import may read (tracker/exchange/table.py), each overridable as TRACKER_<NAME>: a
# file past any of them is refused before its rows are read, with a message saying which.
IMPORT_LIMITS = {
    "IMPORT_MAX_FILE_MB": 1024,  # the file as it is on disk (uploads are capped lower, by MAX_CONTENT_LENGTH)
    "IMPORT_MAX_ROWS": 2_000_000,
    "IMPORT_MAX_CELL_CHARS": 32_767,  # the most an Excel cell holds
    "IMPORT_MAX_UNPACKED_MB": 1024,  # an XLSX workbook unzipped
    "IMPORT_MAX_SHEETS": 100,
    "IMPORT_MAX_SHARED_STRINGS": 1_000_000,  # distinct texts of a workbook, which the reader holds in memory
    "IMPORT_MAX_SHARED_STRINGS_MB": 100,
}

# Login throttling (tracker/auth/throttle.py), each overridable as TRACKER_<NAME>.
LOGIN_LIMITS = {
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 10,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 50,
    "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    # Server-side sessions (tracker/auth/sessions.py) end after this long idle, or alive.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
}


# Groups of departments the report's protection figures add up (tracker/counts/persons.py); each
# has the words the report's sentence uses for it. TRACKER_REGION_GROUPS, as JSON, replaces them.
PERU_REGION_GROUPS = [
    {
        "key": "amazonia",
        "en": "Amazonian regions",
        "es": "regiones amazónicas",
        "admin1": ["Loreto", "Ucayali", "San Martín", "Amazonas", "Madre de Dios"],
    }
]
# The early-warning alerts (tracker/protection/alerts.py), each overridable as TRACKER_<NAME>.
ALERT_SETTINGS = {
    "ALERT_REPEAT_DAYS": 90,  # two incidents against one person within this many days
    "ALERT_PENDING_DAYS": 15,  # a request for protection unanswered for longer
    "ALERT_MEASURES_ENDING_DAYS": 30,  # granted measures that end within this many days
}


def _region_groups(value: str) -> list[dict]:
    """TRACKER_REGION_GROUPS: a JSON list of {"key", "en", "es", "admin1": [names]}, refused at
    start-up when it is not one."""
    import json

    try:
        groups = json.loads(value)
    except ValueError as exc:
        raise ValueError(f"TRACKER_REGION_GROUPS is not JSON: {exc}") from None
    wanted = {"key": str, "en": str, "es": str, "admin1": list}
    if not isinstance(groups, list) or not all(
        isinstance(g, dict) and all(isinstance(g.get(k), t) for k, t in wanted.items()) for g in groups
    ):
        raise ValueError('TRACKER_REGION_GROUPS must be a list of {"key", "en", "es", "admin1": [department names]}.')
    return groups


def _persistent_secret_key(instance_path: Path) -> str:
    """A random key kept in the instance folder, so sessions survive restarts without
    anyone having to invent a secret for a local install."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _roles(value: str) -> tuple[str, ...]:
    """A comma-separated list of role names, refused at start-up if one is unknown."""
    from .taxonomy import ROLES

    roles = tuple(filter(None, (part.strip() for part in value.split(","))))
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise ValueError(
            f"TRACKER_REQUIRE_2FA_ROLES names unknown roles {', '.join(unknown)}; the roles are {', '.join(ROLES)}."
        )
    return roles


def load_config(app: Flask, test_config: dict | None) -> None:
    instance = Path(app.instance_path)
    app.config.from_mapping(
        IMPORT_LIMITS,
        **LOGIN_LIMITS,
        **ALERT_SETTINGS,
        REGION_GROUPS=PERU_REGION_GROUPS,
        # Proxies in front of the app that set X-Forwarded-For (0: none, the client's address is the
        # connection's); without it behind a proxy every login comes from the proxy's address.
        PROXIES=0,
        # Requests one caller (token, or address without one) may make to the API, per process:
        # Flask-Limiter's memory storage, so with N workers a caller gets up to N times this.
        API_RATE_LIMIT="300 per minute",
        TOKEN_ISSUE_RATE_LIMIT="20 per hour",  # noqa: S106 - new API tokens one address may make
        RATELIMIT_STORAGE_URI="memory://",
        # Off: Flask-Limiter would put Retry-After on every answer (over a 503's, too); a 429 gets its own.
        RATELIMIT_HEADERS_ENABLED=False,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'tracker.db'}",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        TILE_URL=DEFAULT_TILE_URL,
        TILE_ATTRIBUTION=DEFAULT_TILE_ATTRIBUTION,
        # A local MBTiles file the tracker serves its base map from (tracker/maps/tiles.py);
        # relative to instance/. Set, it is the default tile source.
        TILE_FILE="",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # A monitor may spend an afternoon on one form: the token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        # Off: it needs a same-site Referer, which no-referrer pages never send (tracker/fetch_metadata.py).
        WTF_CSRF_SSL_STRICT=False,
        MAX_CONTENT_LENGTH=50 * 1024 * 1024,  # uploads to import; TRACKER_MAX_UPLOAD_MB
        BABEL_DEFAULT_LOCALE="es",
        LANGUAGES=("es", "en"),
        INCIDENTS_PER_PAGE=25,
        REF_PREFIX="PE",
        PASSWORD_HASH_PROFILE="RFC_9106_LOW_MEMORY",  # noqa: S106 - the name of argon2 parameters, not a password
        # Roles whose accounts reach nothing but enrolment until they have a second factor
        # (tracker/auth/second_factor.py); TRACKER_REQUIRE_2FA_ROLES, comma-separated, may be empty.
        REQUIRE_2FA_ROLES=("admin", "reviewer"),
        TOTP_ISSUER="Civic-space tracker",  # the name authenticator apps show beside the code
        # Mail (tracker/mail.py): off while SMTP_HOST is empty. SMTP_SECURITY: starttls, ssl or none.
        SMTP_HOST="",
        SMTP_PORT=587,
        SMTP_SECURITY="starttls",
        SMTP_USER="",
        SMTP_PASSWORD="",
        SMTP_FROM="tracker@localhost",
        # The address users reach the tracker at, for links made without a request (the console).
        BASE_URL="",
    )
    app.config.from_pyfile("config.py", silent=True)
    env = os.environ
    if "TRACKER_DATABASE_URL" in env:
        app.config["SQLALCHEMY_DATABASE_URI"] = env["TRACKER_DATABASE_URL"]
    if "TRACKER_TILE_FILE" in env:
        app.config["TILE_FILE"] = env["TRACKER_TILE_FILE"]
        app.config["TILE_URL"] = LOCAL_TILE_URL
    if "TRACKER_TILE_URL" in env:
        app.config["TILE_URL"] = env["TRACKER_TILE_URL"]
    if "TRACKER_TILE_ATTRIBUTION" in env:
        app.config["TILE_ATTRIBUTION"] = env["TRACKER_TILE_ATTRIBUTION"]
    if env.get("TRACKER_SECURE_COOKIES") == "1":
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = True
        # The browser then takes the cookie only over HTTPS, for this host alone and every path:
        # no subdomain or other path can set or shadow it.
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    if "TRACKER_REQUIRE_2FA_ROLES" in env:
        app.config["REQUIRE_2FA_ROLES"] = _roles(env["TRACKER_REQUIRE_2FA_ROLES"])
    for name in ("TOTP_ISSUER", "SMTP_HOST", "SMTP_SECURITY", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM", "BASE_URL"):
        if f"TRACKER_{name}" in env:
            app.config[name] = env[f"TRACKER_{name}"]
    if "TRACKER_SMTP_PORT" in env:
        app.config["SMTP_PORT"] = int(env["TRACKER_SMTP_PORT"])
    if "TRACKER_MAX_UPLOAD_MB" in env:
        app.config["MAX_CONTENT_LENGTH"] = int(env["TRACKER_MAX_UPLOAD_MB"]) * 1024 * 1024
    if "TRACKER_API_RATE_LIMIT" in env:
        app.config["API_RATE_LIMIT"] = env["TRACKER_API_RATE_LIMIT"]
    if "TRACKER_REGION_GROUPS" in env:
        app.config["REGION_GROUPS"] = _region_groups(env["TRACKER_REGION_GROUPS"])
    for name in (*IMPORT_LIMITS, *LOGIN_LIMITS, *ALERT_SETTINGS, "PROXIES"):
        if f"TRACKER_{name}" in env:
            app.config[name] = int(env[f"TRACKER_{name}"])
    if "TRACKER_SECRET_KEY" in env:
        app.config["SECRET_KEY"] = env["TRACKER_SECRET_KEY"]
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _persistent_secret_key(instance)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # a database host that drops packets would otherwise hold each request until TCP gives up
        # (minutes); after this many seconds the user gets the 503 page instead
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        options["connect_args"] = {"connect_timeout": 10, **options.get("connect_args", {})}
